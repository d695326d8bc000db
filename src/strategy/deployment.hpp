#pragma once
// The two deployments of a blue-green cluster, as the `strategy` header names them.

#include <cstdint>
#include <optional>
#include <string_view>

namespace e6data::strategy {

enum class Deployment : std::uint8_t { kNone = 0, kBlue = 1, kGreen = 2 };

// "blue", "green", or "" for kNone: exactly the header's spelling.
constexpr std::string_view to_string(Deployment d) noexcept {
  switch (d) {
    case Deployment::kBlue:
      return "blue";
    case Deployment::kGreen:
      return "green";
    case Deployment::kNone:
      break;
  }
  return "";
}

// The deployment a header value names (case-insensitive, as servers differ); nullopt when it
// names neither.
std::optional<Deployment> parse_deployment(std::string_view text) noexcept;

// The deployment that is not `d` (kNone for kNone).
constexpr Deployment other(Deployment d) noexcept {
  if (d == Deployment::kBlue) return Deployment::kGreen;
  if (d == Deployment::kGreen) return Deployment::kBlue;
  return Deployment::kNone;
}

}  // namespace e6data::strategy

#include "strategy/deployment.hpp"

#include <cctype>

namespace e6data::strategy {

std::optional<Deployment> parse_deployment(std::string_view text) noexcept {
  auto equals = [text](std::string_view word) {
    if (text.size() != word.size()) return false;
    for (std::size_t i = 0; i < word.size(); ++i) {
      if (std::tolower(static_cast<unsigned char>(text[i])) != word[i]) return false;
    }
    return true;
  };
  if (equals("blue")) return Deployment::kBlue;
  if (equals("green")) return Deployment::kGreen;
  return std::nullopt;
}

}  // namespace e6data::strategy

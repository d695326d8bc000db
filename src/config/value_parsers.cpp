#include "config/value_parsers.hpp"

#include <array>
#include <charconv>
#include <cmath>
#include <system_error>
#include <utility>

namespace e6data::config {

std::string_view trim(std::string_view text) noexcept {
  constexpr std::string_view kSpace = " \t\r\n";
  const auto first = text.find_first_not_of(kSpace);
  if (first == std::string_view::npos) return {};
  const auto last = text.find_last_not_of(kSpace);
  return text.substr(first, last - first + 1);
}

std::string to_lower(std::string_view text) {
  std::string lower(text);
  for (char& c : lower) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return lower;
}

std::optional<bool> parse_bool(std::string_view text) noexcept {
  static constexpr std::array<std::pair<std::string_view, bool>, 8> kWords = {{
      {"true", true},
      {"false", false},
      {"1", true},
      {"0", false},
      {"yes", true},
      {"no", false},
      {"on", true},
      {"off", false},
  }};
  text = trim(text);
  for (const auto& [word, value] : kWords) {
    if (word.size() != text.size()) continue;
    bool same = true;
    for (std::size_t i = 0; i < word.size() && same; ++i) {
      const char c = text[i];
      const char lower = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
      same = lower == word[i];
    }
    if (same) return value;
  }
  return std::nullopt;
}

IntegerText parse_integer(std::string_view text) noexcept {
  text = trim(text);
  bool negative = false;
  // from_chars accepts '-' but not '+'; people write both.
  if (!text.empty() && (text.front() == '+' || text.front() == '-')) {
    negative = text.front() == '-';
    text.remove_prefix(1);
  }
  if (text.empty() || text.front() < '0' || text.front() > '9') return {};
  std::uint64_t magnitude = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), magnitude);
  if (ec == std::errc::result_out_of_range) {
    // Only digits can overflow; anything else after them would make the text invalid.
    for (char c : text) {
      if (c < '0' || c > '9') return {};
    }
    return {negative ? IntegerText::Status::kTooSmall : IntegerText::Status::kTooLarge, 0};
  }
  if (ec != std::errc() || end != text.data() + text.size()) return {};
  constexpr auto kMaxPositive = static_cast<std::uint64_t>(INT64_MAX);
  if (negative) {
    if (magnitude > kMaxPositive + 1) return {IntegerText::Status::kTooSmall, 0};
    if (magnitude == kMaxPositive + 1) return {IntegerText::Status::kOk, INT64_MIN};
    return {IntegerText::Status::kOk, -static_cast<std::int64_t>(magnitude)};
  }
  if (magnitude > kMaxPositive) return {IntegerText::Status::kTooLarge, 0};
  return {IntegerText::Status::kOk, static_cast<std::int64_t>(magnitude)};
}

std::optional<double> parse_decimal(std::string_view text) noexcept {
  text = trim(text);
  if (!text.empty() && text.front() == '+') text.remove_prefix(1);
  if (text.empty()) return std::nullopt;
  double value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || !std::isfinite(value)) {
    return std::nullopt;
  }
  return value;
}

std::optional<LogLevel> parse_log_level(std::string_view text) {
  const std::string name = to_lower(trim(text));
  if (name == "trace") return LogLevel::kTrace;
  if (name == "debug") return LogLevel::kDebug;
  if (name == "info") return LogLevel::kInfo;
  if (name == "warning" || name == "warn") return LogLevel::kWarning;
  if (name == "error") return LogLevel::kError;
  if (name == "critical") return LogLevel::kCritical;
  if (name == "off") return LogLevel::kOff;
  return std::nullopt;
}

std::optional<LogFormat> parse_log_format(std::string_view text) {
  const std::string name = to_lower(trim(text));
  if (name == "text") return LogFormat::kText;
  if (name == "json") return LogFormat::kJson;
  return std::nullopt;
}

}  // namespace e6data::config

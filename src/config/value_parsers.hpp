#pragma once
// Text to typed values, shared by the environment and URI readers.
//
// Each parser takes the whole text (surrounding whitespace allowed) and returns nullopt when it
// is not a value of that type; range checks are the caller's (option_fields.hpp), since the
// environment clamps and URIs refuse.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "e6data/options.hpp"

namespace e6data::config {

// The text without leading and trailing spaces, tabs, CR and LF.
std::string_view trim(std::string_view text) noexcept;

// ASCII lower case.
std::string to_lower(std::string_view text);

// true/false/1/0/yes/no/on/off, any case.
std::optional<bool> parse_bool(std::string_view text) noexcept;

// How an integer parse ended: a value, a value too large for std::int64_t (the sign tells
// which end, so callers can clamp), or not an integer at all.
struct IntegerText {
  enum class Status { kOk, kTooLarge, kTooSmall, kInvalid };
  Status status = Status::kInvalid;
  std::int64_t value = 0;
};

// Decimal digits with an optional sign.
IntegerText parse_integer(std::string_view text) noexcept;

// A finite decimal number such as "0.2", "2" or "1e-1"; no inf or nan.
std::optional<double> parse_decimal(std::string_view text) noexcept;

// TRACE, DEBUG, INFO, WARNING or WARN, ERROR, CRITICAL, OFF; any case.
std::optional<LogLevel> parse_log_level(std::string_view text);

// text or json; any case.
std::optional<LogFormat> parse_log_format(std::string_view text);

}  // namespace e6data::config

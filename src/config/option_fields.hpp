#pragma once
// The table of options: one row per field of ConnectionOptions, with its environment variable,
// URI query key, range and accessors.
//
// The environment reader, the URI parser, validate() and the printer all walk this one table,
// so a field added here is read, checked and printed everywhere, with the same range. Fields
// whose rules involve other fields (min <= max connections, the CA certificate) are checked in
// validate() itself.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>

#include "e6data/options.hpp"

namespace e6data::config {

enum class FieldKind { kText, kBool, kInteger, kDecimal, kLogLevel, kLogFormat };

// A field's value; the alternative matches the field's kind (kInteger: std::int64_t, including
// durations in whole seconds; kDecimal: double seconds).
using FieldValue = std::variant<std::string, bool, std::int64_t, double, LogLevel, LogFormat>;

struct OptionField {
  std::string_view path;  // how messages and the printer name it: "pool.max_connections"
  FieldKind kind = FieldKind::kText;
  std::string_view env;        // "E6DATA_MAX_CONNECTIONS"; empty when there is no variable
  std::string_view env_alias;  // read when `env` is unset
  std::string_view uri_key;    // query key; empty when the URI sets the field by its structure
  std::string_view uri_alias;
  std::int64_t min = 0;  // kInteger bounds, inclusive
  std::int64_t max = 0;
  double min_decimal = 0;  // kDecimal bounds, inclusive
  double max_decimal = 0;
  std::string_view unit;  // appended to numbers in messages and the printer: "s"
  bool secret = false;    // never shown: not in messages, not by the printer
  // kText: why a non-empty value is unacceptable, or nullopt when it is fine.
  std::optional<std::string> (*check)(std::string_view value) = nullptr;
  FieldValue (*get)(const ConnectionOptions& options) = nullptr;
  void (*set)(ConnectionOptions& options, const FieldValue& value) = nullptr;
};

// Every field of ConnectionOptions, in declaration order.
std::span<const OptionField> option_fields();

// The field a URI query key names, after lower-casing and turning '_' into '-'; null if none.
const OptionField* find_uri_field(std::string_view key);

// The field at `path`, e.g. "port"; null if none.
const OptionField* find_field(std::string_view path);

struct ParsedField {
  enum class Status { kOk, kClamped, kInvalid };
  Status status = Status::kInvalid;
  FieldValue value;     // kOk: the value; kClamped: the nearest value in range
  std::string problem;  // kClamped and kInvalid: "is out of range [1, 10]", "is not an integer"
};

// Parses `text` as a value of `field`, checking its range and characters.
ParsedField parse_field(const OptionField& field, std::string_view text);

// A value as the printer and messages show it: numbers with their unit, strings quoted and
// escaped, enums by name. Says nothing about secrecy: callers mask secret fields.
std::string format_value(const OptionField& field, const FieldValue& value);

// `text` in double quotes, with quotes, backslashes and control characters escaped.
std::string quote(std::string_view text);

// "[1, 10]" or "[60s, 1800s]".
std::string format_range(const OptionField& field);

// Why a value of `field` is unacceptable (range or characters), or nullopt. Empty strings pass:
// whether a field is required is validate()'s business.
std::optional<std::string> value_problem(const OptionField& field, const FieldValue& value);

}  // namespace e6data::config

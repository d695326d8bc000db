#include "query_parameters.hpp"

#include <cctype>
#include <charconv>
#include <cstdlib>

#include "exit_codes.hpp"

namespace e6data::cli {
namespace {

bool equals_ignoring_case(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

bool is_integer_literal(std::string_view s) {
  std::size_t i = (!s.empty() && (s[0] == '-' || s[0] == '+')) ? 1 : 0;
  if (i == s.size()) return false;
  for (; i < s.size(); ++i) {
    if (!std::isdigit(static_cast<unsigned char>(s[i]))) return false;
  }
  return true;
}

// Digits with one '.' and/or an exponent: 4.2, .5, 1e3, -2.5E-3. Not "inf", "nan" or "0x1p3".
bool is_double_literal(std::string_view s) {
  std::size_t i = (!s.empty() && (s[0] == '-' || s[0] == '+')) ? 1 : 0;
  bool digits = false;
  bool dot = false;
  for (; i < s.size() && s[i] != 'e' && s[i] != 'E'; ++i) {
    if (s[i] == '.' && !dot) {
      dot = true;
    } else if (std::isdigit(static_cast<unsigned char>(s[i]))) {
      digits = true;
    } else {
      return false;
    }
  }
  if (!digits) return false;
  if (i == s.size()) return dot;
  ++i;  // the exponent
  if (i < s.size() && (s[i] == '-' || s[i] == '+')) ++i;
  if (i == s.size()) return false;
  for (; i < s.size(); ++i) {
    if (!std::isdigit(static_cast<unsigned char>(s[i]))) return false;
  }
  return true;
}

}  // namespace

Value parse_parameter_literal(std::string_view literal, std::string& storage) {
  if (literal.size() >= 2 && literal.front() == '\'' && literal.back() == '\'') {
    storage.clear();
    const std::string_view inner = literal.substr(1, literal.size() - 2);
    for (std::size_t i = 0; i < inner.size(); ++i) {
      if (inner[i] == '\'') {
        if (i + 1 < inner.size() && inner[i + 1] == '\'') {
          ++i;
        } else {
          throw UsageFailure{"a quote inside a quoted string must be doubled ('it''s')"};
        }
      }
      storage += inner[i];
    }
    return std::string_view(storage);
  }
  if (equals_ignoring_case(literal, "null")) return std::monostate{};
  if (equals_ignoring_case(literal, "true")) return true;
  if (equals_ignoring_case(literal, "false")) return false;
  if (is_integer_literal(literal)) {
    std::int64_t value = 0;
    const char* begin = literal.data() + (literal.front() == '+' ? 1 : 0);
    const auto [end, error] = std::from_chars(begin, literal.data() + literal.size(), value);
    if (error != std::errc() || end != literal.data() + literal.size()) {
      throw UsageFailure{"integer " + std::string(literal) +
                         " does not fit 64 bits (quote it to pass it as text)"};
    }
    return value;
  }
  if (is_double_literal(literal)) {
    storage.assign(literal);
    return std::strtod(storage.c_str(), nullptr);
  }
  storage.assign(literal);
  return std::string_view(storage);
}

void QueryParameters::add(std::string_view assignment) {
  const auto eq = assignment.find('=');
  if (eq == std::string_view::npos || eq == 0) {
    throw UsageFailure{"--param " + std::string(assignment) +
                       ": expected name=value (e.g. --param id=42 --param name='Ann')"};
  }
  std::string_view name = assignment.substr(0, eq);
  if (name.front() == ':') name.remove_prefix(1);
  if (name.empty()) throw UsageFailure{"--param " + std::string(assignment) + ": no name"};
  for (char c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') {
      throw UsageFailure{"--param " + std::string(assignment) + ": the name " + std::string(name) +
                         " may hold only letters, digits and _"};
    }
  }
  for (const auto& [existing, value] : values_) {
    if (existing == name) throw UsageFailure{"--param " + std::string(name) + " is given twice"};
  }
  texts_.emplace_back();
  try {
    Value value = parse_parameter_literal(assignment.substr(eq + 1), texts_.back());
    values_.emplace_back(std::string(name), value);
  } catch (const UsageFailure& e) {
    throw UsageFailure{"--param " + std::string(name) + ": " + e.message};
  }
}

}  // namespace e6data::cli

#include "client/parameter_binding.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <type_traits>
#include <unordered_map>
#include <variant>

#include "e6data/errors.hpp"
#include "wire/modified_utf8.hpp"
#include "wire/value_format.hpp"

namespace e6data::detail {
namespace {

constexpr std::size_t kNpos = std::string_view::npos;

bool is_name_start(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}
bool is_name_char(char c) {
  return is_name_start(c) || (c >= '0' && c <= '9');
}
// Bytes that continue an identifier, including those of non-ASCII letters.
bool is_identifier_byte(char c) {
  return is_name_char(c) || static_cast<unsigned char>(c) >= 0x80;
}

bool is_valid_name(std::string_view name) {
  if (name.empty() || !is_name_start(name[0])) return false;
  for (const char c : name) {
    if (!is_name_char(c)) return false;
  }
  return true;
}

// One past the closing quote of the quoted token at `begin`, or the end of the text when it is
// unterminated. A doubled quote is an escaped quote; backslash is an ordinary character.
// `backslash_escapes`: a backslash escapes the next byte (the backslash reading of '...' strings;
// a doubled quote is an escape in both readings).
std::size_t skip_quoted(std::string_view sql, std::size_t begin, bool backslash_escapes = false) {
  const char quote = sql[begin];
  std::size_t i = begin + 1;
  while (i < sql.size()) {
    const bool escaped_quote = sql[i] == quote && i + 1 < sql.size() && sql[i + 1] == quote;
    if ((backslash_escapes && sql[i] == '\\') || escaped_quote) {
      i += 2;
    } else if (sql[i] != quote) {
      ++i;
    } else {
      return i + 1;
    }
  }
  return i;
}

std::size_t skip_line_comment(std::string_view sql, std::size_t begin) {
  const std::size_t newline = sql.find('\n', begin);
  const std::size_t end = newline == kNpos ? sql.size() : newline + 1;
  // Trino ends a line comment at \r, SQLite only at \n. Text after a lone \r is code to one and
  // comment to the other, and a literal placed there could end the other's comment or string.
  for (std::size_t i = begin; i + 1 < end; ++i) {
    if (sql[i] == '\r' && sql[i + 1] != '\n') {
      throw UsageError("SQL statement: the line comment at byte " + std::to_string(begin) +
                       " holds a carriage return not followed by a newline at byte " +
                       std::to_string(i) +
                       "; dialects disagree on where that comment ends, so values cannot be "
                       "bound safely. Use \\n or \\r\\n line ends");
    }
  }
  return end;
}

std::size_t skip_block_comment(std::string_view sql, std::size_t begin) {
  // Search from begin + 2 so that "/*/" does not close itself (as in Trino and SQLite).
  const std::size_t close = sql.find("*/", begin + 2);
  if (close == kNpos) return sql.size();
  // Block comments nest in ANSI SQL and Postgres but not in Trino or SQLite: with a nested /*,
  // one of them would take our code for comment and the other our comment for code.
  const std::size_t nested = sql.find("/*", begin + 2);
  if (nested < close) {
    throw UsageError("SQL statement: the block comment at byte " + std::to_string(begin) +
                     " holds another /* at byte " + std::to_string(nested) +
                     "; dialects disagree on whether comments nest, so values cannot be bound "
                     "safely");
  }
  return close + 2;
}

// Neighbours a literal may touch directly: none of them can fuse with the first or last byte of a
// literal into another token. Anything else gets a space in between.
bool separates_tokens(char c) {
  switch (c) {
    case ' ':
    case '\t':
    case '\n':
    case '\r':
    case '\f':
    case '\v':
    case '(':
    case ')':
    case ',':
    case ';':
    case '=':
    case '<':
    case '>':
    case '+':
    case '*':
    case '|':
    case '[':
    case ']':
      return true;
    default:
      return false;
  }
}

// `sql` with placeholders[i] replaced by texts[i].
std::string splice(std::string_view sql, const std::vector<Placeholder>& placeholders,
                   const std::vector<std::string>& texts) {
  std::size_t size = sql.size();
  for (const std::string& t : texts) size += t.size() + 2;
  std::string out;
  out.reserve(size);
  std::size_t copied = 0;
  for (std::size_t i = 0; i < placeholders.size(); ++i) {
    const Placeholder& p = placeholders[i];
    out.append(sql.substr(copied, p.offset - copied));
    if (!out.empty() && !separates_tokens(out.back())) out.push_back(' ');
    out.append(texts[i]);
    copied = p.offset + p.length;
    if (copied < sql.size() && !separates_tokens(sql[copied])) out.push_back(' ');
  }
  out.append(sql.substr(copied));
  return out;
}

std::string parenthesise_if_negative(std::string text) {
  if (text.empty() || text[0] != '-') return text;
  return "(" + text + ")";
}

template <typename Int>
std::string integer_literal(Int v) {
  // `-9223372036854775808` would negate 9223372036854775808, which does not fit a BIGINT: Trino
  // makes it a DECIMAL and older SQLite a REAL. Subtracting 1 from -max stays in the type.
  if (v == std::numeric_limits<Int>::min()) {
    return "(-" + std::to_string(std::numeric_limits<Int>::max()) + " - 1)";
  }
  return parenthesise_if_negative(std::to_string(v));
}

std::string parameter_error(std::string_view name, const std::string& what) {
  return "parameter " + std::string(name) + ": " + what;
}

std::string double_literal(double v, std::string_view name) {
  if (!std::isfinite(v)) {
    throw UsageError(parameter_error(
        name, "the DOUBLE " + wire::format_double_repr(v) +
                  " has no SQL literal (SQL has none for NaN or infinities); send NULL or filter "
                  "it out instead"));
  }
  // Always an approximate numeric (mantissa E exponent): a plain 0.1 would be a DECIMAL in Trino.
  std::string text = wire::format_double_repr(v);
  const std::size_t e = text.find('e');
  if (e == kNpos) {
    text += "E0";
  } else {
    text[e] = 'E';
  }
  return parenthesise_if_negative(std::move(text));
}

std::string string_literal(std::string_view v, std::string_view name, std::string_view dialect) {
  // A NUL ends the text in C APIs (SQLite's among them) and most servers refuse it.
  if (const std::size_t nul = v.find('\0'); nul != kNpos) {
    throw UsageError(
        parameter_error(name, "the string holds a NUL byte at byte " + std::to_string(nul) +
                                  "; SQL text cannot carry one (bind BINARY data as hex instead)"));
  }
  if (!wire::is_valid_utf8(v)) {
    throw UsageError(
        parameter_error(name, "the string is not valid UTF-8; STRING parameters must be text"));
  }
  const std::size_t backslash = v.find('\\');
  if (dialect.empty() && backslash != std::string_view::npos) {
    // '' ends nothing in an engine that reads backslash escapes, and \' ends nothing in an ANSI
    // one: without knowing the dialect, no literal of this string is safe in both.
    throw UsageError(parameter_error(
        name, "the string holds a backslash at byte " + std::to_string(backslash) +
                  "; its literal reads differently in ANSI and backslash-escape SQL dialects. "
                  "Use a catalog (typed parameters) or declare the engine's dialect "
                  "(E6DATA_STRING_LITERALS=ansi or backslash)"));
  }
  std::string out;
  out.reserve(v.size() + 2);
  out.push_back('\'');
  for (const char c : v) {
    if (c == '\'') {
      out.push_back(dialect == "backslash" ? '\\' : '\'');
    } else if (c == '\\' && dialect == "backslash") {
      out.push_back('\\');
    }
    out.push_back(c);
  }
  out.push_back('\'');
  return out;
}

// `formatted` starts with the year as value_format writes it: '+' or '-' for years outside
// 0000-9999. SQL datetime literals only cover 0001-9999.
void require_literal_year(std::string_view formatted, std::string_view type,
                          std::string_view name) {
  const bool four_digits = !formatted.empty() && formatted[0] >= '0' && formatted[0] <= '9';
  if (!four_digits || formatted.substr(0, 4) == "0000") {
    throw UsageError(parameter_error(name, "the " + std::string(type) + " " +
                                               std::string(formatted) +
                                               " is outside the years 0001-9999 that SQL "
                                               "literals cover"));
  }
}

std::string date_literal(const Date& v, std::string_view name) {
  const std::string text = wire::format_date(v.epoch_us);
  require_literal_year(text, "DATE", name);
  return "DATE '" + text + "'";
}

std::string timestamp_literal(const Timestamp& v, std::string_view name) {
  // "YYYY-MM-DDTHH:MM:SS.ffffffZ" -> "YYYY-MM-DD HH:MM:SS.ffffff": the ANSI literal has a space
  // and no zone (a 'Z' would make it a TIMESTAMP WITH TIME ZONE in Trino).
  std::string text = wire::format_timestamp_utc(v.epoch_us);
  require_literal_year(text, "TIMESTAMP", name);
  text[text.find('T')] = ' ';
  text.pop_back();
  return "TIMESTAMP '" + text + "'";
}

std::string timestamp_tz_literal(const TimestampTz& v, std::string_view name) {
  constexpr std::int32_t kMaxOffsetSeconds = 14 * 3600;  // ANSI and Trino: at most +-14:00
  if (v.offset_seconds % 60 != 0 || v.offset_seconds > kMaxOffsetSeconds ||
      v.offset_seconds < -kMaxOffsetSeconds) {
    throw UsageError(parameter_error(
        name, "the TIMESTAMP_TZ offset of " + std::to_string(v.offset_seconds) +
                  " seconds has no SQL literal: offsets are whole minutes within +-14:00"));
  }
  // "YYYY-MM-DDTHH:MM:SS.ffffff+05:30" -> "YYYY-MM-DD HH:MM:SS.ffffff +05:30". The offset, not
  // the zone name: it is exact for this instant and needs no zone database on the server.
  std::string text = wire::format_timestamp_at_offset(v.epoch_us, v.offset_seconds);
  require_literal_year(text, "TIMESTAMP_TZ", name);
  text[text.find('T')] = ' ';
  text.insert(text.find_last_of("+-"), 1, ' ');
  return "TIMESTAMP '" + text + "'";
}

std::string decimal_literal(const Decimal128& v, std::string_view name) {
  // format_decimal clamps a larger scale, which would change the value.
  if (v.scale > wire::kMaxDecimalScale || v.scale < -wire::kMaxDecimalScale) {
    throw UsageError(parameter_error(name, "the DECIMAL scale " + std::to_string(v.scale) +
                                               " is beyond +-" +
                                               std::to_string(wire::kMaxDecimalScale)));
  }
  return parenthesise_if_negative(wire::format_decimal(v.unscaled, v.scale));
}

std::string describe_counts(std::size_t positional, std::size_t named) {
  return std::to_string(positional) + " ? and " + std::to_string(named) + " :name placeholders";
}

// Refuses placeholders of the kind the caller does not bind; returns the count of the other kind.
std::size_t require_only(const std::vector<Placeholder>& placeholders, bool named,
                         std::string_view operation) {
  std::size_t positional_count = 0;
  std::size_t named_count = 0;
  const Placeholder* first_wrong = nullptr;
  for (const Placeholder& p : placeholders) {
    const bool is_named = !p.name.empty();
    (is_named ? named_count : positional_count) += 1;
    if (is_named != named && first_wrong == nullptr) first_wrong = &p;
  }
  if (first_wrong != nullptr) {
    throw UsageError(std::string(operation) + ": the statement has " +
                     describe_counts(positional_count, named_count) + " (the first " +
                     (named ? "?" : ":" + first_wrong->name) + " at byte " +
                     std::to_string(first_wrong->offset) + "), but " + std::string(operation) +
                     " binds only " + (named ? ":name" : "?") + " placeholders");
  }
  return named ? named_count : positional_count;
}

// ":a, :b"
std::string list_names(const std::vector<std::string_view>& names) {
  std::string out;
  for (const std::string_view name : names) {
    if (!out.empty()) out += ", ";
    out += ":";
    out += name;
  }
  return out;
}

// The named placeholders of `sql`, checked against `values`: each placeholder's index in `values`.
std::vector<std::size_t> match_names(const std::vector<Placeholder>& placeholders,
                                     const NamedParameters& values, std::string_view operation) {
  std::unordered_map<std::string_view, std::size_t> index;
  for (std::size_t i = 0; i < values.size(); ++i) {
    const std::string& name = values[i].first;
    if (!is_valid_name(name)) {
      throw UsageError(std::string(operation) + ": the value name '" + name +
                       "' is not [A-Za-z_][A-Za-z0-9_]*" +
                       (name.starts_with(':') ? " (give names without the ':')" : ""));
    }
    if (!index.emplace(name, i).second) {
      throw UsageError(std::string(operation) + ": a value for :" + name + " is given twice");
    }
  }
  std::vector<std::size_t> matched;
  std::vector<bool> used(values.size(), false);
  std::vector<std::string_view> missing;
  for (const Placeholder& p : placeholders) {
    const auto it = index.find(p.name);
    if (it != index.end()) {
      matched.push_back(it->second);
      used[it->second] = true;
    } else if (std::find(missing.begin(), missing.end(), p.name) == missing.end()) {
      missing.push_back(p.name);
    }
  }
  std::vector<std::string_view> unused;
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (!used[i]) unused.push_back(values[i].first);
  }
  if (!missing.empty() || !unused.empty()) {
    std::string message = std::string(operation) + ":";
    if (!missing.empty()) message += " no value for " + list_names(missing) + ";";
    if (!unused.empty()) {
      message += " the statement does not use the value(s) given for " + list_names(unused);
    }
    if (message.back() == ';') message.pop_back();
    throw UsageError(message);
  }
  return matched;
}

}  // namespace

std::vector<Placeholder> find_placeholders(std::string_view sql, std::string_view dialect) {
  std::vector<Placeholder> found;
  std::size_t i = 0;
  while (i < sql.size()) {
    const char c = sql[i];
    const char next = i + 1 < sql.size() ? sql[i + 1] : '\0';
    if (c == '\'') {
      const std::size_t end = skip_quoted(sql, i, dialect == "backslash");
      if (dialect.empty()) {
        // Undeclared: where this string ends depends on whether the engine reads a backslash as
        // an escape, so a value placed after it could land inside it (and end it).
        const std::size_t slash = sql.substr(i, end - i).find('\\');
        if (slash != kNpos) {
          throw UsageError(
              "SQL statement: the string literal at byte " + std::to_string(i) +
              " holds a backslash (byte " + std::to_string(i + slash) +
              "); where it ends depends on how the engine reads string literals, so values "
              "cannot be placed safely. Declare the connection's string_literals (ansi or "
              "backslash, E6DATA_STRING_LITERALS), or set a catalog for typed parameters");
        }
      }
      i = end;
    } else if (c == '"' || c == '`') {
      i = skip_quoted(sql, i);
    } else if (c == '-' && next == '-') {
      i = skip_line_comment(sql, i);
    } else if (c == '/' && next == '*') {
      i = skip_block_comment(sql, i);
    } else if (c == '?') {
      found.push_back({i, 1, {}});
      ++i;
    } else if (c == ':' && next == ':') {
      i += 2;  // a cast, x::int
    } else if (c == ':' && is_name_start(next) &&
               (i == 0 || (!is_identifier_byte(sql[i - 1]) && sql[i - 1] != ':'))) {
      std::size_t end = i + 2;
      while (end < sql.size() && is_name_char(sql[end])) ++end;
      found.push_back({i, end - i, std::string(sql.substr(i + 1, end - i - 1))});
      i = end;
    } else {
      ++i;
    }
  }
  return found;
}

std::string sql_literal(const Value& value, std::string_view parameter_name_for_errors,
                        std::string_view dialect) {
  const std::string_view name = parameter_name_for_errors;
  return std::visit(
      [&](const auto& v) -> std::string {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, std::monostate>) {
          return "NULL";
        } else if constexpr (std::is_same_v<T, bool>) {
          return v ? "TRUE" : "FALSE";
        } else if constexpr (std::is_same_v<T, std::int32_t> || std::is_same_v<T, std::int64_t>) {
          return integer_literal(v);
        } else if constexpr (std::is_same_v<T, double>) {
          return double_literal(v, name);
        } else if constexpr (std::is_same_v<T, std::string_view>) {
          return string_literal(v, name, dialect);
        } else if constexpr (std::is_same_v<T, Date>) {
          return date_literal(v, name);
        } else if constexpr (std::is_same_v<T, Timestamp>) {
          return timestamp_literal(v, name);
        } else if constexpr (std::is_same_v<T, TimestampTz>) {
          return timestamp_tz_literal(v, name);
        } else {
          static_assert(std::is_same_v<T, Decimal128>, "a Value alternative is not handled");
          return decimal_literal(v, name);
        }
      },
      value);
}

std::string bind_positional(std::string_view sql, const std::vector<Value>& values,
                            std::string_view dialect) {
  const std::vector<Placeholder> placeholders = find_placeholders(sql, dialect);
  const std::size_t count = require_only(placeholders, /*named=*/false, "bind_positional");
  if (count != values.size()) {
    throw UsageError("bind_positional: the statement has " + std::to_string(count) +
                     " ? placeholders but " + std::to_string(values.size()) + " values were given");
  }
  std::vector<std::string> texts;
  texts.reserve(values.size());
  for (std::size_t i = 0; i < values.size(); ++i) {
    texts.push_back(sql_literal(values[i], std::to_string(i), dialect));
  }
  return splice(sql, placeholders, texts);
}

std::string bind_named(std::string_view sql, const NamedParameters& values,
                       std::string_view dialect) {
  const std::vector<Placeholder> placeholders = find_placeholders(sql, dialect);
  require_only(placeholders, /*named=*/true, "bind_named");
  const std::vector<std::size_t> matched = match_names(placeholders, values, "bind_named");
  // One literal per value, however often its name appears.
  std::vector<std::string> literals(values.size());
  std::vector<std::string> texts;
  texts.reserve(matched.size());
  for (const std::size_t v : matched) {
    if (literals[v].empty()) {
      literals[v] = sql_literal(values[v].second, ":" + values[v].first, dialect);
    }
    texts.push_back(literals[v]);
  }
  return splice(sql, placeholders, texts);
}

std::pair<std::string, std::vector<Value>> named_to_positional(std::string_view sql,
                                                               const NamedParameters& values) {
  const std::vector<Placeholder> placeholders = find_placeholders(sql);
  require_only(placeholders, /*named=*/true, "named_to_positional");
  const std::vector<std::size_t> matched = match_names(placeholders, values, "named_to_positional");
  std::vector<Value> positional;
  positional.reserve(matched.size());
  for (const std::size_t v : matched) positional.push_back(values[v].second);
  return {splice(sql, placeholders, std::vector<std::string>(matched.size(), "?")),
          std::move(positional)};
}

}  // namespace e6data::detail

#include "devserver/sql_types.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <limits>

#include "devserver/errors.hpp"

namespace e6data::devserver {
namespace {

std::string upper(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return out;
}

bool starts_with(const std::string& s, std::string_view prefix) {
  return s.rfind(prefix, 0) == 0;
}

// Reads exactly `n` digits at `pos`.
std::optional<std::int64_t> digits(std::string_view s, std::size_t pos, std::size_t n) {
  if (pos + n > s.size()) return std::nullopt;
  std::int64_t v = 0;
  for (std::size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return std::nullopt;
    v = v * 10 + (s[i] - '0');
  }
  return v;
}

bool valid_date(std::int64_t y, std::int64_t m, std::int64_t d) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (m < 1 || m > 12 || d < 1) return false;
  const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return d <= kDays[m - 1] + (m == 2 && leap ? 1 : 0);
}

}  // namespace

std::int64_t days_from_civil(std::int64_t year, unsigned month, unsigned day) {
  // Shift the year to start in March so February's leap day is the year's last day.
  year -= month <= 2 ? 1 : 0;
  const std::int64_t era = (year >= 0 ? year : year - 399) / 400;
  const auto year_of_era = static_cast<std::int64_t>(year - era * 400);
  const std::int64_t month_index = month > 2 ? month - 3 : month + 9;
  const std::int64_t day_of_year = (153 * month_index + 2) / 5 + day - 1;
  const std::int64_t day_of_era =
      year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
  return era * 146097 + day_of_era - 719468;
}

std::optional<ColumnType> column_type_from_declared(std::string_view declared) {
  const std::string t = upper(declared);
  if (t.empty()) return std::nullopt;
  if (starts_with(t, "DECIMAL") || starts_with(t, "NUMERIC")) {
    ColumnType type{VectorType::kDecimal128, 0};
    const auto comma = t.find(',');
    const auto close = t.find(')');
    if (comma != std::string::npos && close != std::string::npos && comma < close) {
      std::int32_t scale = 0;
      std::string_view s(t);
      s = s.substr(comma + 1, close - comma - 1);
      while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
      while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
      const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), scale);
      if (ec == std::errc() && end == s.data() + s.size() && scale >= 0 && scale <= 38) {
        type.decimal_scale = scale;
      }
    }
    return type;
  }
  if (t == "TIMESTAMPTZ" || t == "TIMESTAMP_TZ" || t == "TIMESTAMP WITH TIME ZONE") {
    return ColumnType{VectorType::kTimestampTz, 0};
  }
  if (starts_with(t, "TIMESTAMP") || starts_with(t, "DATETIME")) {
    return ColumnType{VectorType::kDateTime, 0};
  }
  if (t == "DATE") return ColumnType{VectorType::kDate, 0};
  if (starts_with(t, "BOOL")) return ColumnType{VectorType::kBoolean, 0};
  if (t == "INT" || t == "INT32" || t == "MEDIUMINT" || t == "SMALLINT" || t == "TINYINT") {
    return ColumnType{VectorType::kInteger, 0};
  }
  if (t.find("INT") != std::string::npos) return ColumnType{VectorType::kLong, 0};
  if (t.find("CHAR") != std::string::npos || t.find("CLOB") != std::string::npos ||
      t.find("TEXT") != std::string::npos || t == "STRING") {
    return ColumnType{VectorType::kString, 0};
  }
  if (t.find("BLOB") != std::string::npos || t == "BINARY" || t == "BYTES") {
    return ColumnType{VectorType::kBinary, 0};
  }
  if (t.find("REAL") != std::string::npos || t.find("FLOA") != std::string::npos ||
      t.find("DOUB") != std::string::npos) {
    return ColumnType{VectorType::kDouble, 0};
  }
  return std::nullopt;
}

ColumnType column_type_from_storage(int storage_class) {
  switch (storage_class) {
    case SQLITE_INTEGER:
      return {VectorType::kLong, 0};
    case SQLITE_FLOAT:
      return {VectorType::kDouble, 0};
    case SQLITE_BLOB:
      return {VectorType::kBinary, 0};
    default:
      return {VectorType::kString, 0};
  }
}

std::optional<std::int64_t> parse_date(std::string_view text) {
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') return std::nullopt;
  const auto y = digits(text, 0, 4);
  const auto m = digits(text, 5, 2);
  const auto d = digits(text, 8, 2);
  if (!y || !m || !d || !valid_date(*y, *m, *d)) return std::nullopt;
  return days_from_civil(*y, static_cast<unsigned>(*m), static_cast<unsigned>(*d)) * 86'400'000'000;
}

std::optional<ParsedTimestamp> parse_timestamp(std::string_view text) {
  if (text.size() < 19) return std::nullopt;
  const auto day_us = parse_date(text.substr(0, 10));
  if (!day_us || (text[10] != 'T' && text[10] != ' ') || text[13] != ':' || text[16] != ':') {
    return std::nullopt;
  }
  const auto hh = digits(text, 11, 2);
  const auto mi = digits(text, 14, 2);
  const auto ss = digits(text, 17, 2);
  if (!hh || !mi || !ss || *hh > 23 || *mi > 59 || *ss > 59) return std::nullopt;
  std::size_t pos = 19;
  std::int64_t micros = 0;
  if (pos < text.size() && text[pos] == '.') {
    ++pos;
    std::size_t n = 0;
    while (pos < text.size() && std::isdigit(static_cast<unsigned char>(text[pos])) && n < 6) {
      micros = micros * 10 + (text[pos] - '0');
      ++pos;
      ++n;
    }
    if (n == 0) return std::nullopt;
    for (; n < 6; ++n) micros *= 10;
  }
  ParsedTimestamp out;
  std::int64_t offset_seconds = 0;
  const std::string_view rest = text.substr(pos);
  if (rest.empty()) {
    out.zone = "UTC";
  } else if (rest == "Z") {
    out.zone = "Z";
  } else if (rest.size() == 6 && (rest[0] == '+' || rest[0] == '-') && rest[3] == ':') {
    const auto oh = digits(rest, 1, 2);
    const auto om = digits(rest, 4, 2);
    if (!oh || !om || *om > 59 || *oh * 60 + *om > 18 * 60) return std::nullopt;
    offset_seconds = (*oh * 3600 + *om * 60) * (rest[0] == '-' ? -1 : 1);
    out.zone = std::string(rest);
  } else {
    return std::nullopt;
  }
  // The text is local time at the offset: UTC = local - offset.
  out.epoch_us = *day_us + ((*hh * 3600 + *mi * 60 + *ss) - offset_seconds) * 1'000'000 + micros;
  return out;
}

namespace {

// "1.25e-3" -> "0.00125": the mantissa's digits with the point moved by the exponent; nullopt
// when the text is not digits[.digits]e[+-]digits or the exponent is beyond +-400 (DECIMAL128
// has 38 digits: such a value is 0 at any scale or does not fit).
std::optional<std::string> without_exponent(std::string_view mantissa, std::string_view exponent) {
  bool exponent_negative = false;
  if (!exponent.empty() && (exponent.front() == '-' || exponent.front() == '+')) {
    exponent_negative = exponent.front() == '-';
    exponent.remove_prefix(1);
  }
  if (exponent.empty() || exponent.size() > 3) return std::nullopt;
  int shift = 0;
  for (const char c : exponent) {
    if (c < '0' || c > '9') return std::nullopt;
    shift = shift * 10 + (c - '0');
  }
  if (shift > 400) return std::nullopt;
  if (exponent_negative) shift = -shift;
  const std::size_t point = mantissa.find('.');
  std::string digits(mantissa.substr(0, point));
  if (point != std::string_view::npos) digits += mantissa.substr(point + 1);
  if (digits.empty()) return std::nullopt;
  for (const char c : digits) {
    if (c < '0' || c > '9') return std::nullopt;  // a second point, a sign, anything else
  }
  const long at =
      static_cast<long>(point == std::string_view::npos ? mantissa.size() : point) + shift;
  if (at <= 0) return "0." + std::string(static_cast<std::size_t>(-at), '0') + digits;
  if (static_cast<std::size_t>(at) >= digits.size()) {
    return digits + std::string(static_cast<std::size_t>(at) - digits.size(), '0');
  }
  return digits.substr(0, static_cast<std::size_t>(at)) + "." +
         digits.substr(static_cast<std::size_t>(at));
}

}  // namespace

std::optional<int128> parse_decimal(std::string_view text, std::int32_t scale) {
  while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  while (!text.empty() && text.back() == ' ') text.remove_suffix(1);
  bool negative = false;
  if (!text.empty() && (text.front() == '-' || text.front() == '+')) {
    negative = text.front() == '-';
    text.remove_prefix(1);
  }
  if (text.empty()) return std::nullopt;
  // SQLite writes a REAL below 1e-4 (or of more than 15 integer digits) with an exponent.
  std::string plain;
  if (const auto e = text.find_first_of("eE"); e != std::string_view::npos) {
    auto shifted = without_exponent(text.substr(0, e), text.substr(e + 1));
    if (!shifted) return std::nullopt;
    plain = std::move(*shifted);
    text = plain;
  }
  // DECIMAL128 holds at most 38 digits (10^38 - 1 fits in 127 bits).
  int128 max38 = 1;
  for (int i = 0; i < 38; ++i) max38 *= 10;
  max38 -= 1;
  auto append_digit = [&](int128& v, int digit) {
    if (v > (max38 - digit) / 10) return false;
    v = v * 10 + digit;
    return true;
  };
  int128 value = 0;
  std::int32_t fraction_digits = 0;
  bool seen_point = false;
  bool seen_digit = false;
  bool round_up = false;
  for (const char c : text) {
    if (c == '.') {
      if (seen_point) return std::nullopt;
      seen_point = true;
      continue;
    }
    if (c < '0' || c > '9') return std::nullopt;
    seen_digit = true;
    if (seen_point && fraction_digits == scale) {
      // The first dropped digit decides the rounding (half away from zero); later ones ignored.
      if (!round_up && fraction_digits == scale) round_up = c >= '5';
      fraction_digits = scale + 1;
      continue;
    }
    if (seen_point && fraction_digits > scale) continue;
    if (!append_digit(value, c - '0')) return std::nullopt;
    if (seen_point) ++fraction_digits;
  }
  if (!seen_digit) return std::nullopt;
  for (std::int32_t i = std::min(fraction_digits, scale); i < scale; ++i) {
    if (!append_digit(value, 0)) return std::nullopt;
  }
  if (round_up) {  // +1 at the last kept place
    if (value >= max38) return std::nullopt;
    ++value;
  }
  return negative ? -value : value;
}

std::optional<int128> decimal_from_real(double value, std::int32_t scale) {
  // 10^0 .. 10^15: every one is exact as a double.
  static constexpr double kPow10[] = {1e0, 1e1, 1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                      1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15};
  if (scale < 0 || scale > 15 || !std::isfinite(value)) return std::nullopt;
  const double unit = kPow10[scale];
  const double unscaled = std::nearbyint(value * unit);
  if (!(std::fabs(unscaled) < 1e15)) return std::nullopt;  // more than 15 significant digits
  // `unscaled` and `unit` are exact, and IEEE division rounds correctly: equality means `value` is
  // the double nearest to unscaled / 10^scale, a decimal of at most 15 significant digits, which
  // SQLite's text (15 significant digits) renders exactly, so parse_decimal() would give
  // `unscaled` back.
  if (unscaled / unit != value) return std::nullopt;
  return static_cast<int128>(static_cast<std::int64_t>(unscaled));
}

namespace {

std::string_view cell_text(sqlite3_stmt* stmt, int col) {
  const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt, col));
  return text ? std::string_view(text, static_cast<std::size_t>(sqlite3_column_bytes(stmt, col)))
              : std::string_view();
}

}  // namespace

std::size_t append_cell(wire::ColumnBuilder& out, const ColumnType& type, sqlite3_stmt* stmt,
                        int col, std::string_view name) {
  // The storage class is asked once: each sqlite3_column_* call costs (perf: 5 % of a large read).
  const int storage = sqlite3_column_type(stmt, col);
  const std::size_t size = storage == SQLITE_TEXT || storage == SQLITE_BLOB
                               ? 5 + static_cast<std::size_t>(sqlite3_column_bytes(stmt, col))
                               : 9;
  if (storage == SQLITE_NULL) {
    out.append_null();
    return size;
  }
  auto bad = [&](std::string_view expected) {
    return EngineError(EngineErrorCode::kInternal, "column " + std::string(name) + ": value '" +
                                                       std::string(cell_text(stmt, col)) +
                                                       "' is not " + std::string(expected));
  };
  switch (type.vector_type) {
    case VectorType::kLong:
      out.append_int64(sqlite3_column_int64(stmt, col));
      break;
    case VectorType::kInteger: {
      const std::int64_t v = sqlite3_column_int64(stmt, col);
      if (v < std::numeric_limits<std::int32_t>::min() ||
          v > std::numeric_limits<std::int32_t>::max()) {
        throw bad("a 32-bit INTEGER");
      }
      out.append_int32(static_cast<std::int32_t>(v));
      break;
    }
    case VectorType::kDouble:
      out.append_double(sqlite3_column_double(stmt, col));
      break;
    case VectorType::kBoolean:
      out.append_bool(sqlite3_column_int64(stmt, col) != 0);
      break;
    case VectorType::kBinary: {
      const auto* blob = static_cast<const char*>(sqlite3_column_blob(stmt, col));
      out.append_bytes(std::string_view(blob ? blob : "",
                                        static_cast<std::size_t>(sqlite3_column_bytes(stmt, col))));
      break;
    }
    case VectorType::kDate: {
      if (storage == SQLITE_INTEGER) {
        out.append_int64(sqlite3_column_int64(stmt, col));  // epoch microseconds
        break;
      }
      const auto us = parse_date(cell_text(stmt, col));
      if (!us) throw bad("a DATE (YYYY-MM-DD)");
      out.append_int64(*us);
      break;
    }
    case VectorType::kDateTime:
    case VectorType::kTimestampTz: {
      const bool with_zone = type.vector_type == VectorType::kTimestampTz;
      if (storage == SQLITE_INTEGER) {
        const std::int64_t us = sqlite3_column_int64(stmt, col);
        with_zone ? out.append_timestamp_tz(us, "UTC") : out.append_int64(us);
        break;
      }
      const auto ts = parse_timestamp(cell_text(stmt, col));
      if (!ts) throw bad("a timestamp (YYYY-MM-DDTHH:MM:SS[.ffffff][Z|+HH:MM])");
      with_zone ? out.append_timestamp_tz(ts->epoch_us, ts->zone) : out.append_int64(ts->epoch_us);
      break;
    }
    case VectorType::kDecimal128: {
      // SQLite keeps a DECIMAL column's values as INTEGER or REAL (NUMERIC affinity). Rendering a
      // REAL as text was a fifth of a large read's server CPU (perf: sqlite3_str_vappendf).
      std::optional<int128> v;
      if (storage == SQLITE_FLOAT)
        v = decimal_from_real(sqlite3_column_double(stmt, col), type.decimal_scale);
      if (!v) v = parse_decimal(cell_text(stmt, col), type.decimal_scale);
      if (!v) throw bad("a DECIMAL of at most 38 digits");
      out.append_decimal(*v);
      break;
    }
    default:
      out.append_bytes(cell_text(stmt, col));
      break;
  }
  return size;
}

}  // namespace e6data::devserver

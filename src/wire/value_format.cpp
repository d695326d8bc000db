#include "wire/value_format.hpp"

#include <algorithm>
#include <cassert>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <system_error>

namespace e6data::wire {
namespace {

__extension__ using uint128 = unsigned __int128;  // __extension__ keeps -Wpedantic quiet.

constexpr int64_t kMicrosPerSecond = 1'000'000;
constexpr int64_t kSecondsPerDay = 86'400;
constexpr int64_t kMicrosPerDay = kMicrosPerSecond * kSecondsPerDay;

// Python switches from fixed to scientific notation outside [1e-4, 1e16).
constexpr int kReprMinFixedExponent = -4;
constexpr int kReprMaxFixedExponent = 16;  // exclusive

// Days from 0000-03-01 to 1970-01-01. Counting from a March 1st puts the leap
// day at the very end of each (March-based) year, which makes month lengths
// within a year independent of leap-ness.
constexpr int64_t kDaysFromMarchZeroToEpoch = 719'468;
constexpr int64_t kDaysPer400Years = 146'097;
constexpr int64_t kDaysPer100Years = 36'524;  // a century without its 400-year leap day
constexpr int64_t kDaysPer4Years = 1'461;
constexpr int64_t kDaysPerYear = 365;

constexpr uint64_t kTenPow19 = 10'000'000'000'000'000'000ULL;

// Room for any int128 magnitude (39 digits) with slack.
constexpr size_t kInt128DigitsCapacity = 40;

struct CivilDate {
  int64_t year;
  int month;  // 1..12
  int day;    // 1..31
};

struct FloorDivResult {
  int64_t quotient;
  int64_t remainder;  // always in [0, divisor)
};

// C++ division truncates toward zero; calendars need floor so that instants
// before the epoch land on the previous day/second.
constexpr FloorDivResult floor_div(int64_t value, int64_t divisor) {
  int64_t quotient = value / divisor;
  int64_t remainder = value % divisor;
  if (remainder < 0) {
    --quotient;
    remainder += divisor;
  }
  return {quotient, remainder};
}

// Decomposes a day count into 400-, 100-, 4- and 1-year blocks of the
// March-based calendar. Within a 400-year era the first three centuries lack
// the leap day that only the last century (ending on a multiple of 400) keeps,
// and within a century every 4-year block except possibly the last ends with a
// leap day, so clamping the block index to the last block absorbs the extra
// day at each level.
constexpr CivilDate civil_from_days(int64_t days_since_epoch) {
  const int64_t days = days_since_epoch + kDaysFromMarchZeroToEpoch;
  const auto [era, day_of_era] = floor_div(days, kDaysPer400Years);

  const int64_t century = std::min<int64_t>(day_of_era / kDaysPer100Years, 3);
  int64_t rest = day_of_era - century * kDaysPer100Years;
  const int64_t quad = rest / kDaysPer4Years;
  rest -= quad * kDaysPer4Years;
  const int64_t year_in_quad = std::min<int64_t>(rest / kDaysPerYear, 3);
  const int64_t day_of_year = rest - year_in_quad * kDaysPerYear;  // 0 = March 1st

  // Months March..January alternate 31/30 in a 153-day five-month pattern, so
  // a linear map with slope 5/153 finds the month index (0 = March).
  const int64_t month_index = (5 * day_of_year + 2) / 153;
  const int day = static_cast<int>(day_of_year - (153 * month_index + 2) / 5 + 1);
  const int month = static_cast<int>(month_index < 10 ? month_index + 3 : month_index - 9);

  int64_t year = era * 400 + century * 100 + quad * 4 + year_in_quad;
  if (month <= 2) {
    ++year;  // January and February belong to the next civil year.
  }
  return {year, month, day};
}

char* write_two_digits(char* out, int64_t value) {
  out[0] = static_cast<char>('0' + value / 10);
  out[1] = static_cast<char>('0' + value % 10);
  return out + 2;
}

// Writes exactly `width` digits of value (which must fit), zero padded.
char* write_fixed_width(char* out, uint64_t value, int width) {
  for (int i = width - 1; i >= 0; --i) {
    out[i] = static_cast<char>('0' + value % 10);
    value /= 10;
  }
  return out + width;
}

char* write_unsigned(char* out, uint64_t value) {
  // The caller's buffer always has room for 20 digits.
  return std::to_chars(out, out + 20, value).ptr;
}

// ISO 8601 expanded-year style: 4 digits in 0..9999, otherwise an explicit
// sign and at least 4 digits.
char* write_year(char* out, int64_t year) {
  if (year >= 0 && year <= 9999) {
    return write_fixed_width(out, static_cast<uint64_t>(year), 4);
  }
  if (year > 9999) {
    *out++ = '+';
    return write_unsigned(out, static_cast<uint64_t>(year));
  }
  *out++ = '-';
  // |year| stays far below int64 limits (about 3e5 for int64 microseconds).
  const auto magnitude = static_cast<uint64_t>(-year);
  if (magnitude < 1000) {
    return write_fixed_width(out, magnitude, 4);
  }
  return write_unsigned(out, magnitude);
}

char* write_date(char* out, int64_t days_since_epoch) {
  const CivilDate date = civil_from_days(days_since_epoch);
  out = write_year(out, date.year);
  *out++ = '-';
  out = write_two_digits(out, date.month);
  *out++ = '-';
  return write_two_digits(out, date.day);
}

// `seconds` is already shifted to the wall clock being printed.
char* write_date_time(char* out, int64_t seconds, int64_t micros) {
  const auto [days, second_of_day] = floor_div(seconds, kSecondsPerDay);
  out = write_date(out, days);
  *out++ = 'T';
  out = write_two_digits(out, second_of_day / 3600);
  *out++ = ':';
  out = write_two_digits(out, second_of_day / 60 % 60);
  *out++ = ':';
  out = write_two_digits(out, second_of_day % 60);
  *out++ = '.';
  return write_fixed_width(out, static_cast<uint64_t>(micros), 6);
}

char* write_offset(char* out, int32_t offset_seconds) {
  *out++ = offset_seconds < 0 ? '-' : '+';
  // Widen before negating: -INT32_MIN does not fit in int32.
  const int64_t magnitude = std::abs(static_cast<int64_t>(offset_seconds));
  const int64_t hours = magnitude / 3600;
  if (hours < 100) {
    out = write_two_digits(out, hours);
  } else {
    out = write_unsigned(out, static_cast<uint64_t>(hours));
  }
  *out++ = ':';
  out = write_two_digits(out, magnitude / 60 % 60);
  if (magnitude % 60 != 0) {
    *out++ = ':';
    out = write_two_digits(out, magnitude % 60);
  }
  return out;
}

// Writes the decimal digits of value backwards ending at `end`; returns the
// first digit. 128-bit division is slow, so peel 19-digit chunks with it and
// do the per-digit work in 64 bits.
char* write_uint128_backwards(char* end, uint128 value) {
  char* out = end;
  while (value > UINT64_MAX) {
    auto chunk = static_cast<uint64_t>(value % kTenPow19);
    value /= kTenPow19;
    for (int i = 0; i < 19; ++i) {
      *--out = static_cast<char>('0' + chunk % 10);
      chunk /= 10;
    }
  }
  auto low = static_cast<uint64_t>(value);
  do {
    *--out = static_cast<char>('0' + low % 10);
    low /= 10;
  } while (low != 0);
  return out;
}

// Pointer/length append: the iterator-pair overload may take a slower generic path.
void append_range(std::string& out, const char* begin, const char* end) {
  out.append(begin, static_cast<size_t>(end - begin));
}

uint128 magnitude_of(int128 v) {
  // Negate in unsigned arithmetic so INT128_MIN does not overflow.
  return v < 0 ? uint128{0} - static_cast<uint128>(v) : static_cast<uint128>(v);
}

}  // namespace

void append_double_repr(std::string& out, double v) {
  if (std::isnan(v)) {
    out.append("nan");
    return;
  }
  if (std::isinf(v)) {
    out.append(v < 0 ? "-inf" : "inf");
    return;
  }

  // Shortest round-trip digits in scientific form, e.g. "-1.2345e+17". That
  // already is Python's spelling for the scientific range; for the fixed range
  // we re-place the decimal point.
  char sci[40];
  const auto [sci_end, ec] = std::to_chars(sci, sci + sizeof sci, v, std::chars_format::scientific);
  assert(ec == std::errc{});
  (void)ec;

  const char* p = sci;
  const bool negative = *p == '-';
  if (negative) {
    ++p;
  }
  char digits[24];
  int digit_count = 0;
  digits[digit_count++] = *p++;
  if (*p == '.') {
    ++p;
    while (*p != 'e') {
      digits[digit_count++] = *p++;
    }
  }
  const char* exponent_text = p + 1;  // points at the exponent's sign
  int exponent = 0;
  for (const char* q = exponent_text + 1; q < sci_end; ++q) {
    exponent = exponent * 10 + (*q - '0');
  }
  if (*exponent_text == '-') {
    exponent = -exponent;
  }

  if (exponent < kReprMinFixedExponent || exponent >= kReprMaxFixedExponent) {
    append_range(out, sci, sci_end);
    return;
  }

  // Longest fixed form: '-' + 16 integer digits + '.' + 1 digit, or
  // "-0.000" + 17 digits.
  char fixed[48];
  char* w = fixed;
  if (negative) {
    *w++ = '-';
  }
  if (exponent >= 0) {
    const int integer_digits = exponent + 1;
    for (int i = 0; i < integer_digits; ++i) {
      *w++ = i < digit_count ? digits[i] : '0';
    }
    *w++ = '.';
    if (digit_count > integer_digits) {
      w = std::copy(digits + integer_digits, digits + digit_count, w);
    } else {
      *w++ = '0';  // Python always shows a fraction digit: "100.0".
    }
  } else {
    *w++ = '0';
    *w++ = '.';
    w = std::fill_n(w, -exponent - 1, '0');
    w = std::copy(digits, digits + digit_count, w);
  }
  append_range(out, fixed, w);
}

std::string format_double_repr(double v) {
  std::string out;
  append_double_repr(out, v);
  return out;
}

void append_date(std::string& out, int64_t epoch_us) {
  char buf[32];
  char* end = write_date(buf, floor_div(epoch_us, kMicrosPerDay).quotient);
  append_range(out, buf, end);
}

std::string format_date(int64_t epoch_us) {
  std::string out;
  append_date(out, epoch_us);
  return out;
}

void append_timestamp_utc(std::string& out, int64_t epoch_us) {
  const auto [seconds, micros] = floor_div(epoch_us, kMicrosPerSecond);
  char buf[48];
  char* end = write_date_time(buf, seconds, micros);
  *end++ = 'Z';
  append_range(out, buf, end);
}

std::string format_timestamp_utc(int64_t epoch_us) {
  std::string out;
  append_timestamp_utc(out, epoch_us);
  return out;
}

void append_timestamp_at_offset(std::string& out, int64_t epoch_us, int32_t offset_seconds) {
  // Shift in whole seconds, not microseconds: |epoch seconds| <= ~9.3e12, so
  // adding any int32 cannot overflow, while epoch_us + offset * 1e6 could.
  const auto [seconds, micros] = floor_div(epoch_us, kMicrosPerSecond);
  char buf[64];
  char* end = write_date_time(buf, seconds + offset_seconds, micros);
  end = write_offset(end, offset_seconds);
  append_range(out, buf, end);
}

std::string format_timestamp_at_offset(int64_t epoch_us, int32_t offset_seconds) {
  std::string out;
  append_timestamp_at_offset(out, epoch_us, offset_seconds);
  return out;
}

void append_int128(std::string& out, int128 v) {
  char buf[kInt128DigitsCapacity + 1];
  char* end = buf + sizeof buf;
  char* begin = write_uint128_backwards(end, magnitude_of(v));
  if (v < 0) {
    *--begin = '-';
  }
  append_range(out, begin, end);
}

std::string format_int128(int128 v) {
  std::string out;
  append_int128(out, v);
  return out;
}

void append_decimal(std::string& out, int128 unscaled, int32_t scale) {
  assert(scale >= -kMaxDecimalScale && scale <= kMaxDecimalScale);
  scale = std::clamp(scale, -kMaxDecimalScale, kMaxDecimalScale);

  if (unscaled == 0 && scale <= 0) {
    out.push_back('0');  // Not "000" and never "-0".
    return;
  }

  char buf[kInt128DigitsCapacity];
  const char* const digits_end = buf + sizeof buf;
  const char* digits = write_uint128_backwards(buf + sizeof buf, magnitude_of(unscaled));
  const auto digit_count = static_cast<int32_t>(digits_end - digits);

  if (unscaled < 0) {
    out.push_back('-');
  }
  if (scale <= 0) {
    append_range(out, digits, digits_end);
    out.append(static_cast<size_t>(-scale), '0');
  } else if (digit_count > scale) {
    const char* point = digits_end - scale;
    append_range(out, digits, point);
    out.push_back('.');
    append_range(out, point, digits_end);
  } else {
    out.append("0.");
    out.append(static_cast<size_t>(scale - digit_count), '0');
    append_range(out, digits, digits_end);
  }
}

std::string format_decimal(int128 unscaled, int32_t scale) {
  std::string out;
  append_decimal(out, unscaled, scale);
  return out;
}

void append_hex(std::string& out, std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  const std::size_t start = out.size();
  out.resize(start + bytes.size() * 2);
  char* p = out.data() + start;
  for (const char c : bytes) {
    const auto u = static_cast<unsigned char>(c);
    *p++ = kDigits[u >> 4];
    *p++ = kDigits[u & 15];
  }
}

std::string format_hex(std::string_view bytes) {
  std::string out;
  append_hex(out, bytes);
  return out;
}

}  // namespace e6data::wire

#include "wire/value_format.hpp"

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <limits>
#include <random>
#include <string>

namespace e6data::wire {
namespace {

__extension__ using uint128 = unsigned __int128;  // __extension__ keeps -Wpedantic quiet.

constexpr int64_t kInt64Max = std::numeric_limits<int64_t>::max();
constexpr int64_t kInt64Min = std::numeric_limits<int64_t>::min();
constexpr int64_t kMicrosPerSecond = 1'000'000;
constexpr int64_t kMicrosPerDay = 86'400 * kMicrosPerSecond;

constexpr int128 kInt128Max = static_cast<int128>(~uint128{0} >> 1);
constexpr int128 kInt128Min = -kInt128Max - 1;

double from_bits(uint64_t bits) {
  return std::bit_cast<double>(bits);
}

int128 pow10_int128(int exponent) {
  int128 value = 1;
  for (int i = 0; i < exponent; ++i) {
    value *= 10;
  }
  return value;
}

// Digit-at-a-time 128-bit conversion: slow but obviously right, used as the
// oracle for the chunked production code.
std::string reference_int128(int128 v) {
  uint128 magnitude = v < 0 ? uint128{0} - static_cast<uint128>(v) : static_cast<uint128>(v);
  std::string digits;
  do {
    digits.insert(digits.begin(), static_cast<char>('0' + static_cast<int>(magnitude % 10)));
    magnitude /= 10;
  } while (magnitude != 0);
  return v < 0 ? "-" + digits : digits;
}

bool is_leap(int64_t year) {
  return year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
}

int days_in_month(int64_t year, int month) {
  static constexpr int kLengths[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return month == 2 && is_leap(year) ? 29 : kLengths[month - 1];
}

struct ParsedDate {
  int64_t year = 0;
  int month = 0;
  int day = 0;
};

// Parses and validates the canonical year spelling ("0042", "+10000", "-0001").
bool parse_date(const std::string& text, ParsedDate& out) {
  size_t pos = 0;
  int sign = 1;
  bool explicit_sign = false;
  if (text[0] == '+' || text[0] == '-') {
    explicit_sign = true;
    sign = text[0] == '-' ? -1 : 1;
    pos = 1;
  }
  const size_t dash = text.find('-', pos);
  if (dash == std::string::npos) {
    return false;
  }
  const size_t year_digits = dash - pos;
  if (year_digits < 4 || text.size() != dash + 6 || text[dash + 3] != '-') {
    return false;
  }
  out.year = sign * std::stoll(text.substr(pos, year_digits));
  if (explicit_sign != (out.year < 0 || out.year > 9999)) {
    return false;
  }
  if (out.year > 9999 && text[pos] == '0') {
    return false;
  }
  if (out.year < -9999 && text[pos] == '0') {
    return false;
  }
  if (!explicit_sign && year_digits != 4) {
    return false;
  }
  out.month = std::stoi(text.substr(dash + 1, 2));
  out.day = std::stoi(text.substr(dash + 4, 2));
  return out.month >= 1 && out.month <= 12 && out.day >= 1 &&
         out.day <= days_in_month(out.year, out.month);
}

ParsedDate next_day(ParsedDate date) {
  if (date.day < days_in_month(date.year, date.month)) {
    ++date.day;
  } else if (date.month < 12) {
    ++date.month;
    date.day = 1;
  } else {
    ++date.year;
    date.month = 1;
    date.day = 1;
  }
  return date;
}

// Checks that consecutive day numbers print consecutive, well-formed dates.
void expect_contiguous_days(int64_t first_day, int64_t last_day) {
  ParsedDate previous;
  ASSERT_TRUE(parse_date(format_date(first_day * kMicrosPerDay), previous));
  for (int64_t day = first_day + 1; day <= last_day; ++day) {
    const std::string text = format_date(day * kMicrosPerDay);
    ParsedDate current;
    ASSERT_TRUE(parse_date(text, current)) << text << " at day " << day;
    const ParsedDate expected = next_day(previous);
    ASSERT_TRUE(current.year == expected.year && current.month == expected.month &&
                current.day == expected.day)
        << text << " at day " << day;
    previous = current;
  }
}

// Python's repr has exactly two shapes; check the one we produced is the one
// Python would choose for this magnitude and is well formed.
void expect_python_repr_shape(double x, const std::string& text) {
  const double magnitude = std::fabs(x);
  const bool fixed_expected = x == 0 || (magnitude >= 1e-4 && magnitude < 1e16);
  const size_t start = text[0] == '-' ? 1 : 0;
  EXPECT_EQ(std::signbit(x), start == 1) << text;
  const size_t e = text.find('e');
  if (fixed_expected) {
    ASSERT_EQ(e, std::string::npos) << text;
    const size_t point = text.find('.');
    ASSERT_NE(point, std::string::npos) << text;
    ASSERT_GT(point, start) << text;
    ASSERT_LT(point + 1, text.size()) << text;
    // Shortest digits never end in zero, except the lone ".0" of integers.
    EXPECT_TRUE(text.back() != '0' || point + 2 == text.size()) << text;
    EXPECT_EQ(text.find_first_not_of("0123456789", start), point) << text;
    EXPECT_EQ(text.find_first_not_of("0123456789", point + 1), std::string::npos) << text;
  } else {
    ASSERT_NE(e, std::string::npos) << text;
    EXPECT_TRUE(text[start] >= '1' && text[start] <= '9') << text;
    if (e != start + 1) {
      EXPECT_EQ(text[start + 1], '.') << text;
      EXPECT_NE(text[e - 1], '0') << text;
      EXPECT_GT(e, start + 2) << text;
    }
    ASSERT_GE(text.size(), e + 4) << text;
    EXPECT_TRUE(text[e + 1] == '+' || text[e + 1] == '-') << text;
    const int exponent = std::stoi(text.substr(e + 1));
    EXPECT_TRUE(exponent < -4 || exponent >= 16) << text;
  }
}

// ---- double repr ----

TEST(ValueFormat, DoubleReprSpecialValues) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  EXPECT_EQ(format_double_repr(nan), "nan");
  EXPECT_EQ(format_double_repr(-nan), "nan");
  EXPECT_EQ(format_double_repr(from_bits(0x7ff0000000000001ULL)), "nan");  // signalling
  EXPECT_EQ(format_double_repr(from_bits(0xfff8000000000123ULL)), "nan");  // negative payload
  EXPECT_EQ(format_double_repr(inf), "inf");
  EXPECT_EQ(format_double_repr(-inf), "-inf");
  EXPECT_EQ(format_double_repr(0.0), "0.0");
  EXPECT_EQ(format_double_repr(-0.0), "-0.0");
}

TEST(ValueFormat, DoubleReprFixedNotationAlwaysHasFractionDigit) {
  EXPECT_EQ(format_double_repr(1.0), "1.0");
  EXPECT_EQ(format_double_repr(-1.0), "-1.0");
  EXPECT_EQ(format_double_repr(0.5), "0.5");
  EXPECT_EQ(format_double_repr(100.0), "100.0");
  EXPECT_EQ(format_double_repr(0.1), "0.1");
  EXPECT_EQ(format_double_repr(123456.789), "123456.789");
  EXPECT_EQ(format_double_repr(1e15), "1000000000000000.0");
  EXPECT_EQ(format_double_repr(9007199254740992.0), "9007199254740992.0");
  EXPECT_EQ(format_double_repr(9999999999999998.0), "9999999999999998.0");
  EXPECT_EQ(format_double_repr(100250739757989.17), "100250739757989.17");
  EXPECT_EQ(format_double_repr(1373852996662256.5), "1373852996662256.5");
}

TEST(ValueFormat, DoubleReprUsesScientificFromOneE16) {
  EXPECT_EQ(format_double_repr(1e16), "1e+16");
  EXPECT_EQ(format_double_repr(-1e16), "-1e+16");
  EXPECT_EQ(format_double_repr(1e22), "1e+22");
  EXPECT_EQ(format_double_repr(1e23), "1e+23");
  EXPECT_EQ(format_double_repr(123456789012345680.0), "1.2345678901234568e+17");
  EXPECT_EQ(format_double_repr(9.223372036854776e+18), "9.223372036854776e+18");
  EXPECT_EQ(format_double_repr(2.3524521938345724e+16), "2.3524521938345724e+16");
}

TEST(ValueFormat, DoubleReprFixedDownToOneEMinusFourThenScientific) {
  EXPECT_EQ(format_double_repr(1e-4), "0.0001");
  EXPECT_EQ(format_double_repr(-1e-4), "-0.0001");
  EXPECT_EQ(format_double_repr(0.00015), "0.00015");
  EXPECT_EQ(format_double_repr(0.0007937509046651298), "0.0007937509046651298");
  EXPECT_EQ(format_double_repr(1e-5), "1e-05");
  EXPECT_EQ(format_double_repr(9.999999999999999e-05), "9.999999999999999e-05");
  EXPECT_EQ(format_double_repr(-4.0556599515812864e-05), "-4.0556599515812864e-05");
}

TEST(ValueFormat, DoubleReprShortestRoundTripDigits) {
  EXPECT_EQ(format_double_repr(1.0 / 3.0), "0.3333333333333333");
  EXPECT_EQ(format_double_repr(2.0 / 3.0), "0.6666666666666666");
  EXPECT_EQ(format_double_repr(0.1 + 0.2), "0.30000000000000004");
  EXPECT_EQ(format_double_repr(-4424933087.60948), "-4424933087.60948");
  EXPECT_EQ(format_double_repr(857.0516816101185), "857.0516816101185");
  EXPECT_EQ(format_double_repr(-1.8896664607290006e-10), "-1.8896664607290006e-10");
}

TEST(ValueFormat, DoubleReprExtremesAndSubnormals) {
  EXPECT_EQ(format_double_repr(std::numeric_limits<double>::max()), "1.7976931348623157e+308");
  EXPECT_EQ(format_double_repr(-std::numeric_limits<double>::max()), "-1.7976931348623157e+308");
  EXPECT_EQ(format_double_repr(std::numeric_limits<double>::min()), "2.2250738585072014e-308");
  EXPECT_EQ(format_double_repr(std::numeric_limits<double>::denorm_min()), "5e-324");
  EXPECT_EQ(format_double_repr(-std::numeric_limits<double>::denorm_min()), "-5e-324");
  EXPECT_EQ(format_double_repr(from_bits(0x0000000000000003ULL)), "1.5e-323");
  EXPECT_EQ(format_double_repr(from_bits(0x000fffffffffffffULL)), "2.225073858507201e-308");
}

// Expected strings produced by CPython 3 repr() for the same bit patterns.
TEST(ValueFormat, DoubleReprMatchesPythonReferenceTable) {
  struct Case {
    uint64_t bits;
    const char* expected;
  };
  static constexpr Case kCases[] = {
      {0xbb91433a6aa79987ULL, "-9.1387497028769e-22"},
      {0xd1f6f86c029a7245ULL, "-7.139820454309632e+86"},
      {0xcd8778e7d340bbcdULL, "-3.089900467300506e+65"},
      {0xdaea58ba4c73a942ULL, "-9.131299887434701e+129"},
      {0xee8971105e503a67ULL, "-2.942877356480083e+224"},
      {0x452ec40a3193ca54ULL, "1.8596773229471727e+25"},
      {0x6facaa5090e5e945ULL, "8.692067227002291e+229"},
      {0x5f811cb929645f8bULL, "1.1202983176732331e+152"},
      {0xdfc9e3b11fcff454ULL, "-2.71187804877673e+153"},
      {0x42d6cb5c6ed4e94bULL, "100250739757989.17"},
      {0xa091250e8fe46024ULL, "-8.183770430730414e-152"},
      {0x9c9cea0c2ca1c789ULL, "-7.481942688750341e-171"},
      {0x2fd2b7a48d9fe5b9ULL, "2.525722336173709e-78"},
      {0xbcf74d7a5adad121ULL, "-5.1742273216317384e-15"},
      {0xbb9d58e4f543bbcfULL, "-1.5536301412264183e-21"},
      {0x87f26aee175f0cd2ULL, "-2.1789094907487126e-270"},
      {0xbc428d42fa882692ULL, "-2.011390540120253e-18"},
      {0x95c5fb986980a81fULL, "-8.764271883973625e-204"},
      {0x2aa4857e8101e89aULL, "2.863253393402251e-103"},
      {0x34a9af4125ece845ULL, "5.2374923668024025e-55"},
      {0x13ed748bb80e3b0dULL, "1.0936941514836716e-212"},
      {0xd64a3ce030a1f6d5ULL, "-4.8141078806962144e+107"},
      {0x527122dc57708107ULL, "1.3635548534927665e+89"},
      {0x7576714a06057c82ULL, "6.739508595758605e+257"},
      {0xbf05436a26016a25ULL, "-4.0556599515812864e-05"},
      {0x3ee59fa15ccf182eULL, "1.0310914967958601e-05"},
      {0x3f4a0277169e56fbULL, "0.0007937509046651298"},
      {0xbf3774dbdcb0549aULL, "-0.0003579174778576916"},
      {0x3f5fffa2850ee6baULL, "0.0019530379397409274"},
      {0x3f7f3fd6803127a1ULL, "0.007629239934496741"},
      {0xc023487707ad979aULL, "-9.641533126774267"},
      {0x4020873ad7572f40ULL, "8.264120797531746"},
      {0xc034c83ea552c97dULL, "-20.78220589896363"},
      {0x403d7967b58b1d0dULL, "29.474238726104023"},
      {0xc2f2dea7ebc6dd78ULL, "-331960148585943.5"},
      {0x43001936fc31ed9bULL, "566415447178675.4"},
      {0x4313860c4f5bcfc2ULL, "1373852996662256.5"},
      {0x432a5ffad56b6cf6ULL, "3711940160763515.0"},
      {0x4354e4db656957bfULL, "2.3524521938345724e+16"},
      {0xc3626b36beb994deULL, "-4.147545962424907e+16"},
      {0xc38ac9ab0ad728daULL, "-2.412827472940962e+17"},
      {0x4378c555995124e2ULL, "1.1155793401887491e+17"},
      {0x4341c37937e07fffULL, "9999999999999998.0"},
      {0x4341c37937e08000ULL, "1e+16"},
      {0x3f1a36e2eb1c432dULL, "0.0001"},
      {0x3f1a36e2eb1c432cULL, "9.999999999999999e-05"},
      {0x4340000000000000ULL, "9007199254740992.0"},
      {0x43e0000000000000ULL, "9.223372036854776e+18"},
      {0x0000000000000003ULL, "1.5e-323"},
      {0x0010000000000000ULL, "2.2250738585072014e-308"},
      {0x000fffffffffffffULL, "2.225073858507201e-308"},
      {0x44b52d02c7e14af6ULL, "1e+23"},
      {0x3fd3333333333333ULL, "0.3"},
      {0x3fe5555555555555ULL, "0.6666666666666666"},
      {0x430c6bf526340000ULL, "1000000000000000.0"},
      {0x419d6f3454800000ULL, "123456789.125"},
  };
  for (const Case& c : kCases) {
    EXPECT_EQ(format_double_repr(from_bits(c.bits)), c.expected) << std::hex << c.bits;
  }
}

TEST(ValueFormat, DoubleReprRoundTripsRandomBitPatterns) {
  std::mt19937_64 rng(0x5eed'e6da'7a00'0001ULL);
  int finite_checked = 0;
  for (int i = 0; i < 100'000; ++i) {
    const double x = from_bits(rng());
    const std::string text = format_double_repr(x);
    if (!std::isfinite(x)) {
      EXPECT_TRUE(text == "nan" || text == "inf" || text == "-inf") << text;
      continue;
    }
    ++finite_checked;
    const double parsed = std::strtod(text.c_str(), nullptr);
    ASSERT_EQ(std::bit_cast<uint64_t>(parsed), std::bit_cast<uint64_t>(x)) << text;
    expect_python_repr_shape(x, text);
  }
  EXPECT_GT(finite_checked, 99'000);
}

// Random bit patterns rarely land in the fixed-notation range, so sweep it
// explicitly, including both sides of each notation boundary.
TEST(ValueFormat, DoubleReprRoundTripsAcrossNotationBoundaries) {
  std::mt19937_64 rng(42);
  std::uniform_real_distribution<double> mantissa(1.0, 10.0);
  for (int exponent = -8; exponent <= 20; ++exponent) {
    for (int i = 0; i < 500; ++i) {
      const double x = mantissa(rng) * std::pow(10.0, exponent) * (i % 2 == 0 ? 1 : -1);
      const std::string text = format_double_repr(x);
      ASSERT_EQ(std::bit_cast<uint64_t>(std::strtod(text.c_str(), nullptr)),
                std::bit_cast<uint64_t>(x))
          << text;
      expect_python_repr_shape(x, text);
    }
  }
  for (const double boundary : {1e-4, 1e16}) {
    for (const double x :
         {std::nextafter(boundary, 0.0), boundary, std::nextafter(boundary, 1e300)}) {
      const std::string text = format_double_repr(x);
      EXPECT_EQ(std::strtod(text.c_str(), nullptr), x) << text;
      expect_python_repr_shape(x, text);
    }
  }
  // Whole numbers in the fixed range print with exactly one ".0".
  for (int64_t n = 1; n < 10'000'000'000'000'000; n *= 7) {
    EXPECT_EQ(format_double_repr(static_cast<double>(n)),
              std::to_string(static_cast<int64_t>(static_cast<double>(n))) + ".0");
  }
}

// ---- dates ----

TEST(ValueFormat, DateAtEpochAndJustBefore) {
  EXPECT_EQ(format_date(0), "1970-01-01");
  EXPECT_EQ(format_date(kMicrosPerDay - 1), "1970-01-01");
  EXPECT_EQ(format_date(kMicrosPerDay), "1970-01-02");
  EXPECT_EQ(format_date(-1), "1969-12-31");
  EXPECT_EQ(format_date(-kMicrosPerDay), "1969-12-31");
  EXPECT_EQ(format_date(-kMicrosPerDay - 1), "1969-12-30");
}

TEST(ValueFormat, DateHandlesLeapDays) {
  EXPECT_EQ(format_date(951782400000000), "2000-02-29");
  EXPECT_EQ(format_date(951782400000000 + kMicrosPerDay), "2000-03-01");
  EXPECT_EQ(format_date(-2203977600000000), "1900-02-28");
  EXPECT_EQ(format_date(-2203891200000000), "1900-03-01");  // 1900 is not a leap year
  EXPECT_EQ(format_date(4107456000000000), "2100-02-28");
  EXPECT_EQ(format_date(4107456000000000 + kMicrosPerDay), "2100-03-01");
  EXPECT_EQ(format_date(1709251199999999), "2024-02-29");
  EXPECT_EQ(format_date(1709251200000000), "2024-03-01");
}

TEST(ValueFormat, DateAroundYearZero) {
  constexpr int64_t kYearZero = -62167219200000000;
  EXPECT_EQ(format_date(kYearZero), "0000-01-01");
  EXPECT_EQ(format_date(kYearZero - 1), "-0001-12-31");
  EXPECT_EQ(format_date(kYearZero - kMicrosPerDay), "-0001-12-31");
  // Year 0 is a leap year in the proleptic Gregorian calendar.
  EXPECT_EQ(format_date(kYearZero + 59 * kMicrosPerDay), "0000-02-29");
  EXPECT_EQ(format_date(kYearZero - 366 * kMicrosPerDay), "-0002-12-31");
  EXPECT_EQ(format_date(kYearZero + 365 * kMicrosPerDay), "0000-12-31");
  EXPECT_EQ(format_date(kYearZero + 366 * kMicrosPerDay), "0001-01-01");
}

TEST(ValueFormat, DateBeyondYear9999UsesPlusSign) {
  constexpr int64_t kYear10000 = 253402300800000000;
  EXPECT_EQ(format_date(kYear10000), "+10000-01-01");
  EXPECT_EQ(format_date(kYear10000 - 1), "9999-12-31");
}

TEST(ValueFormat, DateAtInt64Extremes) {
  EXPECT_EQ(format_date(kInt64Max), "+294247-01-10");
  EXPECT_EQ(format_date(kInt64Min), "-290308-12-21");
}

TEST(ValueFormat, DateSequenceIsContiguous) {
  // Years ~1420..2520 day by day, then windows around every spelling switch.
  expect_contiguous_days(-200'000, 200'000);
  constexpr int64_t kYearZeroDay = -719'528;
  constexpr int64_t kYear10000Day = 2'932'897;
  constexpr int64_t kYearMinus9999Day = -4'371'587;  // ~ -9999-01-01
  for (const int64_t center : {kYearZeroDay, kYearMinus9999Day, kYear10000Day}) {
    expect_contiguous_days(center - 3'000, center + 3'000);
  }
  expect_contiguous_days(kYearZeroDay - 366'000, kYearZeroDay - 364'000);  // ~ year -1000
  const int64_t min_day = kInt64Min / kMicrosPerDay;  // truncation keeps it in range
  const int64_t max_day = kInt64Max / kMicrosPerDay;
  expect_contiguous_days(min_day, min_day + 20'000);
  expect_contiguous_days(max_day - 20'000, max_day);
}

// ---- timestamps ----

TEST(ValueFormat, TimestampUtcExamples) {
  EXPECT_EQ(format_timestamp_utc(0), "1970-01-01T00:00:00.000000Z");
  EXPECT_EQ(format_timestamp_utc(1), "1970-01-01T00:00:00.000001Z");
  EXPECT_EQ(format_timestamp_utc(-1), "1969-12-31T23:59:59.999999Z");
  EXPECT_EQ(format_timestamp_utc(-kMicrosPerSecond), "1969-12-31T23:59:59.000000Z");
  EXPECT_EQ(format_timestamp_utc(-kMicrosPerSecond - 1), "1969-12-31T23:59:58.999999Z");
  EXPECT_EQ(format_timestamp_utc(1710506096789012), "2024-03-15T12:34:56.789012Z");
  EXPECT_EQ(format_timestamp_utc(-62167219200000000), "0000-01-01T00:00:00.000000Z");
  EXPECT_EQ(format_timestamp_utc(-62167219200000001), "-0001-12-31T23:59:59.999999Z");
  EXPECT_EQ(format_timestamp_utc(253402300800000000), "+10000-01-01T00:00:00.000000Z");
  EXPECT_EQ(format_timestamp_utc(kInt64Max), "+294247-01-10T04:00:54.775807Z");
  EXPECT_EQ(format_timestamp_utc(kInt64Min), "-290308-12-21T19:59:05.224192Z");
}

TEST(ValueFormat, TimestampUtcMatchesGmtime) {
  // gmtime_r covers years 1..9999 (and beyond) with a 64-bit time_t.
  constexpr int64_t kFirstSecond = -62135596800;  // 0001-01-01T00:00:00Z
  constexpr int64_t kLastSecond = 253402300799;   // 9999-12-31T23:59:59Z
  std::mt19937_64 rng(20240315);
  std::uniform_int_distribution<int64_t> seconds_dist(kFirstSecond, kLastSecond);
  std::uniform_int_distribution<int64_t> micros_dist(0, kMicrosPerSecond - 1);
  for (int i = 0; i < 5'000; ++i) {
    // Bias a quarter of the samples near the epoch where real data lives.
    const int64_t seconds = i % 4 == 0 ? seconds_dist(rng) % 4'000'000'000 : seconds_dist(rng);
    const int64_t micros = micros_dist(rng);
    const auto t = static_cast<std::time_t>(seconds);
    std::tm tm{};
    ASSERT_NE(gmtime_r(&t, &tm), nullptr);
    char date[32];
    char timestamp[64];
    std::snprintf(date, sizeof date, "%04d-%02d-%02d", tm.tm_year + 1900, tm.tm_mon + 1,
                  tm.tm_mday);
    std::snprintf(timestamp, sizeof timestamp, "%sT%02d:%02d:%02d.%06dZ", date, tm.tm_hour,
                  tm.tm_min, tm.tm_sec, static_cast<int>(micros));
    const int64_t us = seconds * kMicrosPerSecond + micros;
    ASSERT_EQ(format_date(us), date) << us;
    ASSERT_EQ(format_timestamp_utc(us), timestamp) << us;
  }
}

TEST(ValueFormat, TimestampAtOffsetExamples) {
  constexpr int64_t kInstant = 1710506096789012;  // 2024-03-15T12:34:56.789012Z
  EXPECT_EQ(format_timestamp_at_offset(kInstant, 0), "2024-03-15T12:34:56.789012+00:00");
  EXPECT_EQ(format_timestamp_at_offset(kInstant, 19'800), "2024-03-15T18:04:56.789012+05:30");
  EXPECT_EQ(format_timestamp_at_offset(kInstant, -25'200), "2024-03-15T05:34:56.789012-07:00");
  EXPECT_EQ(format_timestamp_at_offset(kInstant, -28'378), "2024-03-15T04:41:58.789012-07:52:58");
  EXPECT_EQ(format_timestamp_at_offset(kInstant, 45), "2024-03-15T12:35:41.789012+00:00:45");
  EXPECT_EQ(format_timestamp_at_offset(kInstant, -45), "2024-03-15T12:34:11.789012-00:00:45");
  // Los Angeles local mean time on the day US railways adopted standard time.
  EXPECT_EQ(format_timestamp_at_offset(-2717668800000000, -28'378),
            "1883-11-18T04:07:02.000000-07:52:58");
}

TEST(ValueFormat, TimestampAtOffsetCrossesDayAndYearBoundaries) {
  EXPECT_EQ(format_timestamp_at_offset(1735675200000000, 19'800),
            "2025-01-01T01:30:00.000000+05:30");
  EXPECT_EQ(format_timestamp_at_offset(0, -1), "1969-12-31T23:59:59.000000-00:00:01");
  EXPECT_EQ(format_timestamp_at_offset(-1, 3'600), "1970-01-01T00:59:59.999999+01:00");
  EXPECT_EQ(format_timestamp_at_offset(-62167219200000000, -3'600),
            "-0001-12-31T23:00:00.000000-01:00");
}

TEST(ValueFormat, TimestampAtOffsetDoesNotOverflowAtInt64Extremes) {
  constexpr int32_t kEighteenHours = 18 * 3'600;
  EXPECT_EQ(format_timestamp_at_offset(kInt64Max, kEighteenHours),
            "+294247-01-10T22:00:54.775807+18:00");
  EXPECT_EQ(format_timestamp_at_offset(kInt64Min, -kEighteenHours),
            "-290308-12-21T01:59:05.224192-18:00");
  EXPECT_EQ(format_timestamp_at_offset(kInt64Max, -kEighteenHours),
            "+294247-01-09T10:00:54.775807-18:00");
  EXPECT_EQ(format_timestamp_at_offset(kInt64Min, kEighteenHours),
            "-290308-12-22T13:59:05.224192+18:00");
  // Even absurd int32 offsets stay in range (hours just grow past 2 digits).
  EXPECT_EQ(format_timestamp_at_offset(kInt64Min, std::numeric_limits<int32_t>::min()),
            "-290376-12-03T16:44:57.224192-596523:14:08");
  EXPECT_EQ(format_timestamp_at_offset(kInt64Max, std::numeric_limits<int32_t>::max()),
            "+294315-01-29T07:15:01.775807+596523:14:07");
}

TEST(ValueFormat, TimestampAtOffsetEqualsShiftedUtc) {
  std::mt19937_64 rng(7);
  std::uniform_int_distribution<int64_t> us_dist(-400'000'000'000'000'000, 400'000'000'000'000'000);
  std::uniform_int_distribution<int32_t> offset_dist(-18 * 3'600, 18 * 3'600);
  for (int i = 0; i < 5'000; ++i) {
    const int64_t us = us_dist(rng);
    const int32_t offset = offset_dist(rng);
    std::string local = format_timestamp_utc(us + offset * kMicrosPerSecond);
    local.pop_back();  // drop 'Z'
    const std::string text = format_timestamp_at_offset(us, offset);
    ASSERT_EQ(text.substr(0, local.size()), local) << us << " " << offset;
    const char* suffix = text.c_str() + local.size();
    const int64_t magnitude = offset < 0 ? -int64_t{offset} : offset;
    char expected_suffix[24];
    if (magnitude % 60 == 0) {
      std::snprintf(expected_suffix, sizeof expected_suffix, "%c%02d:%02d", offset < 0 ? '-' : '+',
                    static_cast<int>(magnitude / 3600), static_cast<int>(magnitude / 60 % 60));
    } else {
      std::snprintf(expected_suffix, sizeof expected_suffix, "%c%02d:%02d:%02d",
                    offset < 0 ? '-' : '+', static_cast<int>(magnitude / 3600),
                    static_cast<int>(magnitude / 60 % 60), static_cast<int>(magnitude % 60));
    }
    ASSERT_STREQ(suffix, expected_suffix) << us << " " << offset;
  }
}

// ---- int128 ----

TEST(ValueFormat, Int128Examples) {
  EXPECT_EQ(format_int128(0), "0");
  EXPECT_EQ(format_int128(1), "1");
  EXPECT_EQ(format_int128(-1), "-1");
  EXPECT_EQ(format_int128(kInt64Max), "9223372036854775807");
  EXPECT_EQ(format_int128(kInt64Min), "-9223372036854775808");
  EXPECT_EQ(format_int128(pow10_int128(38) - 1), std::string(38, '9'));
  EXPECT_EQ(format_int128(-(pow10_int128(38) - 1)), "-" + std::string(38, '9'));
  EXPECT_EQ(format_int128(kInt128Max), "170141183460469231731687303715884105727");
  EXPECT_EQ(format_int128(kInt128Min), "-170141183460469231731687303715884105728");
}

TEST(ValueFormat, Int128AroundChunkBoundaries) {
  const int128 two_pow_64 = static_cast<int128>(uint128{1} << 64);
  EXPECT_EQ(format_int128(two_pow_64 - 1), "18446744073709551615");
  EXPECT_EQ(format_int128(two_pow_64), "18446744073709551616");
  EXPECT_EQ(format_int128(-two_pow_64), "-18446744073709551616");
  EXPECT_EQ(format_int128(pow10_int128(19)), "1" + std::string(19, '0'));
  EXPECT_EQ(format_int128(pow10_int128(19) - 1), std::string(19, '9'));
  EXPECT_EQ(format_int128(pow10_int128(20)), "1" + std::string(20, '0'));
  EXPECT_EQ(format_int128(pow10_int128(38)), "1" + std::string(38, '0'));
  EXPECT_EQ(format_int128(pow10_int128(38) + 1), "1" + std::string(37, '0') + "1");
  for (int i = 0; i <= 38; ++i) {
    EXPECT_EQ(format_int128(pow10_int128(i)), "1" + std::string(i, '0'));
  }
}

TEST(ValueFormat, Int128MatchesReferenceForRandomValues) {
  std::mt19937_64 rng(128);
  for (int i = 0; i < 20'000; ++i) {
    auto bits = (uint128{rng()} << 64) | rng();
    bits >>= rng() % 128;  // spread over all magnitudes
    const int128 v = static_cast<int128>(bits) * (i % 2 == 0 ? 1 : -1);
    ASSERT_EQ(format_int128(v), reference_int128(v));
  }
}

// ---- decimal ----

TEST(ValueFormat, DecimalExamples) {
  EXPECT_EQ(format_decimal(12300, 2), "123.00");
  EXPECT_EQ(format_decimal(1, 38), "0.00000000000000000000000000000000000001");
  EXPECT_EQ(format_decimal(5, -2), "500");
  EXPECT_EQ(format_decimal(-12345, 2), "-123.45");
  EXPECT_EQ(format_decimal(0, 2), "0.00");
  EXPECT_EQ(format_decimal(-1, 3), "-0.001");
  EXPECT_EQ(format_decimal(0, -2), "0");
  EXPECT_EQ(format_decimal(0, 0), "0");
  EXPECT_EQ(format_decimal(7, 0), "7");
  EXPECT_EQ(format_decimal(-7, -3), "-7000");
  EXPECT_EQ(format_decimal(pow10_int128(38) - 1, 0), std::string(38, '9'));
  EXPECT_EQ(format_decimal(pow10_int128(38) - 1, 38), "0." + std::string(38, '9'));
  EXPECT_EQ(format_decimal(-(pow10_int128(38) - 1), 10),
            "-" + std::string(28, '9') + "." + std::string(10, '9'));
}

TEST(ValueFormat, DecimalPointPlacementAroundDigitCount) {
  EXPECT_EQ(format_decimal(123, 1), "12.3");
  EXPECT_EQ(format_decimal(123, 2), "1.23");
  EXPECT_EQ(format_decimal(123, 3), "0.123");
  EXPECT_EQ(format_decimal(123, 4), "0.0123");
  EXPECT_EQ(format_decimal(-123, 3), "-0.123");
  EXPECT_EQ(format_decimal(0, 1), "0.0");
  EXPECT_EQ(format_decimal(10, 1), "1.0");
}

TEST(ValueFormat, DecimalInt128MinAtScalesZeroAndFive) {
  EXPECT_EQ(format_decimal(kInt128Min, 0), "-170141183460469231731687303715884105728");
  EXPECT_EQ(format_decimal(kInt128Min, 5), "-1701411834604692317316873037158841.05728");
  EXPECT_EQ(format_decimal(kInt128Max, 5), "1701411834604692317316873037158841.05727");
  EXPECT_EQ(format_decimal(kInt128Min, 39), "-0.170141183460469231731687303715884105728");
}

TEST(ValueFormat, DecimalAtScaleLimits) {
  EXPECT_EQ(format_decimal(1, kMaxDecimalScale),
            "0." + std::string(kMaxDecimalScale - 1, '0') + "1");
  EXPECT_EQ(format_decimal(-3, -kMaxDecimalScale), "-3" + std::string(kMaxDecimalScale, '0'));
  EXPECT_EQ(format_decimal(0, kMaxDecimalScale), "0." + std::string(kMaxDecimalScale, '0'));
  EXPECT_EQ(format_decimal(0, -kMaxDecimalScale), "0");
}

// ---- append variants ----

TEST(ValueFormat, AppendVariantsAppendToExistingText) {
  std::string out = "x=";
  append_double_repr(out, 0.5);
  out += ',';
  append_date(out, 0);
  out += ',';
  append_timestamp_utc(out, -1);
  out += ',';
  append_timestamp_at_offset(out, 0, 19'800);
  out += ',';
  append_int128(out, -42);
  out += ',';
  append_decimal(out, -12345, 2);
  EXPECT_EQ(out,
            "x=0.5,1970-01-01,1969-12-31T23:59:59.999999Z,1970-01-01T05:30:00.000000+05:30,"
            "-42,-123.45");
}

}  // namespace
}  // namespace e6data::wire

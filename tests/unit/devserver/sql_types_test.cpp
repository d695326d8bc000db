#include "devserver/sql_types.hpp"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <cmath>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "wire/value_format.hpp"

namespace e6data::devserver {
namespace {

TEST(SqlTypes, DeclaredTypesMap) {
  auto type = [](const char* declared) { return column_type_from_declared(declared)->vector_type; };
  EXPECT_EQ(type("BIGINT"), VectorType::kLong);
  EXPECT_EQ(type("integer"), VectorType::kLong);
  EXPECT_EQ(type("INT"), VectorType::kInteger);
  EXPECT_EQ(type("DOUBLE"), VectorType::kDouble);
  EXPECT_EQ(type("REAL"), VectorType::kDouble);
  EXPECT_EQ(type("BOOLEAN"), VectorType::kBoolean);
  EXPECT_EQ(type("VARCHAR(20)"), VectorType::kString);
  EXPECT_EQ(type("BLOB"), VectorType::kBinary);
  EXPECT_EQ(type("DATE"), VectorType::kDate);
  EXPECT_EQ(type("TIMESTAMP"), VectorType::kDateTime);
  EXPECT_EQ(type("TIMESTAMPTZ"), VectorType::kTimestampTz);
  const auto decimal = column_type_from_declared("DECIMAL(12, 3)");
  EXPECT_EQ(decimal->vector_type, VectorType::kDecimal128);
  EXPECT_EQ(decimal->decimal_scale, 3);
  EXPECT_FALSE(column_type_from_declared(""));
  EXPECT_FALSE(column_type_from_declared("WHATEVER"));
  EXPECT_EQ(column_type_from_storage(SQLITE_FLOAT).vector_type, VectorType::kDouble);
  EXPECT_EQ(column_type_from_storage(SQLITE_NULL).vector_type, VectorType::kString);
}

TEST(SqlTypes, DatesAndTimestampsParseToEpochMicros) {
  EXPECT_EQ(parse_date("1970-01-01"), 0);
  EXPECT_EQ(wire::format_date(*parse_date("2024-02-29")), "2024-02-29");
  EXPECT_FALSE(parse_date("2023-02-29"));
  EXPECT_FALSE(parse_date("2024-13-01"));
  EXPECT_FALSE(parse_date("24-01-01"));
  const auto ts = parse_timestamp("2024-06-20T21:43:20.123456+05:30");
  ASSERT_TRUE(ts);
  EXPECT_EQ(ts->epoch_us, 1'718'900'000'123'456);
  EXPECT_EQ(ts->zone, "+05:30");
  EXPECT_EQ(parse_timestamp("2024-06-20 16:13:20.5Z")->epoch_us, 1'718'900'000'500'000);
  EXPECT_EQ(parse_timestamp("2024-06-20T16:13:20")->zone, "UTC");
  EXPECT_FALSE(parse_timestamp("2024-06-20T25:00:00Z"));
  EXPECT_FALSE(parse_timestamp("2024-06-20T10:00:00+19:00"));
  EXPECT_FALSE(parse_timestamp("2024-06-20T10:00:00 PST"));
}

TEST(SqlTypes, DecimalsParseExactlyAtTheirScale) {
  EXPECT_EQ(wire::format_decimal(*parse_decimal("123.45", 2), 2), "123.45");
  EXPECT_EQ(wire::format_decimal(*parse_decimal("-7", 2), 2), "-7.00");
  EXPECT_EQ(wire::format_decimal(*parse_decimal("0.125", 2), 2), "0.13");  // half away from zero
  EXPECT_EQ(wire::format_decimal(*parse_decimal("-0.125", 2), 2), "-0.13");
  EXPECT_EQ(wire::format_decimal(*parse_decimal("99999999999999999999999999999999999999", 0), 0),
            "99999999999999999999999999999999999999");
  // SQLite's text of a REAL below 1e-4 has an exponent.
  EXPECT_EQ(wire::format_decimal(*parse_decimal("1.0e-05", 5), 5), "0.00001");
  EXPECT_EQ(wire::format_decimal(*parse_decimal("1.0e-05", 2), 2), "0.00");
  EXPECT_EQ(wire::format_decimal(*parse_decimal("-2.5E-3", 2), 2), "0.00");
  EXPECT_EQ(wire::format_decimal(*parse_decimal("-5e-3", 2), 2), "-0.01");  // half away from zero
  EXPECT_EQ(wire::format_decimal(*parse_decimal("1.5e+3", 0), 0), "1500");
  EXPECT_EQ(wire::format_decimal(*parse_decimal("12.5e1", 1), 1), "125.0");
  EXPECT_FALSE(parse_decimal("1e400", 0));  // past 38 digits
  EXPECT_FALSE(parse_decimal("1e", 2));
  EXPECT_FALSE(parse_decimal("e5", 2));
  EXPECT_FALSE(parse_decimal("1.2e3.4", 2));
  EXPECT_FALSE(parse_decimal("1e-4000", 2));
  EXPECT_FALSE(parse_decimal("1.2.3", 2));
  EXPECT_FALSE(parse_decimal("abc", 2));
  EXPECT_FALSE(parse_decimal("", 2));
}

// decimal_from_real() stands in for SQLite's own text of a REAL (the dev server's DECIMAL columns)
// only where it gives exactly what parse_decimal() of that text gives. Checked against a real
// SQLite's rendering: random money values (the fast path must take them all), and values where a
// shortcut through the double would round differently from the text.
TEST(SqlTypes, ADecimalReadFromItsDoubleEqualsTheDecimalOfSqlitesText) {
  sqlite3* raw = nullptr;
  ASSERT_EQ(sqlite3_open(":memory:", &raw), SQLITE_OK);
  std::unique_ptr<sqlite3, decltype(&sqlite3_close)> db(raw, &sqlite3_close);
  sqlite3_stmt* stmt_raw = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db.get(), "SELECT ?1", -1, &stmt_raw, nullptr), SQLITE_OK);
  std::unique_ptr<sqlite3_stmt, decltype(&sqlite3_finalize)> stmt(stmt_raw, &sqlite3_finalize);
  const auto sqlite_text = [&](double v) {
    sqlite3_reset(stmt.get());
    sqlite3_bind_double(stmt.get(), 1, v);
    EXPECT_EQ(sqlite3_step(stmt.get()), SQLITE_ROW);
    const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt.get(), 0));
    return std::string(text ? text : "");
  };
  int fast = 0;
  int checked = 0;
  // Returns whether the fast path answered; when it did, it must equal the text's decimal.
  const auto check = [&](double v, std::int32_t scale) {
    const auto quick = decimal_from_real(v, scale);
    ++checked;
    if (!quick) return false;
    ++fast;
    const std::string text = sqlite_text(v);
    const auto slow = parse_decimal(text, scale);
    EXPECT_TRUE(slow.has_value()) << text;
    if (slow) {
      EXPECT_EQ(wire::format_decimal(*quick, scale), wire::format_decimal(*slow, scale))
          << "value " << text << " at scale " << scale;
    }
    return true;
  };

  std::mt19937_64 random(20261202);
  for (int i = 0; i < 100000; ++i) {
    const std::int32_t scale = static_cast<std::int32_t>(random() % 5);
    // Up to 13 integer digits: at most 15 significant digits with two fraction digits.
    const auto magnitude = static_cast<std::int64_t>(random() % 10'000'000'000'000ULL);
    const double unit = std::pow(10.0, scale);
    const double v = static_cast<double>(i % 2 ? -magnitude : magnitude) / unit;
    if (std::fabs(static_cast<double>(magnitude)) < 1e15) {
      EXPECT_TRUE(check(v, scale))
          << "a decimal of at most 15 digits must take the fast path: " << sqlite_text(v);
    }
  }
  // Any double at all: wherever the fast path answers, it agrees with the text.
  for (int i = 0; i < 100000; ++i) {
    // Up to 2^53 times 2^-173 .. 2^26: the smallest and the largest SQLite writes with an
    // exponent.
    const double v =
        std::ldexp(static_cast<double>(random() >> 11), static_cast<int>(random() % 200) - 173);
    (void)check(i % 2 ? -v : v, static_cast<std::int32_t>(random() % 16));
  }
  // Where the double is not the decimal it looks like, the text decides (it rounds half away
  // from zero at the scale): 1.005 is 1.00499999999999989..., 0.125 and 2.5 are exact ties.
  for (const double v : {1.005, 2.675, 0.125, -0.125, 2.5, 0.1 + 0.2, 1e15, 123456789012345.6,
                         99999999999999.99, 5e-324, 1e300}) {
    (void)check(v, 2);
    (void)check(v, 0);
  }
  EXPECT_FALSE(decimal_from_real(0.125, 2));  // a tie at the scale: only the text can say
  EXPECT_FALSE(decimal_from_real(99999999999999.99, 2));  // 16 digits
  EXPECT_FALSE(decimal_from_real(std::nan(""), 2));
  EXPECT_FALSE(decimal_from_real(1.5, 16));  // 10^16 and beyond: the text path
  EXPECT_TRUE(check(1e-5, 5));               // SQLite's text is 1.0e-05
  EXPECT_TRUE(check(-3e-7, 7));
  EXPECT_EQ(wire::format_decimal(*decimal_from_real(-1234.5, 2), 2), "-1234.50");
  EXPECT_GT(fast, 100000);
  EXPECT_GT(checked, fast);
}

}  // namespace
}  // namespace e6data::devserver

#include "devserver/sql_types.hpp"

#include <gtest/gtest.h>

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
  EXPECT_FALSE(parse_decimal("1.2.3", 2));
  EXPECT_FALSE(parse_decimal("abc", 2));
  EXPECT_FALSE(parse_decimal("", 2));
}

}  // namespace
}  // namespace e6data::devserver

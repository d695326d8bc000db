// The public read API of Batch and ColumnView: zero-copy spans, strict and checked reads,
// ranges, lifetimes.

#include "e6data/batch.hpp"

#include <gtest/gtest.h>

#include "wire/column_builder.hpp"

namespace e6data {
namespace {

using wire::BatchBuilder;
using wire::ColumnBuilder;

Batch sample_batch() {
  ColumnBuilder ids(VectorType::kLong);
  ids.append_int64(10);
  ids.append_null();
  ids.append_int64(30);
  ColumnBuilder names(VectorType::kString);
  names.append_bytes("a");
  names.append_bytes("");
  names.append_null();
  ColumnBuilder when(VectorType::kTimestampTz);
  when.append_timestamp_tz(0, "Asia/Kolkata");
  when.append_timestamp_tz(0, "-03:30");
  when.append_null();
  BatchBuilder batch;
  batch.add_column(std::move(ids).finish());
  batch.add_column(std::move(names).finish());
  batch.add_column(std::move(when).finish());
  batch.add_column(ColumnBuilder::constant(VectorType::kDecimal128, 3, Decimal128{-12345, 2}));
  return std::move(batch).finish();
}

TEST(Batch, ColumnValuesAreZeroCopySpans) {
  const Batch batch = sample_batch();
  const auto a = batch.column(0).values<std::int64_t>();
  const auto b = batch.column(0).values<std::int64_t>();
  EXPECT_EQ(a.data(), b.data());
  ASSERT_EQ(a.size(), 3u);
  EXPECT_EQ(a[0], 10);
  EXPECT_EQ(a[2], 30);
}

TEST(Batch, StrictReadOfAnotherTypeThrowsUsageError) {
  const Batch batch = sample_batch();
  EXPECT_THROW(batch.column(0).values<double>(), UsageError);
  EXPECT_THROW(batch.column(1).int64_at(0), UsageError);
  EXPECT_THROW(batch.column(0).zone_at(0), UsageError);
  try {
    batch.column(0).string_at(0);
    FAIL();
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("LONG"), std::string::npos) << e.what();
    EXPECT_EQ(e.kind(), ErrorKind::kUsage);
  }
}

TEST(Batch, CheckedReadReturnsNulloptForNullOrOtherType) {
  const Batch batch = sample_batch();
  EXPECT_EQ(batch.column(0).get<std::int64_t>(0), 10);
  EXPECT_EQ(batch.column(0).get<std::int64_t>(1), std::nullopt);
  EXPECT_EQ(batch.column(0).get<double>(0), std::nullopt);
  EXPECT_EQ(batch.column(1).get<std::string_view>(1), "");
}

TEST(Batch, OutOfRangeIndexesThrowUsageError) {
  const Batch batch = sample_batch();
  EXPECT_THROW(batch.column(4), UsageError);
  EXPECT_THROW(batch.row(3), UsageError);
  EXPECT_THROW(batch.row(-1), UsageError);
  EXPECT_THROW(batch.column(0).int64_at(3), UsageError);
  EXPECT_THROW(batch.row(0)[9], UsageError);
}

TEST(Batch, RowsIterateInOrderWithDisplayText) {
  const Batch batch = sample_batch();
  std::vector<std::string> rendered;
  for (const RowView row : batch.rows()) {
    std::string line;
    for (std::size_t c = 0; c < row.size(); ++c) line += (c ? "|" : "") + row.to_string(c);
    rendered.push_back(line);
  }
  EXPECT_EQ(rendered,
            (std::vector<std::string>{"10|a|1970-01-01T05:30:00.000000+05:30[Asia/Kolkata]|-123.45",
                                      "NULL||1969-12-31T20:30:00.000000-03:30|-123.45",
                                      "30|NULL|NULL|-123.45"}));
}

TEST(Batch, TimestampTzValueCarriesZoneAndOffset) {
  const Batch batch = sample_batch();
  const auto v = batch.column(2).get<TimestampTz>(0);
  ASSERT_TRUE(v);
  EXPECT_EQ(v->zone, "Asia/Kolkata");
  EXPECT_EQ(v->offset_seconds, 5 * 3600 + 30 * 60);
}

TEST(Batch, ConstantColumnStoresOneValue) {
  const Batch batch = sample_batch();
  const ColumnView column = batch.column(3);
  EXPECT_TRUE(column.is_constant());
  EXPECT_EQ(column.values<int128>().size(), 1u);
  EXPECT_EQ(column.decimal_at(2), (Decimal128{-12345, 2}));
}

TEST(Batch, CopiesShareStorageAndKeepItAlive) {
  std::string_view view;
  Batch copy;
  {
    const Batch original = sample_batch();
    copy = original;
    view = original.column(1).string_at(0);
  }
  EXPECT_EQ(copy.column(1).string_at(0).data(), view.data());
  EXPECT_EQ(view, "a");
}

TEST(Batch, DefaultBatchIsEndOfResults) {
  const Batch batch;
  EXPECT_TRUE(batch.is_end_of_results());
  EXPECT_EQ(batch.num_columns(), 0u);
  EXPECT_EQ(batch.rows().begin(), batch.rows().end());
}

TEST(VectorType, NamesAndIdsRoundTrip) {
  for (std::int32_t id = 0; id <= 16; ++id) {
    const auto type = vector_type_from_id(id);
    ASSERT_TRUE(type);
    EXPECT_EQ(vector_type_from_name(to_string(*type)), type);
  }
  EXPECT_FALSE(vector_type_from_id(17));
  EXPECT_FALSE(vector_type_from_id(-1));
  EXPECT_EQ(to_string(VectorType::kTimestampTz), "TIMESTAMP_TZ");
}

}  // namespace
}  // namespace e6data

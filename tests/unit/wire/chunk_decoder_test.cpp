// Rules of the Chunk decoder beyond the public vectors: allocation bounds, error offsets,
// nesting, constant vectors, zones, scales, the metadata column check.

#include "wire/chunk_decoder.hpp"

#include <gtest/gtest.h>

#include <limits>

#include "chunk_bytes.hpp"
#include "e6data/decode.hpp"

namespace e6data {
namespace {

using testing::constant_chunk;
using testing::long_chunk;
using wire::ThriftBinaryWriter;
using wire::TType;

DecodeError decode_error(const std::string& bytes, DecodeOptions options = {}) {
  try {
    decode_result_batch(bytes, options);
  } catch (const DecodeError& e) {
    return e;
  }
  ADD_FAILURE() << "decoding succeeded";
  return DecodeError("none", 0);
}

TEST(ChunkDecoder, DecodesLongValues) {
  const Batch batch = decode_result_batch(long_chunk(3, {1, -2, 3}));
  ASSERT_EQ(batch.num_rows(), 3);
  ASSERT_EQ(batch.num_columns(), 1u);
  const auto values = batch.column(0).values<std::int64_t>();
  EXPECT_EQ(std::vector<std::int64_t>(values.begin(), values.end()),
            (std::vector<std::int64_t>{1, -2, 3}));
}

TEST(ChunkDecoder, EmptyPayloadIsEndOfResults) {
  const Batch batch = decode_result_batch("");
  EXPECT_TRUE(batch.is_end_of_results());
  EXPECT_EQ(batch.num_columns(), 0u);
}

TEST(ChunkDecoder, RejectsListCountBeyondInputBeforeAllocating) {
  std::string bytes = long_chunk(1, {7});
  // Patch the int64 list count (the last 4-byte count before the 8 value bytes) to 2^31-1.
  const std::size_t count_at = bytes.size() - 4 - 8 - 4;  // 4 stop bytes, 1 value, the count
  bytes.replace(count_at, 4, std::string("\x7f\xff\xff\xff", 4));
  const DecodeError e = decode_error(bytes);
  EXPECT_NE(std::string(e.what()).find("2147483647"), std::string::npos) << e.what();
  EXPECT_EQ(e.offset(), count_at - 1);  // the list header starts with its element type
}

TEST(ChunkDecoder, TruncationReportsTheEndOfInput) {
  const std::string bytes = long_chunk(2, {1, 2});
  for (std::size_t cut = 1; cut < bytes.size(); ++cut) {
    const DecodeError e = decode_error(bytes.substr(0, cut));
    EXPECT_LE(e.offset(), cut) << "cut at " << cut << ": " << e.what();
  }
}

TEST(ChunkDecoder, ConstantVectorWithHugeSizeStaysCompact) {
  // 2^31-1 rows from a few dozen bytes: one stored value, one null flag.
  const std::int32_t rows = std::numeric_limits<std::int32_t>::max();
  const Batch batch = decode_result_batch(constant_chunk(rows, 6, false, [](ThriftBinaryWriter& w) {
    w.field(TType::kStruct, 11);  // numericConstantData
    w.field(TType::kI64, 1);
    w.i64(42);
    w.stop();
  }));
  EXPECT_EQ(batch.num_rows(), rows);
  const ColumnView column = batch.column(0);
  EXPECT_TRUE(column.is_constant());
  EXPECT_EQ(column.values<std::int64_t>().size(), 1u);
  EXPECT_EQ(column.int64_at(rows - 1), 42);
  EXPECT_EQ(column.null_count(), 0);
}

TEST(ChunkDecoder, IntegerConstantMustFitThirtyTwoBits) {
  const auto bytes = constant_chunk(2, 5, false, [](ThriftBinaryWriter& w) {
    w.field(TType::kStruct, 11);
    w.field(TType::kI64, 1);
    w.i64(std::int64_t{1} << 40);
    w.stop();
  });
  EXPECT_NE(std::string(decode_error(bytes).what()).find("32 bits"), std::string::npos);
}

TEST(ChunkDecoder, AllNullConstantMayOmitItsValue) {
  const Batch batch = decode_result_batch(constant_chunk(3, 7, true, [](ThriftBinaryWriter& w) {
    w.field(TType::kStruct, 15);  // varcharConstantData without its data field
    w.stop();
  }));
  EXPECT_EQ(batch.column(0).null_count(), 3);
}

TEST(ChunkDecoder, ConstantThatAppliesToRowsNeedsItsValue) {
  const auto bytes = constant_chunk(3, 7, false, [](ThriftBinaryWriter& w) {
    w.field(TType::kStruct, 15);
    w.stop();
  });
  EXPECT_NE(std::string(decode_error(bytes).what()).find("no data field"), std::string::npos);
}

TEST(ChunkDecoder, DecimalScaleOutsideSupportedRangeIsRefused) {
  const auto bytes = constant_chunk(1, 16, false, [](ThriftBinaryWriter& w) {
    w.field(TType::kStruct, 18);
    w.field(TType::kString, 1);
    w.binary(std::string(16, '\0'));
    w.field(TType::kI32, 2);
    w.i32(1'000'000'000);
    w.stop();
  });
  EXPECT_NE(std::string(decode_error(bytes).what()).find("scale"), std::string::npos);
}

std::string zone_chunk(const std::string& zone) {
  return constant_chunk(1, 15, false, [&](ThriftBinaryWriter& w) {
    w.field(TType::kStruct, 14);  // timeConstantData
    w.field(TType::kI64, 1);
    w.i64(1'718'900'000'123'456);
    w.field(TType::kString, 2);
    w.binary(zone);
    w.stop();
  });
}

TEST(ChunkDecoder, ZonesAreCheckedAndResolved) {
  const Batch batch = decode_result_batch(zone_chunk("Etc/GMT+5"));
  EXPECT_EQ(batch.column(0).offset_seconds_at(0), -5 * 3600);
  EXPECT_EQ(batch.column(0).zone_at(0), "Etc/GMT+5");
  for (const char* bad : {"utc", "+18:01", "Asia/kolkata", "../../etc/passwd", "", "+5:30"}) {
    EXPECT_THROW(decode_result_batch(zone_chunk(bad)), DecodeError) << bad;
  }
}

std::string nested_unknown_field(int depth) {
  std::string out;
  ThriftBinaryWriter w(out);
  w.field(TType::kI32, 1);
  w.i32(0);
  w.field(TType::kStruct, 99);  // unknown: skipped, however deep
  for (int i = 1; i < depth; ++i) w.field(TType::kStruct, 1);
  for (int i = 0; i < depth; ++i) w.stop();
  w.stop();
  return out;
}

TEST(ChunkDecoder, SkipsNestingOfAtLeastSixtyFourLevels) {
  EXPECT_TRUE(decode_result_batch(nested_unknown_field(64)).is_end_of_results());
  EXPECT_TRUE(decode_result_batch(nested_unknown_field(120)).is_end_of_results());
}

TEST(ChunkDecoder, RefusesHostileNestingWithoutExhaustingTheStack) {
  const DecodeError e = decode_error(nested_unknown_field(200'000));
  EXPECT_NE(std::string(e.what()).find("nesting"), std::string::npos) << e.what();
}

TEST(ChunkDecoder, ExpectedColumnsIsCheckedForBatchesWithRows) {
  EXPECT_THROW(decode_result_batch(long_chunk(1, {1}), {.expected_columns = 2}), DecodeError);
  EXPECT_NO_THROW(decode_result_batch(long_chunk(1, {1}), {.expected_columns = 1}));
  // End of results carries no vectors whatever the metadata said.
  EXPECT_NO_THROW(decode_result_batch("", {.expected_columns = 3}));
}

TEST(ChunkDecoder, ErrorsAreTypedWithKindAndOffset) {
  const DecodeError e = decode_error(std::string("\x08\x00\x01\x00", 4));
  EXPECT_EQ(e.kind(), ErrorKind::kDecode);
  EXPECT_FALSE(e.is_retryable());
  EXPECT_NE(std::string(e.what()).find("(at byte"), std::string::npos);
}

}  // namespace
}  // namespace e6data

// The encoder writes what the decoder reads back, for every vector type, constant or not.

#include "wire/chunk_encoder.hpp"

#include <gtest/gtest.h>

#include <limits>
#include <ostream>
#include <random>

#include "e6data/decode.hpp"
#include "wire/canonical_json.hpp"
#include "wire/column_builder.hpp"

namespace e6data {
// Test names show the type's name, not its raw bytes.
void PrintTo(VectorType type, std::ostream* out) {
  *out << to_string(type);
}

namespace {

using wire::BatchBuilder;
using wire::ColumnBuilder;

// A random value of the column's type.
Value random_value(VectorType type, std::mt19937_64& rng, std::string& text) {
  const auto x = rng();
  const auto wide = static_cast<std::int64_t>(x);
  switch (type) {
    case VectorType::kBoolean:
      return (x & 1) != 0;
    case VectorType::kInteger:
      return static_cast<std::int32_t>(x);
    case VectorType::kLong:
      return wide;
    case VectorType::kDouble:
    case VectorType::kFloat:
      return std::bit_cast<double>(x);  // any bit pattern, NaNs included
    case VectorType::kDate:
      return Date{wide};
    case VectorType::kDateTime:
    case VectorType::kTimestamp:
      return Timestamp{wide};
    case VectorType::kTimestampTz: {
      static const char* kZones[] = {"UTC", "Z", "+05:30", "-18:00", "Europe/London", "EST"};
      return TimestampTz{wide, kZones[x % 6], 0};
    }
    case VectorType::kDecimal128:
      return Decimal128{(static_cast<int128>(wide) << 64) | rng(), 7};
    case VectorType::kNull:
    case VectorType::kInt96:
      return std::monostate{};
    default:
      text.assign(x % 20, static_cast<char>(x >> 56));  // arbitrary bytes, not always UTF-8
      return std::string_view(text);
  }
}

class EncoderRoundTrip : public ::testing::TestWithParam<VectorType> {};

TEST_P(EncoderRoundTrip, RandomColumnsDecodeToWhatWasBuilt) {
  std::mt19937_64 rng(static_cast<std::uint64_t>(GetParam()) + 1);
  for (int trial = 0; trial < 20; ++trial) {
    const std::int64_t rows = static_cast<std::int64_t>(rng() % 50);
    ColumnBuilder column(GetParam());
    if (GetParam() == VectorType::kDecimal128) column.set_decimal_scale(7);
    std::string text;
    for (std::int64_t r = 0; r < rows; ++r) {
      if (rng() % 4 == 0) {
        column.append_null();
      } else {
        column.append(random_value(GetParam(), rng, text));
      }
    }
    BatchBuilder builder;
    builder.add_column(std::move(column).finish());
    std::string constant_text;
    builder.add_column(ColumnBuilder::constant(
        GetParam(), rows, trial % 3 == 0 ? Value{} : random_value(GetParam(), rng, constant_text)));
    const Batch batch = std::move(builder).finish();
    const Batch decoded = decode_result_batch(wire::encode_chunk(batch), {.expected_columns = 2});
    EXPECT_EQ(wire::batch_to_json(decoded).dump(), wire::batch_to_json(batch).dump());
  }
}

INSTANTIATE_TEST_SUITE_P(AllTypes, EncoderRoundTrip,
                         ::testing::Values(VectorType::kBinary, VectorType::kBoolean,
                                           VectorType::kDouble, VectorType::kFloat,
                                           VectorType::kInteger, VectorType::kLong,
                                           VectorType::kString, VectorType::kDate,
                                           VectorType::kDateTime, VectorType::kTimestamp,
                                           VectorType::kStruct, VectorType::kMap,
                                           VectorType::kArray, VectorType::kNull,
                                           VectorType::kTimestampTz, VectorType::kDecimal128),
                         [](const auto& param_info) {
                           std::string name(to_string(param_info.param));
                           std::erase(name, '_');
                           return name;
                         });

TEST(ColumnBuilder, RefusesValuesOfAnotherType) {
  ColumnBuilder longs(VectorType::kLong);
  EXPECT_THROW(longs.append_bytes("x"), UsageError);
  EXPECT_THROW(longs.append_double(1.0), UsageError);
  EXPECT_THROW(ColumnBuilder{VectorType::kInt96}, UsageError);
}

TEST(ColumnBuilder, RefusesInvalidZonesAndMixedZoneUse) {
  ColumnBuilder tz(VectorType::kTimestampTz);
  EXPECT_THROW(tz.append_timestamp_tz(0, "Not/AZone"), UsageError);
  tz.append_timestamp_tz(0, "UTC");
  EXPECT_THROW(tz.append_timestamp_tz(0, std::nullopt), UsageError);
}

TEST(BatchBuilder, RefusesColumnsOfDifferentLengths) {
  BatchBuilder batch;
  batch.add_column(ColumnBuilder::constant(VectorType::kLong, 3, std::int64_t{1}));
  EXPECT_THROW(batch.add_column(ColumnBuilder::constant(VectorType::kLong, 4, std::int64_t{1})),
               UsageError);
}

TEST(ChunkEncoder, EmptyBatchEncodesAsEndOfResults) {
  const Batch decoded = decode_result_batch(wire::encode_chunk(Batch()));
  EXPECT_TRUE(decoded.is_end_of_results());
}

}  // namespace
}  // namespace e6data

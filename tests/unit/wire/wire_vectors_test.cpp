// Every public wire vector: chunks and metadata decode to exactly their `truth`, malformed inputs
// are refused with a DecodeError, and valid batches survive an encode/decode round trip.

#include "wire_vectors.hpp"

#include <gtest/gtest.h>

#include "e6data/decode.hpp"
#include "wire/canonical_json.hpp"
#include "wire/chunk_encoder.hpp"
#include "wire/metadata_writer.hpp"

namespace e6data {
namespace {

using testing::WireVector;

// Compared as unordered JSON values: key order is not part of the contract.
nlohmann::json as_plain_json(const nlohmann::ordered_json& j) {
  return nlohmann::json::parse(j.dump());
}

class ChunkVector : public ::testing::TestWithParam<WireVector> {};
class MetadataVector : public ::testing::TestWithParam<WireVector> {};
class MalformedVector : public ::testing::TestWithParam<WireVector> {};

TEST_P(ChunkVector, DecodesToTruth) {
  const Batch batch = decode_result_batch(GetParam().bin());
  EXPECT_EQ(as_plain_json(wire::batch_to_json(batch)), GetParam().spec().at("truth"));
}

TEST_P(ChunkVector, RowReadsAgreeWithColumnReads) {
  const Batch batch = decode_result_batch(GetParam().bin());
  for (const RowView row : batch.rows()) {
    for (std::size_t c = 0; c < row.size(); ++c) {
      const ColumnView column = batch.column(c);
      const Value value = row[c];
      EXPECT_EQ(std::holds_alternative<std::monostate>(value), column.is_null(row.index()));
      // Same alternative and same text (NaN never compares equal to itself).
      EXPECT_EQ(value.index(), column.value_at(row.index()).index());
      EXPECT_EQ(row.to_string(c), column.to_string(row.index()));
      EXPECT_EQ(row.to_string(c) == "NULL",
                column.is_null(row.index()) || (std::holds_alternative<std::string_view>(value) &&
                                                std::get<std::string_view>(value) == "NULL"));
    }
  }
}

TEST_P(ChunkVector, SurvivesEncodeDecodeRoundTrip) {
  const Batch batch = decode_result_batch(GetParam().bin());
  const std::string encoded = wire::encode_chunk(batch);
  const Batch again = decode_result_batch(encoded);
  EXPECT_EQ(as_plain_json(wire::batch_to_json(again)), GetParam().spec().at("truth"));
}

TEST_P(ChunkVector, AcceptsItsOwnColumnCount) {
  const std::string bytes = GetParam().bin();
  const Batch batch = decode_result_batch(bytes);
  EXPECT_NO_THROW(decode_result_batch(bytes, {.expected_columns = batch.num_columns()}));
}

TEST_P(MetadataVector, DecodesToTruth) {
  const ResultSchema schema = decode_result_metadata(GetParam().bin());
  EXPECT_EQ(as_plain_json(wire::schema_to_json(schema)), GetParam().spec().at("truth"));
}

TEST_P(MetadataVector, SurvivesWriteReadRoundTrip) {
  const ResultSchema schema = decode_result_metadata(GetParam().bin());
  EXPECT_EQ(decode_result_metadata(wire::write_result_metadata(schema)), schema);
}

TEST_P(MalformedVector, IsRefusedWithDecodeError) {
  const WireVector& v = GetParam();
  const nlohmann::json spec = v.spec();
  const std::string bytes = v.bin();
  try {
    if (spec.at("input_kind") == "metadata") {
      decode_result_metadata(bytes);
    } else {
      DecodeOptions options;
      if (spec.contains("metadata_field_count")) {
        options.expected_columns = spec.at("metadata_field_count").get<std::size_t>();
      }
      decode_result_batch(bytes, options);
    }
    ADD_FAILURE() << v.name << " was accepted; expected: " << spec.at("reason");
  } catch (const DecodeError& e) {
    EXPECT_LE(e.offset(), bytes.size()) << e.what();
    EXPECT_FALSE(e.detail().empty());
  }
}

INSTANTIATE_TEST_SUITE_P(Public, ChunkVector,
                         ::testing::ValuesIn(testing::load_wire_vectors("chunks")),
                         testing::vector_test_name);
INSTANTIATE_TEST_SUITE_P(Public, MetadataVector,
                         ::testing::ValuesIn(testing::load_wire_vectors("metadata")),
                         testing::vector_test_name);
INSTANTIATE_TEST_SUITE_P(Public, MalformedVector,
                         ::testing::ValuesIn(testing::load_wire_vectors("malformed")),
                         testing::vector_test_name);

}  // namespace
}  // namespace e6data

// Differential tests against the Apache Thrift library (tests/reference): on every valid input
// both decoders must agree, whether the bytes come from the public vectors, from the library's
// own serializer, or from our encoder.

#include <gtest/gtest.h>
#include <thrift/protocol/TBinaryProtocol.h>
#include <thrift/transport/TBufferTransports.h>

#include <random>

#include "e6data/decode.hpp"
#include "e6x_vector_types.h"
#include "thrift_reference_decoder.hpp"
#include "wire/canonical_json.hpp"
#include "wire/chunk_encoder.hpp"
#include "wire/column_builder.hpp"
#include "wire_vectors.hpp"

namespace e6data {
namespace {

namespace t = e6data::thrift_reference;

std::string json_of(const Batch& batch) {
  return wire::batch_to_json(batch).dump();
}

TEST(ThriftReference, AgreesOnEveryPublicChunkVector) {
  int compared = 0;
  for (const auto& v : testing::load_wire_vectors("chunks")) {
    // The library has no notion of the contract's NULL/TIMESTAMP rules for absent members; the
    // reference converter handles every type the vectors use.
    const std::string bytes = v.bin();
    EXPECT_EQ(json_of(reference::thrift_decode(bytes)), json_of(decode_result_batch(bytes)))
        << v.name;
    ++compared;
  }
  EXPECT_GT(compared, 50);
}

// Serializes with the library's TBinaryProtocol writer.
std::string library_serialize(const t::Chunk& chunk) {
  auto buffer = std::make_shared<apache::thrift::transport::TMemoryBuffer>();
  apache::thrift::protocol::TBinaryProtocol protocol(buffer);
  chunk.write(&protocol);
  return buffer->getBufferAsString();
}

t::Chunk random_library_chunk(std::mt19937_64& rng) {
  t::Chunk chunk;
  const auto rows = static_cast<std::int32_t>(rng() % 40);
  chunk.__set_size(rows);
  std::vector<t::Vector> vectors;
  for (int c = 0; c < 6; ++c) {
    t::Vector v;
    v.__set_size(rows);
    std::vector<bool> nulls;
    for (int r = 0; r < rows; ++r) nulls.push_back(rng() % 5 == 0);
    v.__set_nullSet(nulls);
    v.__set_isConstantVector(false);
    t::Data data;
    switch (c) {
      case 0: {
        v.__set_vectorType(t::VectorType::LONG);
        t::Int64Data d;
        for (int r = 0; r < rows; ++r) d.data.push_back(static_cast<std::int64_t>(rng()));
        data.__set_int64Data(d);
        break;
      }
      case 1: {
        v.__set_vectorType(t::VectorType::DOUBLE);
        t::Float64Data d;
        for (int r = 0; r < rows; ++r) d.data.push_back(std::bit_cast<double>(rng()));
        data.__set_float64Data(d);
        break;
      }
      case 2: {
        v.__set_vectorType(t::VectorType::STRING);
        t::VarcharData d;
        for (int r = 0; r < rows; ++r)
          d.data.push_back(std::string(rng() % 12, 'a' + static_cast<char>(rng() % 26)));
        data.__set_varcharData(d);
        break;
      }
      case 3: {
        v.__set_vectorType(t::VectorType::TIMESTAMP_TZ);
        t::TimeData d;
        static const char* kZones[] = {"UTC", "+05:30", "America/Los_Angeles", "Z"};
        std::vector<std::string> zones;
        for (int r = 0; r < rows; ++r) {
          d.data.push_back(static_cast<std::int64_t>(rng() % 4'000'000'000'000'000) -
                           1'000'000'000'000'000);
          zones.push_back(kZones[rng() % 4]);
        }
        d.__set_zoneData(zones);
        data.__set_timeData(d);
        break;
      }
      case 4: {
        v.__set_vectorType(t::VectorType::DECIMAL128);
        t::Decimal128Data d;
        for (int r = 0; r < rows; ++r) {
          std::string bytes(16, '\0');
          for (auto& b : bytes) b = static_cast<char>(rng());
          d.data.push_back(bytes);
        }
        d.__set_scale(static_cast<std::int32_t>(rng() % 39));
        data.__set_decimal128Data(d);
        break;
      }
      default: {
        v.__set_vectorType(t::VectorType::BOOLEAN);
        v.__set_isConstantVector(true);
        v.__set_nullSet({rng() % 2 == 0});
        t::BoolConstantData d;
        d.__set_data(rng() % 2 == 0);
        data.__set_boolConstantData(d);
        break;
      }
    }
    v.__set_data(data);
    vectors.push_back(v);
  }
  chunk.__set_vectors(vectors);
  return chunk;
}

TEST(ThriftReference, OurDecoderReadsWhatTheLibraryWrites) {
  std::mt19937_64 rng(2024);
  for (int trial = 0; trial < 200; ++trial) {
    const std::string bytes = library_serialize(random_library_chunk(rng));
    EXPECT_EQ(json_of(decode_result_batch(bytes)), json_of(reference::thrift_decode(bytes)));
  }
}

TEST(ThriftReference, TheLibraryReadsWhatOurEncoderWrites) {
  std::mt19937_64 rng(77);
  for (int trial = 0; trial < 50; ++trial) {
    const Batch original = decode_result_batch(library_serialize(random_library_chunk(rng)));
    const std::string ours = wire::encode_chunk(original);
    EXPECT_EQ(json_of(reference::thrift_decode(ours)), json_of(original));
  }
}

}  // namespace
}  // namespace e6data

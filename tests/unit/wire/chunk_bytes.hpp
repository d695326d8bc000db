#pragma once
// Hand-assembled Thrift binary Chunks for decoder tests.

#include <cstdint>
#include <string>
#include <vector>

#include "wire/thrift_binary_writer.hpp"

namespace e6data::testing {

using wire::ThriftBinaryWriter;
using wire::TType;

// Chunk{size, vectors: [one LONG vector]} with the given values, no nulls.
inline std::string long_chunk(std::int32_t size, const std::vector<std::int64_t>& values) {
  std::string out;
  ThriftBinaryWriter w(out);
  w.field(TType::kI32, 1);
  w.i32(size);
  w.field(TType::kList, 2);
  w.list_begin(TType::kStruct, 1);
  w.field(TType::kI32, 1);
  w.i32(size);
  w.field(TType::kI32, 2);
  w.i32(6);  // LONG
  w.field(TType::kList, 3);
  w.list_begin(TType::kBool, static_cast<std::size_t>(size));
  for (std::int32_t i = 0; i < size; ++i) w.boolean(false);
  w.field(TType::kStruct, 4);
  w.field(TType::kStruct, 3);  // int64Data
  w.field(TType::kList, 1);
  w.list_begin(TType::kI64, values.size());
  for (auto v : values) w.i64(v);
  w.stop();  // Int64Data
  w.stop();  // Data
  w.stop();  // Vector
  w.stop();  // Chunk
  return out;
}

// Chunk{size, [constant vector of `type` with nullSet [null] and the member written by `data`]}.
template <typename WriteData>
std::string constant_chunk(std::int32_t size, std::int32_t type, bool null, WriteData data) {
  std::string out;
  ThriftBinaryWriter w(out);
  w.field(TType::kI32, 1);
  w.i32(size);
  w.field(TType::kList, 2);
  w.list_begin(TType::kStruct, 1);
  w.field(TType::kI32, 1);
  w.i32(size);
  w.field(TType::kI32, 2);
  w.i32(type);
  w.field(TType::kList, 3);
  w.list_begin(TType::kBool, 1);
  w.boolean(null);
  w.field(TType::kStruct, 4);
  data(w);
  w.stop();  // Data
  w.field(TType::kBool, 5);
  w.boolean(true);
  w.stop();  // Vector
  w.stop();  // Chunk
  return out;
}

}  // namespace e6data::testing

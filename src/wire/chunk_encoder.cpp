#include "wire/chunk_encoder.hpp"

#include "wire/thrift_binary_writer.hpp"
#include "wire/value_format.hpp"

namespace e6data::wire {
namespace {

using detail::ColumnData;

void write_nulls(ThriftBinaryWriter& w, const ColumnData& c) {
  w.field(TType::kList, 3);
  if (c.type == VectorType::kNull) {  // every row null by type; sent explicitly for old readers
    w.list_begin(TType::kBool, static_cast<std::size_t>(c.size));
    for (std::int64_t i = 0; i < c.size; ++i) w.boolean(true);
    return;
  }
  w.list_begin(TType::kBool, c.nulls.size());
  for (std::size_t i = 0; i < c.nulls.size(); ++i) w.boolean(c.nulls[i]);
}

std::string_view bytes_at(const ColumnData& c, std::size_t i) {
  return std::string_view(c.bytes).substr(c.offsets[i], c.offsets[i + 1] - c.offsets[i]);
}

std::string decimal_bytes(int128 v) {
  std::string out;
  append_be(out, static_cast<std::uint64_t>(static_cast<uint128>(v) >> 64));
  append_be(out, static_cast<std::uint64_t>(static_cast<uint128>(v)));
  return out;
}

void write_constant(ThriftBinaryWriter& w, const ColumnData& c) {
  switch (c.type) {
    case VectorType::kBoolean:
      w.field(TType::kStruct, 8);
      w.field(TType::kBool, 1);
      w.boolean(c.bools[0]);
      break;
    case VectorType::kInteger:
    case VectorType::kLong:
      w.field(TType::kStruct, 11);
      w.field(TType::kI64, 1);
      w.i64(c.type == VectorType::kInteger ? c.int32s[0] : c.int64s[0]);
      break;
    case VectorType::kDouble:
    case VectorType::kFloat:
      w.field(TType::kStruct, 12);
      w.field(TType::kDouble, 1);
      w.f64(c.doubles[0]);
      break;
    case VectorType::kDate:
      w.field(TType::kStruct, 9);
      w.field(TType::kI64, 1);
      w.i64(c.int64s[0]);
      break;
    case VectorType::kDateTime:
    case VectorType::kTimestamp:
    case VectorType::kTimestampTz:
      w.field(TType::kStruct, 14);
      w.field(TType::kI64, 1);
      w.i64(c.int64s[0]);
      if (c.type == VectorType::kTimestampTz && !c.zone_index.empty() && c.zone_index[0] >= 0) {
        w.field(TType::kString, 2);
        w.binary(c.zones[static_cast<std::size_t>(c.zone_index[0])].name);
      }
      break;
    case VectorType::kDecimal128:
      w.field(TType::kStruct, 18);
      w.field(TType::kString, 1);
      w.binary(decimal_bytes(c.decimals[0]));
      w.field(TType::kI32, 2);
      w.i32(c.decimal_scale);
      break;
    default:  // text and binary types
      w.field(TType::kStruct, 15);
      w.field(TType::kString, 1);
      w.binary(bytes_at(c, 0));
      break;
  }
  w.stop();  // member struct
}

void write_values(ThriftBinaryWriter& w, const ColumnData& c) {
  const auto n = static_cast<std::size_t>(c.size);
  switch (c.type) {
    case VectorType::kBoolean:
      w.field(TType::kStruct, 1);
      w.field(TType::kList, 1);
      w.list_begin(TType::kBool, n);
      for (std::size_t i = 0; i < n; ++i) w.boolean(c.bools[i]);
      break;
    case VectorType::kInteger:
      w.field(TType::kStruct, 2);
      w.field(TType::kList, 1);
      w.list_begin(TType::kI32, n);
      for (std::size_t i = 0; i < n; ++i) w.i32(c.int32s[i]);
      break;
    case VectorType::kLong:
    case VectorType::kDate:
      w.field(TType::kStruct, c.type == VectorType::kLong ? 3 : 4);
      w.field(TType::kList, 1);
      w.list_begin(TType::kI64, n);
      for (std::size_t i = 0; i < n; ++i) w.i64(c.int64s[i]);
      break;
    case VectorType::kDouble:
    case VectorType::kFloat:
      w.field(TType::kStruct, c.type == VectorType::kDouble ? 6 : 5);
      w.field(TType::kList, 1);
      w.list_begin(TType::kDouble, n);
      for (std::size_t i = 0; i < n; ++i) w.f64(c.doubles[i]);
      break;
    case VectorType::kDateTime:
    case VectorType::kTimestamp:
    case VectorType::kTimestampTz:
      w.field(TType::kStruct, 16);
      w.field(TType::kList, 1);
      w.list_begin(TType::kI64, n);
      for (std::size_t i = 0; i < n; ++i) w.i64(c.int64s[i]);
      if (c.type == VectorType::kTimestampTz && !c.zone_index.empty()) {
        w.field(TType::kList, 2);
        w.list_begin(TType::kString, n);
        for (std::size_t i = 0; i < n; ++i) {
          const auto zone = c.zone_index[i];
          w.binary(zone < 0 ? std::string_view() : c.zones[static_cast<std::size_t>(zone)].name);
        }
      }
      break;
    case VectorType::kDecimal128:
      w.field(TType::kStruct, 17);
      w.field(TType::kList, 1);
      w.list_begin(TType::kString, n);
      for (std::size_t i = 0; i < n; ++i) w.binary(decimal_bytes(c.decimals[i]));
      w.field(TType::kI32, 2);
      w.i32(c.decimal_scale);
      break;
    default:  // text and binary types
      w.field(TType::kStruct, 7);
      w.field(TType::kList, 1);
      w.list_begin(TType::kString, n);
      for (std::size_t i = 0; i < n; ++i) w.binary(bytes_at(c, i));
      break;
  }
  w.stop();  // member struct
}

void write_vector(ThriftBinaryWriter& w, const ColumnData& c) {
  w.field(TType::kI32, 1);
  w.i32(static_cast<std::int32_t>(c.size));
  w.field(TType::kI32, 2);
  w.i32(static_cast<std::int32_t>(c.type));
  write_nulls(w, c);
  if (c.type != VectorType::kNull) {
    w.field(TType::kStruct, 4);
    if (c.constant) {
      write_constant(w, c);
    } else {
      write_values(w, c);
    }
    w.stop();  // Data union
  }
  w.field(TType::kBool, 5);
  w.boolean(c.constant);
  if (!c.zone_offset.empty()) {
    w.field(TType::kString, 6);
    w.binary(c.zone_offset);
  }
  if (!c.format.empty()) {
    w.field(TType::kString, 7);
    w.binary(c.format);
  }
  w.stop();
}

}  // namespace

void append_chunk(std::string& out, const Batch& batch) {
  const auto& data = batch.storage();
  ThriftBinaryWriter w(out);
  w.field(TType::kI32, 1);
  w.i32(static_cast<std::int32_t>(data.rows));
  w.field(TType::kList, 2);
  w.list_begin(TType::kStruct, data.columns.size());
  for (const auto& column : data.columns) write_vector(w, column);
  w.stop();
}

std::string encode_chunk(const Batch& batch) {
  std::string out;
  append_chunk(out, batch);
  return out;
}

}  // namespace e6data::wire

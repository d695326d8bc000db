#include "thrift_reference_decoder.hpp"

#include <thrift/protocol/TBinaryProtocol.h>
#include <thrift/transport/TBufferTransports.h>

#include <memory>
#include <stdexcept>

#include "e6x_vector_types.h"
#include "wire/column_builder.hpp"
#include "wire/value_format.hpp"

using e6data::wire::uint128;

namespace e6data::reference {
namespace {

namespace t = e6data::thrift_reference;
using apache::thrift::protocol::TBinaryProtocol;
using apache::thrift::transport::TMemoryBuffer;

t::Chunk deserialize(std::string_view payload) {
  // TMemoryBuffer OBSERVE wraps the bytes without copying.
  auto buffer = std::make_shared<TMemoryBuffer>(
      reinterpret_cast<uint8_t*>(const_cast<char*>(payload.data())),
      static_cast<uint32_t>(payload.size()), TMemoryBuffer::OBSERVE);
  TBinaryProtocol protocol(buffer);
  t::Chunk chunk;
  chunk.read(&protocol);
  return chunk;
}

int128 decimal_of(const std::string& bytes) {
  if (bytes.size() != 16) throw std::runtime_error("decimal128 value is not 16 bytes");
  uint128 v = 0;
  for (const char c : bytes) v = (v << 8) | static_cast<unsigned char>(c);
  return static_cast<int128>(v);
}

// The value of row `i` (or of the constant) as a Value.
Value value_of(const t::Vector& v, VectorType type, std::size_t i) {
  const t::Data& d = v.data;
  const bool constant = v.isConstantVector;
  auto zone_of = [&](std::size_t row) -> std::string_view {
    if (constant) {
      if (!d.timeConstantData.__isset.zoneData) return {};
      return d.timeConstantData.zoneData;
    }
    if (!d.timeData.__isset.zoneData || row >= d.timeData.zoneData.size()) return "";
    return d.timeData.zoneData[row];
  };
  switch (type) {
    case VectorType::kBoolean:
      return constant ? d.boolConstantData.data : static_cast<bool>(d.boolData.data.at(i));
    case VectorType::kInteger:
      return constant ? static_cast<std::int32_t>(d.numericConstantData.data)
                      : d.int32Data.data.at(i);
    case VectorType::kLong:
      return constant ? d.numericConstantData.data : d.int64Data.data.at(i);
    case VectorType::kDouble:
      return constant ? d.numericDecimalConstantData.data : d.float64Data.data.at(i);
    case VectorType::kFloat:
      return constant ? d.numericDecimalConstantData.data : d.float32Data.data.at(i);
    case VectorType::kDate:
      return Date{constant ? d.dateConstantData.data : d.dateData.data.at(i)};
    case VectorType::kDateTime:
    case VectorType::kTimestamp:
      return Timestamp{constant ? d.timeConstantData.data : d.timeData.data.at(i)};
    case VectorType::kTimestampTz:
      return TimestampTz{constant ? d.timeConstantData.data : d.timeData.data.at(i), zone_of(i), 0};
    case VectorType::kDecimal128:
      return Decimal128{
          decimal_of(constant ? d.numericDecimal128ConstantData.data : d.decimal128Data.data.at(i)),
          constant ? d.numericDecimal128ConstantData.scale : d.decimal128Data.scale};
    default:
      return std::string_view(constant ? d.varcharConstantData.data : d.varcharData.data.at(i));
  }
}

detail::ColumnData convert(const t::Vector& v, std::int64_t rows) {
  const auto type = vector_type_from_id(static_cast<std::int32_t>(v.vectorType));
  if (!type || *type == VectorType::kInt96) throw std::runtime_error("unsupported vector type");
  wire::ColumnBuilder builder(*type);
  if (*type == VectorType::kDecimal128) {
    builder.set_decimal_scale(v.isConstantVector ? v.data.numericDecimal128ConstantData.scale
                                                 : v.data.decimal128Data.scale);
  }
  for (std::int64_t row = 0; row < rows; ++row) {
    const auto i = static_cast<std::size_t>(row);
    const bool is_null =
        *type == VectorType::kNull || (v.nullSet.size() == 1 ? v.nullSet[0] : v.nullSet.at(i));
    if (is_null) {
      builder.append_null();
    } else {
      builder.append(value_of(v, *type, i));
    }
  }
  return std::move(builder).finish();
}

}  // namespace

void thrift_deserialize_only(std::string_view payload) {
  (void)deserialize(payload);
}

Batch thrift_decode(std::string_view payload) {
  wire::BatchBuilder batch;
  if (payload.empty()) return std::move(batch).finish();
  const t::Chunk chunk = deserialize(payload);
  for (const auto& vector : chunk.vectors) batch.add_column(convert(vector, chunk.size));
  return std::move(batch).finish();
}

}  // namespace e6data::reference

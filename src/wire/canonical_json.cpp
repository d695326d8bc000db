#include "wire/canonical_json.hpp"

#include <string>

#include "wire/modified_utf8.hpp"
#include "wire/value_format.hpp"

namespace e6data::wire {
namespace {

using Json = nlohmann::ordered_json;

// Integers are JSON numbers while a double can hold them exactly, strings beyond.
Json integer(std::int64_t v) {
  constexpr std::int64_t kExact = std::int64_t{1} << 53;
  if (v >= -kExact && v <= kExact) return v;
  return std::to_string(v);
}

Json text_or_hex(std::string_view bytes) {
  if (is_valid_utf8(bytes)) return std::string(bytes);
  return Json{{"hex", format_hex(bytes)}};
}

}  // namespace

Json cell_to_json(const ColumnView& column, std::int64_t row) {
  if (column.is_null(row)) return nullptr;
  switch (column.type()) {
    case VectorType::kBoolean:
      return column.bool_at(row);
    case VectorType::kInteger:
      return column.int32_at(row);
    case VectorType::kLong:
      return integer(column.int64_at(row));
    case VectorType::kDouble:
    case VectorType::kFloat:
      return Json{{"f", format_double_repr(column.double_at(row))}};
    case VectorType::kString:
    case VectorType::kArray:
    case VectorType::kMap:
    case VectorType::kStruct:
      return text_or_hex(column.string_at(row));
    case VectorType::kBinary:
      return Json{{"hex", format_hex(column.string_at(row))}};
    case VectorType::kDate: {
      const auto us = column.int64_at(row);
      return Json{{"us", us}, {"date", format_date(us)}};
    }
    case VectorType::kDateTime:
    case VectorType::kTimestamp: {
      const auto us = column.int64_at(row);
      return Json{{"us", us}, {"ts", format_timestamp_utc(us)}};
    }
    case VectorType::kTimestampTz: {
      const auto us = column.int64_at(row);
      const auto zone = column.zone_at(row);
      return Json{{"us", us},
                  {"zone", zone ? Json(std::string(*zone)) : Json(nullptr)},
                  {"ts", format_timestamp_at_offset(us, column.offset_seconds_at(row))}};
    }
    case VectorType::kDecimal128: {
      const Decimal128 d = column.decimal_at(row);
      return Json{{"unscaled", format_int128(d.unscaled)},
                  {"scale", d.scale},
                  {"decimal", format_decimal(d.unscaled, d.scale)}};
    }
    case VectorType::kNull:
    case VectorType::kInt96:
      break;
  }
  return nullptr;
}

Json batch_to_json(const Batch& batch) {
  Json columns = Json::array();
  for (std::size_t c = 0; c < batch.num_columns(); ++c) {
    const ColumnView column = batch.column(c);
    Json values = Json::array();
    for (std::int64_t row = 0; row < column.size(); ++row)
      values.push_back(cell_to_json(column, row));
    columns.push_back(Json{{"vector_type", std::string(to_string(column.type()))},
                           {"values", std::move(values)}});
  }
  return Json{{"rows", batch.num_rows()}, {"columns", std::move(columns)}};
}

Json schema_to_json(const ResultSchema& schema) {
  Json fields = Json::array();
  for (const auto& f : schema.columns) {
    fields.push_back(
        Json{{"name", f.name}, {"type", f.type}, {"zone", f.zone}, {"format", f.format}});
  }
  return Json{{"row_count", integer(schema.row_count)}, {"fields", std::move(fields)}};
}

}  // namespace e6data::wire

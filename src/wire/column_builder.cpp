#include "wire/column_builder.hpp"

#include <limits>
#include <string>
#include <utility>

namespace e6data::wire {

ColumnBuilder::ColumnBuilder(VectorType type, TimeZoneDatabase& zones) : zones_(&zones) {
  if (type == VectorType::kInt96) {
    throw UsageError("ColumnBuilder: INT96 has no representation on the wire");
  }
  data_.type = type;
  if (physical_type_of(type) == PhysicalType::kBytes) data_.offsets.push_back(0);
}

void ColumnBuilder::require(PhysicalType physical, const char* operation) const {
  if (physical_type_of(data_.type) != physical) {
    throw UsageError(std::string("ColumnBuilder::") + operation + " on a " +
                     std::string(to_string(data_.type)) + " column");
  }
}

void ColumnBuilder::push_null_flag(bool is_null) {
  // NULL columns keep no null set: every row is null by type.
  if (data_.type != VectorType::kNull) data_.nulls.push_back(is_null);
  ++data_.size;
}

void ColumnBuilder::append_null() {
  switch (physical_type_of(data_.type)) {
    case PhysicalType::kBool:
      data_.bools.push_back(false);
      break;
    case PhysicalType::kInt32:
      data_.int32s.push_back(0);
      break;
    case PhysicalType::kInt64:
      data_.int64s.push_back(0);
      if (data_.type == VectorType::kTimestampTz) data_.zone_index.push_back(-1);
      break;
    case PhysicalType::kDouble:
      data_.doubles.push_back(0);
      break;
    case PhysicalType::kBytes:
      data_.offsets.push_back(data_.offsets.back());
      break;
    case PhysicalType::kDecimal128:
      data_.decimals.push_back(0);
      break;
    case PhysicalType::kNone:
      break;
  }
  push_null_flag(true);
}

void ColumnBuilder::append_bool(bool value) {
  require(PhysicalType::kBool, "append_bool");
  data_.bools.push_back(value);
  push_null_flag(false);
}

void ColumnBuilder::append_int32(std::int32_t value) {
  require(PhysicalType::kInt32, "append_int32");
  data_.int32s.push_back(value);
  push_null_flag(false);
}

void ColumnBuilder::append_int64(std::int64_t value) {
  require(PhysicalType::kInt64, "append_int64");
  if (data_.type == VectorType::kTimestampTz) {
    append_timestamp_tz(value, std::nullopt);
    return;
  }
  data_.int64s.push_back(value);
  push_null_flag(false);
}

void ColumnBuilder::append_double(double value) {
  require(PhysicalType::kDouble, "append_double");
  data_.doubles.push_back(value);
  push_null_flag(false);
}

void ColumnBuilder::append_bytes(std::string_view value) {
  require(PhysicalType::kBytes, "append_bytes");
  if (data_.bytes.size() + value.size() > std::numeric_limits<std::uint32_t>::max()) {
    throw UsageError("ColumnBuilder::append_bytes: a column holds at most 4 GiB of bytes");
  }
  data_.bytes.append(value);
  data_.offsets.push_back(static_cast<std::uint32_t>(data_.bytes.size()));
  push_null_flag(false);
}

void ColumnBuilder::set_decimal_scale(std::int32_t scale) {
  require(PhysicalType::kDecimal128, "set_decimal_scale");
  data_.decimal_scale = scale;
}

void ColumnBuilder::append_decimal(int128 unscaled) {
  require(PhysicalType::kDecimal128, "append_decimal");
  data_.decimals.push_back(unscaled);
  push_null_flag(false);
}

std::int32_t ColumnBuilder::intern_zone(std::string_view zone) {
  if (auto it = zone_ids_.find(std::string(zone)); it != zone_ids_.end()) return it->second;
  detail::ZoneEntry entry;
  entry.name = std::string(zone);
  if (auto fixed = parse_fixed_offset(zone)) {
    entry.fixed = true;
    entry.fixed_offset_seconds = *fixed;
  } else if (auto tz = zones_->find(zone)) {
    entry.tz = std::move(tz);
  } else {
    throw UsageError("ColumnBuilder: zone \"" + std::string(zone) +
                     "\" is neither +HH:MM/-HH:MM, Z, UTC nor a tz database name");
  }
  const auto id = static_cast<std::int32_t>(data_.zones.size());
  data_.zones.push_back(std::move(entry));
  zone_ids_.emplace(zone, id);
  return id;
}

void ColumnBuilder::append_timestamp_tz(std::int64_t epoch_us,
                                        std::optional<std::string_view> zone) {
  if (data_.type != VectorType::kTimestampTz) {
    throw UsageError("ColumnBuilder::append_timestamp_tz on a " +
                     std::string(to_string(data_.type)) + " column");
  }
  if (with_zones_ && *with_zones_ != zone.has_value()) {
    throw UsageError(
        "ColumnBuilder::append_timestamp_tz: every non-null row needs a zone, or none may have "
        "one");
  }
  with_zones_ = zone.has_value();
  data_.zone_index.push_back(zone ? intern_zone(*zone) : -1);
  data_.int64s.push_back(epoch_us);
  push_null_flag(false);
}

void ColumnBuilder::append(const Value& value) {
  std::visit(
      [&](const auto& v) {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, std::monostate>) {
          append_null();
        } else if constexpr (std::is_same_v<T, bool>) {
          append_bool(v);
        } else if constexpr (std::is_same_v<T, std::int32_t>) {
          append_int32(v);
        } else if constexpr (std::is_same_v<T, std::int64_t>) {
          append_int64(v);
        } else if constexpr (std::is_same_v<T, double>) {
          append_double(v);
        } else if constexpr (std::is_same_v<T, std::string_view>) {
          append_bytes(v);
        } else if constexpr (std::is_same_v<T, Date> || std::is_same_v<T, Timestamp>) {
          append_int64(v.epoch_us);
        } else if constexpr (std::is_same_v<T, TimestampTz>) {
          append_timestamp_tz(
              v.epoch_us, v.zone.empty() ? std::nullopt : std::optional<std::string_view>(v.zone));
        } else {
          if (data_.size == 0) set_decimal_scale(v.scale);
          if (v.scale != data_.decimal_scale) {
            throw UsageError("ColumnBuilder::append: decimal scale " + std::to_string(v.scale) +
                             " differs from the column's " + std::to_string(data_.decimal_scale));
          }
          append_decimal(v.unscaled);
        }
      },
      value);
}

detail::ColumnData ColumnBuilder::finish() && {
  if (data_.type == VectorType::kTimestampTz && with_zones_ == false) data_.zone_index.clear();
  return std::move(data_);
}

detail::ColumnData ColumnBuilder::constant(VectorType type, std::int64_t rows, const Value& value,
                                           TimeZoneDatabase& zones) {
  if (rows < 0) throw UsageError("ColumnBuilder::constant: negative row count");
  ColumnBuilder one(type, zones);
  one.append(value);
  detail::ColumnData data = std::move(one).finish();
  data.constant = true;
  data.size = rows;
  return data;
}

BatchBuilder& BatchBuilder::add_column(detail::ColumnData column) {
  if (!data_.columns.empty() && column.size != data_.rows) {
    throw UsageError("BatchBuilder::add_column: column has " + std::to_string(column.size) +
                     " rows, the batch has " + std::to_string(data_.rows));
  }
  data_.rows = column.size;
  data_.columns.push_back(std::move(column));
  return *this;
}

Batch BatchBuilder::finish() && {
  return Batch(std::make_shared<const detail::BatchData>(std::move(data_)));
}

}  // namespace e6data::wire

#include "e6data/batch.hpp"

#include <array>
#include <utility>

#include "wire/time_zone.hpp"
#include "wire/value_format.hpp"

namespace e6data {
namespace {

constexpr std::array<std::string_view, 17> kVectorTypeNames = {
    "BINARY", "BOOLEAN", "DOUBLE", "FLOAT",        "INT96",     "INTEGER",
    "LONG",   "STRING",  "DATE",   "DATETIME",     "TIMESTAMP", "STRUCT",
    "MAP",    "ARRAY",   "NULL",   "TIMESTAMP_TZ", "DECIMAL128"};

const char* physical_name(PhysicalType type) {
  switch (type) {
    case PhysicalType::kNone:
      return "no values (NULL)";
    case PhysicalType::kBool:
      return "bool";
    case PhysicalType::kInt32:
      return "int32";
    case PhysicalType::kInt64:
      return "int64";
    case PhysicalType::kDouble:
      return "double";
    case PhysicalType::kBytes:
      return "bytes";
    case PhysicalType::kDecimal128:
      return "decimal128";
  }
  return "?";
}

// Floor division of microseconds to seconds, for the zone lookup of negative instants.
std::int64_t floor_seconds(std::int64_t us) {
  std::int64_t s = us / 1'000'000;
  if (us % 1'000'000 < 0) --s;
  return s;
}

}  // namespace

std::string_view to_string(VectorType type) noexcept {
  const auto id = static_cast<std::size_t>(type);
  return id < kVectorTypeNames.size() ? kVectorTypeNames[id] : "UNKNOWN";
}

std::optional<VectorType> vector_type_from_id(std::int32_t id) noexcept {
  if (id < 0 || id >= static_cast<std::int32_t>(kVectorTypeNames.size())) return std::nullopt;
  return static_cast<VectorType>(id);
}

std::optional<VectorType> vector_type_from_name(std::string_view name) noexcept {
  for (std::size_t i = 0; i < kVectorTypeNames.size(); ++i) {
    if (kVectorTypeNames[i] == name) return static_cast<VectorType>(i);
  }
  return std::nullopt;
}

PhysicalType physical_type_of(VectorType type) noexcept {
  switch (type) {
    case VectorType::kBoolean:
      return PhysicalType::kBool;
    case VectorType::kInteger:
      return PhysicalType::kInt32;
    case VectorType::kLong:
    case VectorType::kDate:
    case VectorType::kDateTime:
    case VectorType::kTimestamp:
    case VectorType::kTimestampTz:
      return PhysicalType::kInt64;
    case VectorType::kDouble:
    case VectorType::kFloat:
      return PhysicalType::kDouble;
    case VectorType::kBinary:
    case VectorType::kString:
    case VectorType::kStruct:
    case VectorType::kMap:
    case VectorType::kArray:
      return PhysicalType::kBytes;
    case VectorType::kDecimal128:
      return PhysicalType::kDecimal128;
    case VectorType::kNull:
    case VectorType::kInt96:
      break;
  }
  return PhysicalType::kNone;
}

std::string Decimal128::to_string() const {
  return wire::format_decimal(unscaled, scale);
}

// ---- ColumnView ---------------------------------------------------------------------------------

std::int64_t ColumnView::null_count() const noexcept {
  const auto& nulls = data_->nulls;
  if (nulls.empty()) return data_->size;
  if (nulls.size() == 1) return nulls[0] ? data_->size : 0;
  std::int64_t n = 0;
  for (std::size_t i = 0; i < nulls.size(); ++i) n += nulls[i] ? 1 : 0;
  return n;
}

std::size_t ColumnView::checked_index(std::int64_t row, PhysicalType expected,
                                      const char* operation) const {
  if (row < 0 || row >= data_->size) {
    throw UsageError(std::string(operation) + ": row " + std::to_string(row) +
                     " is out of range for a column of " + std::to_string(data_->size) + " rows");
  }
  if (physical_type() != expected) {
    throw UsageError(std::string(operation) + ": column of type " +
                     std::string(e6data::to_string(type())) + " stores " +
                     physical_name(physical_type()) + ", not " + physical_name(expected));
  }
  return data_->constant ? 0 : static_cast<std::size_t>(row);
}

template <typename T>
std::span<const T> ColumnView::values() const {
  auto mismatch = [&](PhysicalType wanted) {
    return UsageError("ColumnView::values: column of type " +
                      std::string(e6data::to_string(type())) + " stores " +
                      physical_name(physical_type()) + ", not " + physical_name(wanted));
  };
  if constexpr (std::is_same_v<T, bool>) {
    if (physical_type() != PhysicalType::kBool) throw mismatch(PhysicalType::kBool);
    return {data_->bools.data(), data_->bools.size()};
  } else if constexpr (std::is_same_v<T, std::int32_t>) {
    if (physical_type() != PhysicalType::kInt32) throw mismatch(PhysicalType::kInt32);
    return data_->int32s;
  } else if constexpr (std::is_same_v<T, std::int64_t>) {
    if (physical_type() != PhysicalType::kInt64) throw mismatch(PhysicalType::kInt64);
    return data_->int64s;
  } else if constexpr (std::is_same_v<T, double>) {
    if (physical_type() != PhysicalType::kDouble) throw mismatch(PhysicalType::kDouble);
    return data_->doubles;
  } else {
    static_assert(std::is_same_v<T, int128>,
                  "values<T>: T is bool, int32_t, int64_t, double or int128");
    if (physical_type() != PhysicalType::kDecimal128) throw mismatch(PhysicalType::kDecimal128);
    return data_->decimals;
  }
}

template std::span<const bool> ColumnView::values<bool>() const;
template std::span<const std::int32_t> ColumnView::values<std::int32_t>() const;
template std::span<const std::int64_t> ColumnView::values<std::int64_t>() const;
template std::span<const double> ColumnView::values<double>() const;
template std::span<const int128> ColumnView::values<int128>() const;

bool ColumnView::bool_at(std::int64_t row) const {
  return data_->bools[checked_index(row, PhysicalType::kBool, "ColumnView::bool_at")];
}
std::int32_t ColumnView::int32_at(std::int64_t row) const {
  return data_->int32s[checked_index(row, PhysicalType::kInt32, "ColumnView::int32_at")];
}
std::int64_t ColumnView::int64_at(std::int64_t row) const {
  return data_->int64s[checked_index(row, PhysicalType::kInt64, "ColumnView::int64_at")];
}
double ColumnView::double_at(std::int64_t row) const {
  return data_->doubles[checked_index(row, PhysicalType::kDouble, "ColumnView::double_at")];
}
Decimal128 ColumnView::decimal_at(std::int64_t row) const {
  const auto i = checked_index(row, PhysicalType::kDecimal128, "ColumnView::decimal_at");
  return {data_->decimals[i], data_->decimal_scale};
}
std::string_view ColumnView::string_at(std::int64_t row) const {
  const auto i = checked_index(row, PhysicalType::kBytes, "ColumnView::string_at");
  const auto begin = data_->offsets[i];
  return std::string_view(data_->bytes).substr(begin, data_->offsets[i + 1] - begin);
}

std::optional<std::string_view> ColumnView::zone_at(std::int64_t row) const {
  const auto i = checked_index(row, PhysicalType::kInt64, "ColumnView::zone_at");
  if (type() != VectorType::kTimestampTz) {
    throw UsageError("ColumnView::zone_at: column of type " +
                     std::string(e6data::to_string(type())) + " has no zones (only TIMESTAMP_TZ)");
  }
  const std::int32_t zone = data_->zone_index.empty() ? -1 : data_->zone_index[i];
  if (zone < 0) return std::nullopt;
  return std::string_view(data_->zones[static_cast<std::size_t>(zone)].name);
}

std::int32_t ColumnView::offset_seconds_at(std::int64_t row) const {
  const auto i = checked_index(row, PhysicalType::kInt64, "ColumnView::offset_seconds_at");
  if (type() != VectorType::kTimestampTz) {
    throw UsageError("ColumnView::offset_seconds_at: column of type " +
                     std::string(e6data::to_string(type())) + " has no zones (only TIMESTAMP_TZ)");
  }
  const std::int32_t zone = data_->zone_index.empty() ? -1 : data_->zone_index[i];
  if (zone < 0) return 0;
  const auto& entry = data_->zones[static_cast<std::size_t>(zone)];
  if (entry.fixed) return entry.fixed_offset_seconds;
  return entry.tz->utc_offset_at(floor_seconds(data_->int64s[i]));
}

Value ColumnView::value_at(std::int64_t row) const {
  if (row < 0 || row >= data_->size) {
    throw UsageError("ColumnView::value_at: row " + std::to_string(row) +
                     " is out of range for a column of " + std::to_string(data_->size) + " rows");
  }
  if (is_null(row)) return std::monostate{};
  switch (type()) {
    case VectorType::kBoolean:
      return bool_at(row);
    case VectorType::kInteger:
      return int32_at(row);
    case VectorType::kLong:
      return int64_at(row);
    case VectorType::kDouble:
    case VectorType::kFloat:
      return double_at(row);
    case VectorType::kBinary:
    case VectorType::kString:
    case VectorType::kStruct:
    case VectorType::kMap:
    case VectorType::kArray:
      return string_at(row);
    case VectorType::kDate:
      return Date{int64_at(row)};
    case VectorType::kDateTime:
    case VectorType::kTimestamp:
      return Timestamp{int64_at(row)};
    case VectorType::kTimestampTz:
      return TimestampTz{int64_at(row), zone_at(row).value_or(std::string_view()),
                         offset_seconds_at(row)};
    case VectorType::kDecimal128:
      return decimal_at(row);
    case VectorType::kNull:
    case VectorType::kInt96:
      break;
  }
  return std::monostate{};
}

std::string ColumnView::to_string(std::int64_t row) const {
  const Value v = value_at(row);
  std::string out;
  std::visit(
      [&](const auto& x) {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, std::monostate>) {
          out = "NULL";
        } else if constexpr (std::is_same_v<T, bool>) {
          out = x ? "true" : "false";
        } else if constexpr (std::is_same_v<T, std::int32_t> || std::is_same_v<T, std::int64_t>) {
          out = std::to_string(x);
        } else if constexpr (std::is_same_v<T, double>) {
          out = wire::format_double_repr(x);
        } else if constexpr (std::is_same_v<T, std::string_view>) {
          out = type() == VectorType::kBinary ? wire::format_hex(x) : std::string(x);
        } else if constexpr (std::is_same_v<T, Date>) {
          out = wire::format_date(x.epoch_us);
        } else if constexpr (std::is_same_v<T, Timestamp>) {
          out = wire::format_timestamp_utc(x.epoch_us);
        } else if constexpr (std::is_same_v<T, TimestampTz>) {
          out = wire::format_timestamp_at_offset(x.epoch_us, x.offset_seconds);
          if (!x.zone.empty() && x.zone.front() != '+' && x.zone.front() != '-') {
            out += '[';
            out += x.zone;
            out += ']';
          }
        } else {
          out = x.to_string();
        }
      },
      v);
  return out;
}

// ---- RowView / Batch ----------------------------------------------------------------------------

Value RowView::operator[](std::size_t column) const {
  if (column >= data_->columns.size()) {
    throw UsageError("RowView: column " + std::to_string(column) + " is out of range for " +
                     std::to_string(data_->columns.size()) + " columns");
  }
  return ColumnView(data_->columns[column]).value_at(row_);
}

std::string RowView::to_string(std::size_t column) const {
  if (column >= data_->columns.size()) {
    throw UsageError("RowView: column " + std::to_string(column) + " is out of range for " +
                     std::to_string(data_->columns.size()) + " columns");
  }
  return ColumnView(data_->columns[column]).to_string(row_);
}

Batch::Batch() : data_(std::make_shared<const detail::BatchData>()) {}

Batch::Batch(std::shared_ptr<const detail::BatchData> data) noexcept : data_(std::move(data)) {}

ColumnView Batch::column(std::size_t i) const {
  if (i >= data_->columns.size()) {
    throw UsageError("Batch::column: column " + std::to_string(i) + " is out of range for " +
                     std::to_string(data_->columns.size()) + " columns");
  }
  return ColumnView(data_->columns[i]);
}

RowView Batch::row(std::int64_t i) const {
  if (i < 0 || i >= data_->rows) {
    throw UsageError("Batch::row: row " + std::to_string(i) + " is out of range for " +
                     std::to_string(data_->rows) + " rows");
  }
  return RowView(*data_, i);
}

}  // namespace e6data

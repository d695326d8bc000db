#pragma once
// Builders of columns and batches, for the encoders' callers (the dev server) and for tests.

#include <cstdint>
#include <optional>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "e6data/batch.hpp"
#include "wire/time_zone.hpp"

namespace e6data::wire {

// Appends rows to one column. Methods throw UsageError when the value does not fit the column's
// vector type (e.g. append_bytes on a LONG column) or a zone is invalid.
class ColumnBuilder {
 public:
  explicit ColumnBuilder(VectorType type, TimeZoneDatabase& zones = TimeZoneDatabase::system());

  // A constant column: `value` applies to all `rows` (std::monostate: every row null).
  static detail::ColumnData constant(VectorType type, std::int64_t rows, const Value& value,
                                     TimeZoneDatabase& zones = TimeZoneDatabase::system());

  VectorType type() const { return data_.type; }
  std::int64_t size() const { return data_.size; }

  void append_null();
  void append_bool(bool value);
  void append_int32(std::int32_t value);
  // LONG, and DATE/DATETIME/TIMESTAMP as epoch microseconds.
  void append_int64(std::int64_t value);
  void append_double(double value);
  void append_bytes(std::string_view value);
  // DECIMAL128: every value of a column shares one scale (the wire has one per vector).
  void set_decimal_scale(std::int32_t scale);
  void append_decimal(int128 unscaled);
  // TIMESTAMP_TZ: every non-null row has a zone, or none has (the wire cannot say "no zone" for
  // one row of a zoneData list).
  void append_timestamp_tz(std::int64_t epoch_us, std::optional<std::string_view> zone);
  // Any Value matching the column type.
  void append(const Value& value);

  detail::ColumnData finish() &&;

 private:
  void require(PhysicalType physical, const char* operation) const;
  void push_null_flag(bool is_null);
  std::int32_t intern_zone(std::string_view zone);

  detail::ColumnData data_;
  TimeZoneDatabase* zones_;
  std::unordered_map<std::string, std::int32_t> zone_ids_;
  std::optional<bool> with_zones_;
};

// Assembles columns of equal length into a Batch.
class BatchBuilder {
 public:
  // Throws UsageError when the column's length differs from the columns added before.
  BatchBuilder& add_column(detail::ColumnData column);
  // An empty builder gives the end-of-results batch.
  Batch finish() &&;

 private:
  detail::BatchData data_;
};

}  // namespace e6data::wire

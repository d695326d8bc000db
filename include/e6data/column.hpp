#pragma once
/// \file
/// \brief ColumnView: zero-copy, typed access to one column of a Batch.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "e6data/detail/column_data.hpp"
#include "e6data/errors.hpp"
#include "e6data/values.hpp"
#include "e6data/vector_type.hpp"

namespace e6data {

/// \brief A non-owning view of one column of a Batch.
///
/// Reads are zero-copy: `values<T>()` returns a span over the decoded storage and `string_at()`
/// a view into the batch's byte buffer.
/// \warning A ColumnView, and every span or string_view it returns, is valid only while a copy of
/// the Batch it came from lives. Thread safety: const methods may be called from any number of
/// threads at once (the storage is immutable).
class ColumnView {
 public:
  explicit ColumnView(const detail::ColumnData& data) noexcept : data_(&data) {}

  /// \brief The column's vector type.
  VectorType type() const noexcept { return data_->type; }
  /// \brief How values are stored (decides the T of values<T>()).
  PhysicalType physical_type() const noexcept { return physical_type_of(data_->type); }
  /// \brief Number of rows.
  std::int64_t size() const noexcept { return data_->size; }
  /// \brief True when one stored value applies to every non-null row; then values<T>() has one
  /// element.
  bool is_constant() const noexcept { return data_->constant; }

  /// \brief True when row `row` is null. \pre 0 <= row < size() (unchecked).
  bool is_null(std::int64_t row) const noexcept {
    const auto& nulls = data_->nulls;
    if (nulls.empty()) return true;  // only NULL columns have no null set
    return nulls.size() == 1 ? nulls[0] : nulls[static_cast<std::size_t>(row)];
  }
  /// \brief Number of null rows.
  std::int64_t null_count() const noexcept;

  /// \brief The stored values, zero-copy: one per row, or one for a constant column. Entries at
  /// null rows are unspecified placeholders.
  /// \tparam T bool, std::int32_t, std::int64_t, double or int128, matching physical_type().
  /// \throws UsageError when T does not match physical_type().
  template <typename T>
  std::span<const T> values() const;

  /// \brief The value of row `row` as bool / int32 / int64 (also epoch us of temporal types) /
  /// double / unscaled decimal / bytes. Strict: \throws UsageError when the column is stored
  /// otherwise, or `row` is out of range. The value of a null row is unspecified (0 or empty).
  bool bool_at(std::int64_t row) const;
  std::int32_t int32_at(std::int64_t row) const;
  std::int64_t int64_at(std::int64_t row) const;
  double double_at(std::int64_t row) const;
  Decimal128 decimal_at(std::int64_t row) const;
  /// \warning the view is valid while a copy of the Batch lives.
  std::string_view string_at(std::int64_t row) const;

  /// \brief TIMESTAMP_TZ: the zone sent with row `row`, or nullopt when none was sent.
  /// \throws UsageError for other column types or an out-of-range row.
  std::optional<std::string_view> zone_at(std::int64_t row) const;
  /// \brief TIMESTAMP_TZ: the UTC offset of row `row`'s zone at its instant (0 without a zone).
  /// \throws UsageError for other column types or an out-of-range row.
  std::int32_t offset_seconds_at(std::int64_t row) const;

  /// \brief The cell as a Value (std::monostate for null). \throws UsageError if out of range.
  Value value_at(std::int64_t row) const;

  /// \brief Checked read: the value, or nullopt when the row is null or the column does not
  /// hold `T` (`T` as in Value, e.g. std::int64_t, std::string_view, Timestamp).
  template <typename T>
  std::optional<T> get(std::int64_t row) const {
    Value v = value_at(row);
    if (auto* p = std::get_if<T>(&v)) return *p;
    return std::nullopt;
  }

  /// \brief Display text of the cell, as `e6data-cli` prints it ("NULL" for null).
  std::string to_string(std::int64_t row) const;

  /// \brief Vector.zoneOffset and Vector.format as sent (not interpreted).
  const std::string& wire_zone_offset() const noexcept { return data_->zone_offset; }
  const std::string& wire_format() const noexcept { return data_->format; }

 private:
  std::size_t checked_index(std::int64_t row, PhysicalType expected, const char* operation) const;

  const detail::ColumnData* data_;
};

}  // namespace e6data

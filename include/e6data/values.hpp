#pragma once
/// \file
/// \brief Value types for reading results row by row.

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

namespace e6data {

/// \brief Signed 128-bit integer (GCC/Clang extension), the unscaled value of DECIMAL128.
__extension__ using int128 = __int128;

/// \brief An exact decimal: `unscaled * 10^-scale`.
struct Decimal128 {
  int128 unscaled = 0;
  std::int32_t scale = 0;
  /// \brief Plain notation with exactly max(scale, 0) fraction digits, e.g. "-123.45".
  std::string to_string() const;
  friend bool operator==(const Decimal128&, const Decimal128&) = default;
};

/// \brief A DATE: midnight UTC of a day, as epoch microseconds.
struct Date {
  std::int64_t epoch_us = 0;
  friend bool operator==(const Date&, const Date&) = default;
};

/// \brief A DATETIME or TIMESTAMP: an instant in UTC, as epoch microseconds.
struct Timestamp {
  std::int64_t epoch_us = 0;
  friend bool operator==(const Timestamp&, const Timestamp&) = default;
};

/// \brief A TIMESTAMP_TZ: an instant plus the zone it was sent with.
/// \warning `zone` views the batch's storage: valid while a copy of the Batch lives.
struct TimestampTz {
  std::int64_t epoch_us = 0;
  std::string_view zone;            ///< as sent; empty when the row had no zone (UTC)
  std::int32_t offset_seconds = 0;  ///< the zone's UTC offset at that instant
  friend bool operator==(const TimestampTz&, const TimestampTz&) = default;
};

/// \brief One cell. `std::monostate` is SQL NULL. STRING, BINARY, ARRAY, MAP and STRUCT cells are
/// `std::string_view` (the column type tells them apart); INTEGER is `int32_t`, LONG `int64_t`,
/// DOUBLE and FLOAT `double`.
/// \warning string views and zones view the batch's storage: valid while a copy of the Batch lives.
using Value = std::variant<std::monostate, bool, std::int32_t, std::int64_t, double,
                           std::string_view, Date, Timestamp, TimestampTz, Decimal128>;

}  // namespace e6data

#pragma once
/// \file
/// \brief The column types of e6data result batches (Thrift `VectorType`, PROTOCOL.md §5.2).

#include <cstdint>
#include <optional>
#include <string_view>

namespace e6data {

/// \brief Type of one result column as sent in `Vector.vectorType`. The values are the wire ids.
enum class VectorType : std::int32_t {
  kBinary = 0,
  kBoolean = 1,
  kDouble = 2,
  kFloat = 3,  ///< sent as doubles on the wire; not narrowed to float
  kInt96 = 4,  ///< has no data member on the wire: batches carrying it are refused
  kInteger = 5,
  kLong = 6,
  kString = 7,
  kDate = 8,          ///< epoch microseconds
  kDateTime = 9,      ///< epoch microseconds, UTC
  kTimestamp = 10,    ///< carried like kDateTime
  kStruct = 11,       ///< rendered as text by the server
  kMap = 12,          ///< rendered as text by the server
  kArray = 13,        ///< rendered as text by the server
  kNull = 14,         ///< every row is null
  kTimestampTz = 15,  ///< epoch microseconds plus a zone per row
  kDecimal128 = 16,   ///< 128-bit unscaled value plus a scale
};

/// \brief The wire name, e.g. "TIMESTAMP_TZ".
std::string_view to_string(VectorType type) noexcept;
/// \brief The type with that wire id, or nullopt when the id is not in the enum.
std::optional<VectorType> vector_type_from_id(std::int32_t id) noexcept;
/// \brief The type with that wire name ("LONG", "TIMESTAMP_TZ", ...), or nullopt.
std::optional<VectorType> vector_type_from_name(std::string_view name) noexcept;

/// \brief How a column's values are stored in memory, which decides the `T` of
/// `ColumnView::values<T>()`.
enum class PhysicalType {
  kNone,        ///< NULL columns: no values
  kBool,        ///< `bool`
  kInt32,       ///< `std::int32_t` (INTEGER)
  kInt64,       ///< `std::int64_t` (LONG, and DATE/DATETIME/TIMESTAMP/TIMESTAMP_TZ as epoch us)
  kDouble,      ///< `double` (DOUBLE, FLOAT)
  kBytes,       ///< bytes in one buffer with offsets (STRING, BINARY, ARRAY, MAP, STRUCT)
  kDecimal128,  ///< `e6data::int128` unscaled values sharing one scale
};

/// \brief The in-memory storage of a vector type.
PhysicalType physical_type_of(VectorType type) noexcept;

}  // namespace e6data

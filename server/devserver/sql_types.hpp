#pragma once
// How SQLite columns become e6data columns (docs/devserver.md, "Types").
//
// SQLite is dynamically typed, so the e6data type of a result column is decided once per query
// and then holds for every batch: from the column's declared type when it comes straight from a
// table column, else from the storage class of the first row's value (INTEGER -> LONG,
// REAL -> DOUBLE, TEXT -> STRING, BLOB -> BINARY, NULL or no rows -> STRING).

#include <sqlite3.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "e6data/values.hpp"
#include "e6data/vector_type.hpp"
#include "wire/column_builder.hpp"

namespace e6data::devserver {

struct ColumnType {
  VectorType vector_type = VectorType::kString;
  std::int32_t decimal_scale = 0;  // DECIMAL128 only
  // The metadata type string (PROTOCOL §5.1), e.g. "LONG", "DECIMAL128".
  std::string metadata_type() const { return std::string(to_string(vector_type)); }
  friend bool operator==(const ColumnType&, const ColumnType&) = default;
};

// From a declared type ("BIGINT", "DECIMAL(12,2)", "TIMESTAMPTZ", ...); nullopt when the
// declared type says nothing we map (then the storage class decides).
std::optional<ColumnType> column_type_from_declared(std::string_view declared);
// From a storage class (SQLITE_INTEGER, ...).
ColumnType column_type_from_storage(int storage_class);

// Text forms stored in SQLite for the temporal and decimal types. Each returns nullopt when the
// text is not in the accepted form.
//   DATE          YYYY-MM-DD                                   -> epoch microseconds (midnight UTC)
//   TIMESTAMP     YYYY-MM-DD[T| ]HH:MM:SS[.f{1,6}][Z|+HH:MM]    -> epoch microseconds (UTC)
//   TIMESTAMPTZ   same; the offset text becomes the zone ("Z", "+05:30"; none -> "UTC")
//   DECIMAL(p,s)  [-]digits[.digits][e[+-]digits] (rounded half away from zero to s digits)
std::optional<std::int64_t> parse_date(std::string_view text);
struct ParsedTimestamp {
  std::int64_t epoch_us = 0;
  std::string zone;  // "Z", "+05:30", or "UTC" when the text had no offset
};
std::optional<ParsedTimestamp> parse_timestamp(std::string_view text);
std::optional<int128> parse_decimal(std::string_view text, std::int32_t scale);
// The unscaled DECIMAL(p,`scale`) value of a REAL that SQLite holds in a DECIMAL column, without
// rendering it as text: the value parse_decimal() gives for SQLite's own text of `value` whenever
// this returns one. It returns one only when `value` is the double nearest to a decimal of at most
// 15 significant digits and `scale` fraction digits (SQLite renders such a double as exactly that
// decimal); nullopt otherwise (then the text decides: 1.005 is not 1.005 as a double).
std::optional<int128> decimal_from_real(double value, std::int32_t scale);

// Appends the value of column `col` of `stmt`'s current row to `out` as `type` (NULL as null) and
// returns its rough encoded size (for a batch's byte limit): 5 + its length for TEXT and BLOB
// storage, else 9. Throws EngineError(kInternal) naming the column (`name`) and the value when it
// does not fit the type (text that is not a date in a DATE column, a 64-bit value in an INTEGER
// one, ...).
std::size_t append_cell(wire::ColumnBuilder& out, const ColumnType& type, sqlite3_stmt* stmt,
                        int col, std::string_view name);

// Days since 1970-01-01 of a proleptic Gregorian date.
std::int64_t days_from_civil(std::int64_t year, unsigned month, unsigned day);

}  // namespace e6data::devserver

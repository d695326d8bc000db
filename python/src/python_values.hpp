#pragma once
// Result values as exact Python objects: int, float, Decimal with the column's scale, bool, str,
// bytes, date, datetime (aware for TIMESTAMP_TZ), None for NULL.

#include <pybind11/pybind11.h>

#include <cstdint>
#include <string>
#include <vector>

#include "e6data/batch.hpp"
#include "e6data/values.hpp"

namespace e6py {

// Imports what the conversions use (datetime C API, decimal.Decimal). Once, at import.
void init_python_values();

// Cell `row` of `column` as a new Python object. `name` is the column's name, for errors.
// \throws ValueRangeError for a date or time Python cannot represent (years outside 1..9999)
pybind11::object cell_object(const e6data::ColumnView& column, std::int64_t row,
                             const std::string& name);

// Rows [begin, end) of `batch` as a list of tuples.
// \throws ValueRangeError as cell_object()
pybind11::list rows_to_python(const e6data::Batch& batch, std::int64_t begin, std::int64_t end,
                              const std::vector<std::string>& names);

// The decimal digits of a 128-bit integer (a DECIMAL's unscaled value), with '-' when negative.
std::string int128_text(e6data::int128 value);

// Floor division for microsecond arithmetic on instants before 1970.
constexpr std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  const std::int64_t q = a / b;
  return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

}  // namespace e6py

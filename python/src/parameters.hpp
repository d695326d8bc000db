#pragma once
// Python parameter values as the library's typed values.

#include <pybind11/pybind11.h>

#include <deque>
#include <string>
#include <vector>

#include "e6data/cursor.hpp"
#include "e6data/values.hpp"

namespace e6py {

// Values that view text this object keeps (e6data::Value holds string views and zone names).
struct BoundParameters {
  std::vector<e6data::Value> positional;
  e6data::NamedParameters named;
  bool is_named = false;
  std::deque<std::string> storage;  // deque: growing it never moves what the views see
};

// Imports the datetime C API for this file. Once, at import.
void init_parameters();

// `values`: None, a sequence (for `?`) or a mapping (for `:name`). Types: None, bool, int (64-bit;
// larger ones as DECIMAL), float, str, decimal.Decimal, datetime.date, datetime.datetime (naive:
// UTC; aware: TIMESTAMP_TZ with its offset). Needs the GIL.
// \throws UnsupportedParameter for other types, naming the parameter and its type;
// e6data::UsageError for values outside the types' ranges (NaN decimals, 39-digit integers)
BoundParameters bind_parameters(const pybind11::handle& values);

}  // namespace e6py

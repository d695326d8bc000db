#pragma once
// Column-wise results as numpy arrays, filled batch by batch (fetchnumpy, fetch_df).

#include <pybind11/pybind11.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "e6data/batch.hpp"
#include "e6data/schema.hpp"

namespace e6py {

// Accumulates a result column by column. Numbers, booleans and times are copied (one memcpy per
// batch for each column) into storage that the final numpy arrays take over without a copy;
// other types become object arrays of the values fetchone() gives. Needs the GIL.
class NumpyColumns {
 public:
  // `columns`: the result's description; `expected_rows`: the server's row count (a hint for
  // reserving; ignored when unknown or implausible).
  NumpyColumns(const std::vector<e6data::ColumnInfo>& columns, std::int64_t expected_rows);
  ~NumpyColumns();
  NumpyColumns(const NumpyColumns&) = delete;
  NumpyColumns& operator=(const NumpyColumns&) = delete;

  // Appends rows [begin, num_rows) of `batch`.
  // \throws ValueRangeError as cell_object() (object columns); e6data::UsageError when the batch
  // does not match the description
  void append(const e6data::Batch& batch, std::int64_t begin = 0);
  // The arrays by column name (a repeated name gets "_2", "_3"...): numpy.ndarray, or
  // numpy.ma.MaskedArray when a numeric, boolean or time column has nulls. Call once.
  pybind11::dict finish();

 private:
  struct Column;
  std::vector<std::unique_ptr<Column>> columns_;
};

}  // namespace e6py

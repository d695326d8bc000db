#pragma once
// The extension's Cursor: a library Cursor read from Python, one call at a time, with the GIL
// released around every network call.

#include <pybind11/pybind11.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "e6data/cursor.hpp"

namespace e6py {

class ConnectionSlot;
class NumpyColumns;

class PyCursor {
 public:
  PyCursor(std::shared_ptr<ConnectionSlot> slot, e6data::Cursor cursor);
  PyCursor(PyCursor&& other) noexcept;
  PyCursor& operator=(PyCursor&&) = delete;
  PyCursor(const PyCursor&) = delete;
  PyCursor& operator=(const PyCursor&) = delete;
  ~PyCursor();

  // `parameters`: None, a sequence (for `?`) or a mapping (for `:name`).
  void execute(const std::string& sql, const pybind11::object& parameters,
               std::optional<double> timeout);
  pybind11::object fetchone(std::optional<double> timeout);
  pybind11::list fetchmany(std::int64_t size, std::optional<double> timeout);
  pybind11::list fetchall(std::optional<double> timeout);
  // The remaining rows as one list per batch, or None at the end: the rows of one server batch.
  pybind11::object fetch_batch(std::optional<double> timeout);
  // The remaining rows column by column (see NumpyColumns).
  pybind11::dict fetchnumpy(std::optional<double> timeout);
  // [(name, type name), ...] of the current result; empty before execute.
  pybind11::list description();
  std::int64_t rowcount();
  pybind11::dict status(std::optional<double> timeout);
  std::string explain(std::optional<double> timeout);
  pybind11::dict explain_analyze(std::optional<double> timeout);
  // Cancels the running call (any thread) and the query on the server.
  void cancel(std::optional<double> timeout);
  void clear(std::optional<double> timeout);
  std::string query_id();
  // The deployment the query runs on ("blue", "green"), "" without one.
  std::string deployment();
  void close();
  bool closed() const { return closed_.load(); }

 private:
  class Call;  // one Python call: exclusive use, a deadline, the cancel token
  friend class Call;
  // Makes sure rows are available in batch_; false at the end of the result.
  bool ensure_rows(Call& call);
  void keep_on_failure(const pybind11::list& taken);
  // Up to `most` carried rows (all when negative), removed from carry_.
  pybind11::list take_carried(std::int64_t most);
  void require_no_partial_numpy(const char* operation) const;
  void forget_result();

  std::shared_ptr<ConnectionSlot> slot_;
  std::optional<e6data::Cursor> cursor_;
  std::mutex busy_;  // held for the whole of a Python call on this cursor

  std::mutex token_mutex_;  // guards running_
  std::shared_ptr<e6data::CancellationToken> running_;

  std::optional<e6data::Batch> batch_;
  std::int64_t next_row_ = 0;
  // What a failed fetch had already taken from the result (see keep_on_failure()).
  pybind11::list carry_;
  std::unique_ptr<NumpyColumns> numpy_partial_;
  bool exhausted_ = true;
  // Read by cancel() from another thread: atomic.
  std::atomic<bool> executed_{false};
  std::atomic<bool> closed_{false};
  std::vector<std::string> names_;
};

}  // namespace e6py

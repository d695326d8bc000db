#include "py_cursor.hpp"

#include <utility>

#include "blocking_call.hpp"
#include "e6data/errors.hpp"
#include "error_translation.hpp"
#include "numpy_columns.hpp"
#include "parameters.hpp"
#include "py_connection.hpp"
#include "python_values.hpp"

namespace py = pybind11;

namespace e6py {

// One Python call on the cursor: holds the cursor for the call (a second thread is refused, not
// made to wait behind a long fetch), carries one deadline for everything the call does (a fetchall
// of many batches included), and publishes its cancel token so cancel() can stop it.
class PyCursor::Call {
 public:
  Call(PyCursor& cursor, const char* operation, std::optional<double> timeout)
      : cursor_(cursor), lock_(cursor.busy_, std::try_to_lock), operation_(operation) {
    if (!lock_.owns_lock()) {
      throw e6data::UsageError(std::string(operation) +
                               ": the cursor is in use by another thread (a cursor serves one "
                               "thread at a time; give each thread its own cursor)");
    }
    if (cursor.closed_) raise_interface_error(std::string(operation) + ": the cursor is closed");
    options_ = call_options(timeout);
    if (options_.timeout.count() > 0)
      deadline_ = std::chrono::steady_clock::now() + options_.timeout;
    std::lock_guard token_lock(cursor.token_mutex_);
    cursor.running_ = options_.cancel;
  }
  ~Call() {
    std::lock_guard token_lock(cursor_.token_mutex_);
    cursor_.running_.reset();
  }
  Call(const Call&) = delete;
  Call& operator=(const Call&) = delete;

  // Options for the next library call: what is left of the deadline.
  e6data::QueryOptions next() const {
    e6data::QueryOptions options = options_;
    if (deadline_) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          *deadline_ - std::chrono::steady_clock::now());
      if (left.count() <= 0) {
        throw e6data::TimeoutError(e6data::ErrorKind::kTimeout,
                                   std::string(operation_) + ": the call's timeout of " +
                                       std::to_string(options_.timeout.count()) + " ms passed");
      }
      options.timeout = left;
    }
    return options;
  }
  void run(const std::function<void()>& work) const { run_released(work, options_.cancel); }

 private:
  PyCursor& cursor_;
  std::unique_lock<std::mutex> lock_;
  const char* operation_;
  e6data::QueryOptions options_;
  std::optional<std::chrono::steady_clock::time_point> deadline_;
};

PyCursor::PyCursor(std::shared_ptr<ConnectionSlot> slot, e6data::Cursor cursor)
    : slot_(std::move(slot)), cursor_(std::move(cursor)) {}

PyCursor::PyCursor(PyCursor&& other) noexcept
    : slot_(std::move(other.slot_)),
      cursor_(std::move(other.cursor_)),
      batch_(std::move(other.batch_)),
      next_row_(other.next_row_),
      exhausted_(other.exhausted_),
      executed_(other.executed_.load()),
      closed_(other.closed_.load()),
      names_(std::move(other.names_)) {
  other.closed_ = true;
}

PyCursor::~PyCursor() {
  // The library cursor clears its query on the server (bounded by cleanup_timeout): never with
  // the GIL held, so other Python threads run meanwhile.
  if (PyGILState_Check() != 0) {
    py::gil_scoped_release released;
    cursor_.reset();
    slot_.reset();
  }
}

void PyCursor::forget_result() {
  carry_ = py::list();
  numpy_partial_.reset();
  batch_.reset();
  next_row_ = 0;
  exhausted_ = true;
  names_.clear();
}

void PyCursor::execute(const std::string& sql, const py::object& parameters,
                       std::optional<double> timeout) {
  Call call(*this, "execute", timeout);
  slot_->get("execute");  // InterfaceError once the connection is closed
  const BoundParameters bound = bind_parameters(parameters);
  forget_result();
  const e6data::QueryOptions options = call.next();
  call.run([&] {
    if (bound.is_named) {
      cursor_->execute(sql, bound.named, options);
    } else {
      cursor_->execute(sql, bound.positional, options);
    }
  });
  executed_ = true;
  exhausted_ = false;
  for (const e6data::ColumnInfo& column : cursor_->description()) names_.push_back(column.name);
}

bool PyCursor::ensure_rows(Call& call) {
  for (;;) {
    if (batch_ && next_row_ < batch_->num_rows()) return true;
    if (exhausted_ || !executed_) return false;
    std::optional<e6data::Batch> next;
    const e6data::QueryOptions options = call.next();
    call.run([&] { next = cursor_->next_batch(options); });
    if (!next) {
      exhausted_ = true;
      batch_.reset();
      return false;
    }
    batch_ = std::move(next);
    next_row_ = 0;
  }
}

// Rows a failed fetch had already taken from the result are kept (carry_) and handed out first
// by the next fetch, and a failed fetchnumpy() keeps its arrays so far for the next one: a
// failure (a timeout between batches, Ctrl-C, a value Python cannot hold) never drops rows.
void PyCursor::keep_on_failure(const py::list& taken) {
  if (py::len(taken) == 0) return;
  carry_ = taken;  // `taken` began with whatever was carried before
}

py::list PyCursor::take_carried(std::int64_t most) {
  const auto carried = static_cast<std::int64_t>(py::len(carry_));
  if (carried == 0) return py::list();
  if (most < 0 || most >= carried) return std::exchange(carry_, py::list());
  py::list head = carry_[py::slice(0, most, 1)];
  carry_ = carry_[py::slice(most, carried, 1)];
  return head;
}

void PyCursor::require_no_partial_numpy(const char* operation) const {
  if (numpy_partial_) {
    throw e6data::UsageError(std::string(operation) +
                             ": a fetchnumpy() that failed holds the rows it had read; call "
                             "fetchnumpy() again to get them with the rest");
  }
}

py::object PyCursor::fetchone(std::optional<double> timeout) {
  Call call(*this, "fetchone", timeout);
  require_no_partial_numpy("fetchone");
  py::list carried = take_carried(1);
  if (py::len(carried) == 1) return carried[0];
  if (!ensure_rows(call)) return py::none();
  py::list rows = rows_to_python(*batch_, next_row_, next_row_ + 1, names_);
  ++next_row_;
  return rows[0];
}

py::list PyCursor::fetchmany(std::int64_t size, std::optional<double> timeout) {
  Call call(*this, "fetchmany", timeout);
  if (size < 0) throw e6data::UsageError("fetchmany: size must not be negative");
  require_no_partial_numpy("fetchmany");
  py::list out = take_carried(size);
  try {
    auto taken = static_cast<std::int64_t>(py::len(out));
    while (taken < size && ensure_rows(call)) {
      const std::int64_t n = std::min(size - taken, batch_->num_rows() - next_row_);
      py::list rows = rows_to_python(*batch_, next_row_, next_row_ + n, names_);
      next_row_ += n;
      taken += n;
      out.attr("extend")(rows);
    }
  } catch (...) {
    keep_on_failure(out);
    throw;
  }
  return out;
}

py::list PyCursor::fetchall(std::optional<double> timeout) {
  Call call(*this, "fetchall", timeout);
  require_no_partial_numpy("fetchall");
  py::list out = take_carried(-1);
  try {
    while (ensure_rows(call)) {
      py::list rows = rows_to_python(*batch_, next_row_, batch_->num_rows(), names_);
      next_row_ = batch_->num_rows();
      if (py::len(out) == 0) {
        out = std::move(rows);
      } else {
        out.attr("extend")(rows);
      }
    }
  } catch (...) {
    keep_on_failure(out);
    throw;
  }
  return out;
}

py::object PyCursor::fetch_batch(std::optional<double> timeout) {
  Call call(*this, "fetch_batch", timeout);
  require_no_partial_numpy("fetch_batch");
  py::list carried = take_carried(-1);
  if (py::len(carried) > 0) return carried;
  if (!ensure_rows(call)) return py::none();
  py::list rows = rows_to_python(*batch_, next_row_, batch_->num_rows(), names_);
  next_row_ = batch_->num_rows();
  return rows;
}

py::dict PyCursor::fetchnumpy(std::optional<double> timeout) {
  Call call(*this, "fetchnumpy", timeout);
  if (py::len(carry_) > 0) {
    throw e6data::UsageError("fetchnumpy: " + std::to_string(py::len(carry_)) +
                             " rows of a failed fetch are waiting; read them with fetchall() or "
                             "fetchmany() first");
  }
  if (!numpy_partial_) {
    numpy_partial_ = std::make_unique<NumpyColumns>(
        executed_ ? cursor_->description() : std::vector<e6data::ColumnInfo>{},
        executed_ ? cursor_->rowcount() : 0);
  }
  // On a failure the columns so far stay in numpy_partial_ for the next fetchnumpy().
  while (ensure_rows(call)) {
    numpy_partial_->append(*batch_, next_row_);
    next_row_ = batch_->num_rows();
    batch_.reset();  // memory: one batch at a time plus the arrays
  }
  std::unique_ptr<NumpyColumns> columns = std::move(numpy_partial_);
  return columns->finish();
}

py::list PyCursor::description() {
  py::list out;
  if (!executed_ || !cursor_) return out;
  for (const e6data::ColumnInfo& column : cursor_->description()) {
    out.append(py::make_tuple(column.name, column.type));
  }
  return out;
}

std::int64_t PyCursor::rowcount() {
  return executed_ && cursor_ ? cursor_->rowcount() : -1;
}

py::dict PyCursor::status(std::optional<double> timeout) {
  Call call(*this, "status", timeout);
  e6data::QueryStatus status;
  const e6data::QueryOptions options = call.next();
  call.run([&] { status = cursor_->status(options); });
  py::dict out;
  out["status"] = status.finished;
  out["row_count"] = status.row_count;
  return out;
}

std::string PyCursor::explain(std::optional<double> timeout) {
  Call call(*this, "explain", timeout);
  std::string plan;
  const e6data::QueryOptions options = call.next();
  call.run([&] { plan = cursor_->explain(options); });
  return plan;
}

py::dict PyCursor::explain_analyze(std::optional<double> timeout) {
  Call call(*this, "explain_analyze", timeout);
  e6data::ExplainAnalyzeResult result;
  const e6data::QueryOptions options = call.next();
  call.run([&] { result = cursor_->explain_analyze(options); });
  py::dict out;
  out["is_cached"] = result.is_cached;
  out["parsing_time"] = result.parsing_time_ms;
  out["queuing_time"] = result.queueing_time_ms;
  out["planner"] = result.plan;
  return out;
}

void PyCursor::cancel(std::optional<double> timeout) {
  // No Call: cancel comes from another thread while a call runs. The running call's token stops
  // it at once; the library's cancel then cancels the query on the server and releases it.
  {
    std::lock_guard token_lock(token_mutex_);
    if (running_) running_->cancel();
  }
  if (closed_ || !cursor_) return;
  const e6data::QueryOptions options = call_options(timeout);
  try {
    run_released([&] { cursor_->cancel(options); }, options.cancel);
  } catch (const e6data::UsageError&) {
    // No statement was executed yet: there is nothing on the server to cancel.
  }
}

void PyCursor::clear(std::optional<double> timeout) {
  Call call(*this, "clear", timeout);
  forget_result();
  const e6data::QueryOptions options = call.next();
  call.run([&] { cursor_->clear(options); });
}

std::string PyCursor::query_id() {
  return cursor_ ? cursor_->query_id() : std::string();
}

std::string PyCursor::deployment() {
  return cursor_ ? cursor_->deployment() : std::string();
}

void PyCursor::close() {
  if (closed_) return;
  Call call(*this, "close", std::nullopt);
  forget_result();
  closed_ = true;
  if (!slot_->is_open()) return;  // the connection is gone, and its queries with it
  // Best effort and bounded like the library's destructor (cleanup_timeout; 0 skips it): a
  // failed clear is not raised, the server drops the query after its idle timeout.
  e6data::QueryOptions options = call.next();
  options.timeout = slot_->get("close").options().cleanup_timeout;
  if (options.timeout.count() == 0 || !executed_) return;
  try {
    call.run([&] { cursor_->clear(options); });
  } catch (const e6data::Error&) {
    // The query is forgotten either way (Cursor::clear): closing must not fail because a cluster
    // is unreachable.
  }
}

}  // namespace e6py

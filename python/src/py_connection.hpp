#pragma once
// The extension's Connection: a library Connection (owned, or lent by a ConnectionPool) shared
// with the cursors made from it.

#include <pybind11/pybind11.h>

#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "e6data/connection.hpp"
#include "e6data/connection_pool.hpp"
#include "e6data/options.hpp"

namespace e6py {

class PyCursor;

// Where a Python connection's library Connection lives. Cursors keep it alive; once closed (or
// given back to its pool) every use raises InterfaceError.
class ConnectionSlot {
 public:
  explicit ConnectionSlot(e6data::ConnectionOptions options) : own_(std::move(options)) {}
  explicit ConnectionSlot(e6data::PooledConnection lease)
      : lease_(std::move(lease)), pooled_(true) {}
  // The connection, or InterfaceError naming `operation` when closed.
  e6data::Connection& get(const char* operation);
  // Closes it (owned) or gives it back (pooled; `discard` closes it instead). Idempotent.
  void close(bool discard = false);
  bool is_open() const;
  bool pooled() const { return pooled_; }

 private:
  mutable std::mutex mutex_;
  std::optional<e6data::Connection> own_;
  e6data::PooledConnection lease_;
  bool pooled_ = false;
  bool closed_ = false;
};

// ConnectionOptions from the package: `fields` maps option names (the C++ field names, nested
// ones dotted: "grpc.keepalive_time_ms", "strategy.shared_state") to values; applied over a URI
// when given, then the E6DATA_* environment fills what is still default when `use_env`.
// \throws e6data::UsageError naming an unknown option or a value of the wrong type
e6data::ConnectionOptions options_from(const pybind11::dict& fields,
                                       const std::optional<std::string>& uri, bool use_env);

class PyConnection {
 public:
  explicit PyConnection(std::shared_ptr<ConnectionSlot> slot) : slot_(std::move(slot)) {}
  PyConnection(PyConnection&&) noexcept = default;
  PyConnection& operator=(PyConnection&&) noexcept = default;
  PyConnection(const PyConnection&) = delete;
  PyConnection& operator=(const PyConnection&) = delete;
  // The last owner of a connection closes it, which may wait for its threads: not with the GIL.
  ~PyConnection();

  void authenticate(std::optional<double> timeout);
  PyCursor cursor(const std::string& catalog, const std::string& database);
  pybind11::list schemas(const std::string& catalog, std::optional<double> timeout);
  pybind11::list tables(const std::string& catalog, const std::string& schema,
                        std::optional<double> timeout);
  pybind11::list columns(const std::string& catalog, const std::string& schema,
                         const std::string& table, std::optional<double> timeout);
  std::string dry_run(const std::string& sql, std::optional<double> timeout);
  // The endpoint's strategy snapshot as JSON text (the package turns it into a dict).
  std::string strategy_json();
  std::string options_text();
  // The C++ path of a read, for the benchmark in the same process: execute `sql` and read every
  // batch with next_batch() (no Python objects). Returns (rows, seconds).
  pybind11::tuple read_all_cpp(const std::string& sql);
  void close(bool discard);
  bool is_open() const { return slot_->is_open(); }

 private:
  std::shared_ptr<ConnectionSlot> slot_;
};

}  // namespace e6py

#include "py_pool.hpp"

#include <chrono>
#include <cmath>

#include "blocking_call.hpp"
#include "e6data/errors.hpp"

namespace py = pybind11;

namespace e6py {
namespace {

std::chrono::milliseconds millis_of(const py::handle& value, const std::string& name) {
  if (py::isinstance<py::bool_>(value) ||
      !(py::isinstance<py::int_>(value) || py::isinstance<py::float_>(value))) {
    throw e6data::UsageError("pool setting " + name + " must be a number of seconds");
  }
  const auto seconds = value.cast<double>();
  if (!(seconds >= 0 && seconds <= 86400.0 * 365)) {
    throw e6data::UsageError("pool setting " + name + " must be between 0 and one year");
  }
  return std::chrono::milliseconds(static_cast<long long>(std::ceil(seconds * 1000.0)));
}

bool flag_of(const py::handle& value, const std::string& name) {
  if (!py::isinstance<py::bool_>(value)) {
    throw e6data::UsageError("pool setting " + name + " must be True or False");
  }
  return value.cast<bool>();
}

e6data::ConnectionPool::Settings settings_from(const py::dict& fields) {
  e6data::ConnectionPool::Settings settings;
  for (auto item : fields) {
    const std::string name = py::str(item.first);
    if (item.second.is_none()) continue;
    if (name == "validate_on_borrow") {
      settings.validate_on_borrow = flag_of(item.second, name);
    } else if (name == "validation_bypass") {
      settings.validation_bypass = millis_of(item.second, name);
    } else if (name == "keepalive_interval") {
      settings.keepalive_interval = millis_of(item.second, name);
    } else if (name == "leak_threshold") {
      settings.leak_threshold = millis_of(item.second, name);
    } else if (name == "close_timeout") {
      settings.close_timeout = millis_of(item.second, name);
    } else if (name == "warm_on_switch") {
      settings.warm_on_switch = flag_of(item.second, name);
    } else {
      throw e6data::UsageError("unknown pool setting '" + name + "'");
    }
  }
  return settings;
}

}  // namespace

PyPool::PyPool(e6data::ConnectionOptions options, const py::dict& settings)
    : default_wait_(options.pool.connection_timeout) {
  e6data::ConnectionPool::Settings parsed = settings_from(settings);
  py::gil_scoped_release released;  // makes min_connections connections (no network)
  pool_ = std::make_unique<e6data::ConnectionPool>(std::move(options), std::move(parsed));
}

PyPool::~PyPool() {
  if (PyGILState_Check() != 0) {
    py::gil_scoped_release released;  // stops the housekeeping thread
    pool_.reset();
  }
}

PyConnection PyPool::acquire(std::optional<double> timeout, const std::string& tag) {
  e6data::PooledConnection lease;
  std::optional<std::chrono::milliseconds> wait;
  if (timeout) wait = millis_of(py::float_(*timeout), "timeout");
  const std::chrono::milliseconds limit = wait.value_or(default_wait_);
  run_released([&] { lease = pool_->acquire(limit, tag); }, nullptr);
  return PyConnection(std::make_shared<ConnectionSlot>(std::move(lease)));
}

py::dict PyPool::stats() const {
  const e6data::ConnectionPool::Stats s = pool_->stats();
  py::dict out;
  out["open"] = s.open;
  out["idle"] = s.idle;
  out["in_use"] = s.in_use;
  out["waiting"] = s.waiting;
  out["created"] = s.created;
  out["closed_idle"] = s.closed_idle;
  out["closed_lifetime"] = s.closed_lifetime;
  out["timeouts"] = s.timeouts;
  out["validations"] = s.validations;
  out["validation_failures"] = s.validation_failures;
  out["keepalives"] = s.keepalives;
  out["leaks"] = s.leaks;
  out["soft_evicted"] = s.soft_evicted;
  out["warmed"] = s.warmed;
  out["warm_failures"] = s.warm_failures;
  out["paused"] = s.paused;
  return out;
}

void PyPool::soft_evict() {
  py::gil_scoped_release released;
  pool_->soft_evict();
}
void PyPool::pause() {
  pool_->pause();
}
void PyPool::unpause() {
  pool_->unpause();
}
void PyPool::close() {
  py::gil_scoped_release released;  // waits up to close_timeout for borrowed connections
  pool_->close();
}

std::string PyClusterManager::status() {
  std::string result;
  run_released([&] { result = manager_.status(); }, nullptr);
  return result;
}

std::string PyClusterManager::resume(bool wait, std::optional<double> timeout) {
  std::string result;
  const auto seconds =
      std::chrono::seconds(timeout ? static_cast<long long>(std::ceil(*timeout)) : 0);
  run_released([&] { result = manager_.resume(wait, seconds); }, nullptr);
  return result;
}

std::string PyClusterManager::suspend() {
  std::string result;
  run_released([&] { result = manager_.suspend(); }, nullptr);
  return result;
}

}  // namespace e6py

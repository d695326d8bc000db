#pragma once
// The extension's ConnectionPool and ClusterManager.

#include <pybind11/pybind11.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "e6data/cluster_manager.hpp"
#include "e6data/connection_pool.hpp"
#include "py_connection.hpp"

namespace e6py {

class PyPool {
 public:
  // `settings`: validate_on_borrow (bool), validation_bypass, keepalive_interval, leak_threshold,
  // close_timeout (seconds), warm_on_switch (bool).
  PyPool(e6data::ConnectionOptions options, const pybind11::dict& settings);
  ~PyPool();
  PyPool(const PyPool&) = delete;
  PyPool& operator=(const PyPool&) = delete;

  // A connection lent by the pool; closing it gives it back. `timeout` seconds (None: the
  // pool's connection_timeout).
  PyConnection acquire(std::optional<double> timeout, const std::string& tag);
  pybind11::dict stats() const;
  void soft_evict();
  void pause();
  void unpause();
  void close();

 private:
  std::chrono::milliseconds default_wait_;
  std::unique_ptr<e6data::ConnectionPool> pool_;
};

class PyClusterManager {
 public:
  explicit PyClusterManager(e6data::ConnectionOptions options) : manager_(std::move(options)) {}
  std::string status();
  std::string resume(bool wait, std::optional<double> timeout);
  std::string suspend();

 private:
  e6data::ClusterManager manager_;
};

}  // namespace e6py

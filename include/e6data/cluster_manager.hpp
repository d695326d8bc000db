#pragma once
/// \file
/// \brief ClusterManager: the status of an e6data cluster, and resuming or suspending it.

#include <chrono>
#include <memory>
#include <string>

#include "e6data/options.hpp"

namespace e6data {

namespace detail {
struct ConnectionState;
}

/// \brief Operations on the cluster itself (ClusterService), with the same options as a
/// Connection: status(), resume(), suspend().
///
/// Status values are the cluster's own words: "active", "suspended", "resuming", "suspending",
/// "failed". Connections with `auto_resume` use the same resume logic by themselves; a
/// ClusterManager is for operators and for applications that want to resume ahead of time.
/// \warning Thread safety: every method may be called from several threads at once; resumes of
/// one cluster from one process are shared (one resume, every caller waits for it).
class ClusterManager {
 public:
  /// \brief Checks the options; no network traffic until the first call.
  /// \throws UsageError listing every problem of ConnectionOptions::validate()
  explicit ClusterManager(ConnectionOptions options);
  ~ClusterManager();
  ClusterManager(ClusterManager&&) noexcept;
  ClusterManager& operator=(ClusterManager&&) noexcept;

  /// \brief The cluster's status now.
  /// \throws ConnectionError, AuthenticationError, TimeoutError
  std::string status();
  /// \brief Asks the cluster to resume. With `wait`, polls until it is active and returns
  /// "active"; otherwise returns the status the resume call reported.
  /// \param timeout how long to wait (default: the options' auto_resume_timeout)
  /// \throws ClusterSuspendedError when the cluster fails or is not active within the timeout
  std::string resume(bool wait = true, std::chrono::seconds timeout = std::chrono::seconds(0));
  /// \brief Asks the cluster to suspend; returns the status the call reported.
  std::string suspend();

 private:
  void require_usable(const char* operation) const;
  std::shared_ptr<detail::ConnectionState> state_;
};

}  // namespace e6data

#pragma once
// What a failed call means for the strategy layer. Decided on the typed error's fields (kind,
// retryable, the router's HTTP status), which src/rpc/failure.cpp sets in one place.

#include <chrono>

#include "e6data/errors.hpp"

namespace e6data::strategy {

enum class Recovery {
  kWrongDeployment,  // 456: the deployment named by the header is not serving
  kSessionLost,      // "Access denied": the session is unknown or expired
  kSuspended,        // 503: the cluster is suspended
  kTransient,        // the connection failed; a retry may succeed where it cannot duplicate work
  kNone,             // nothing to recover: report the error
};

inline Recovery recovery_for(const Error& e) noexcept {
  if (e.http_status() == 456) return Recovery::kWrongDeployment;
  if (e.http_status() == 503 || e.kind() == ErrorKind::kClusterSuspended) {
    return Recovery::kSuspended;
  }
  if (e.kind() == ErrorKind::kAuthentication && e.is_retryable()) return Recovery::kSessionLost;
  if (e.kind() == ErrorKind::kConnection && e.is_retryable()) return Recovery::kTransient;
  return Recovery::kNone;
}

// Delay before retry `retry` (1 = the first retry): factor * 2^(retry-1), scaled by `jitter` in
// [0.5, 1] so that clients that failed together do not retry together.
inline std::chrono::nanoseconds backoff_delay(int retry, std::chrono::duration<double> factor,
                                              double jitter) noexcept {
  const double scale = static_cast<double>(1ULL << (retry < 1 ? 0 : (retry > 30 ? 30 : retry - 1)));
  const double seconds = factor.count() * scale * (jitter < 0.5 ? 0.5 : (jitter > 1 ? 1 : jitter));
  return std::chrono::nanoseconds(static_cast<std::int64_t>(seconds * 1e9));
}

// Whether a query lost with its deployment or session may be run again transparently: when the
// statement never ran (its execute was refused before reaching a deployment, or refused for the
// session), or when it is a read whose rows the caller has not seen. Anything else could
// duplicate a side effect or hand the caller rows twice.
inline bool may_rerun(bool executed, bool is_read, bool rows_delivered) noexcept {
  if (!executed) return true;
  return is_read && !rows_delivered;
}

}  // namespace e6data::strategy

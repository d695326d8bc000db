#pragma once
/// \file
/// \brief Per-call settings: a deadline and a cancellation handle that travel with one call.

#include <chrono>
#include <memory>

namespace e6data {

namespace detail {
struct CancelState;
}

/// \brief A handle that cancels the calls it is given to, from any thread.
///
/// Copies share one state: cancelling any copy cancels them all. A cancelled token stays
/// cancelled; give each operation that should be cancellable on its own a token of its own.
/// \warning Thread safety: cancel() and is_cancelled() may be called from any thread while a
/// call that uses the token runs on another.
class CancellationToken {
 public:
  /// \brief A new token, not cancelled.
  CancellationToken();

  /// \brief Cancels the call running with this token (gRPC cancels it on the wire) and every
  /// later call given it: they throw CancelledError without reaching the server. A cursor's
  /// query running with it is also cancelled on the server. Never throws.
  void cancel() noexcept;
  /// \brief True once cancel() was called on any copy.
  [[nodiscard]] bool is_cancelled() const noexcept;

  /// \brief The shared state (for the library's call path).
  const std::shared_ptr<detail::CancelState>& state() const noexcept { return state_; }

 private:
  std::shared_ptr<detail::CancelState> state_;
};

/// \brief Settings for one call: how long it may take and how to cancel it.
///
/// The deadline bounds everything inside the call: every attempt, re-authentication, strategy
/// recovery, backoff and wait for a suspended cluster to resume. A call returns by its deadline
/// (plus a small scheduling slack) with TimeoutError.
struct QueryOptions {
  /// \brief The call's whole budget; zero (the default) uses the connection's default:
  /// grpc.prepare_timeout for execute and fetches, call_timeout for the other calls.
  std::chrono::milliseconds timeout{0};
  /// \brief Cancels the call from another thread; empty (the default) when not cancellable.
  std::shared_ptr<CancellationToken> cancel;
};

}  // namespace e6data

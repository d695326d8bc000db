#pragma once
// The state behind CancellationToken: a flag, and the one gRPC call currently running with the
// token (so cancel() can stop it on the wire). A call registers its ClientContext before it starts
// and unregisters (under the same mutex) before the context is destroyed; cancel() sets the flag
// first, so a call that registers after it sees the flag and never starts.

#include <atomic>
#include <functional>
#include <mutex>

namespace e6data::detail {

struct CancelState {
  std::atomic<bool> cancelled{false};
  std::mutex mutex;                 // guards on_cancel, and its call (the context stays alive)
  std::function<void()> on_cancel;  // stops the running call; empty when none runs

  void cancel() noexcept {
    cancelled.store(true);
    std::lock_guard lock(mutex);
    try {
      if (on_cancel) on_cancel();
    } catch (...) {  // cancel() never throws; the call it stops reports the outcome
    }
  }
};

}  // namespace e6data::detail

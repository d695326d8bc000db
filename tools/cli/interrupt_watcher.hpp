#pragma once
// Ctrl-C for the commands that run calls: SIGINT and SIGTERM are blocked in every thread and a
// watcher thread waits for them with sigwait(), so the reaction runs as ordinary code (no
// async-signal-safety limits): it cancels the current operation's CancellationToken, which
// cancels the call on the wire and the query on the server. A second signal while the first is
// being handled exits at once.

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>

#include "e6data/query_options.hpp"

namespace e6data::cli {

class InterruptWatcher {
 public:
  // Blocks SIGINT and SIGTERM in the calling thread (and so in every thread it starts later:
  // create the watcher before the first Connection) and starts the watcher thread.
  InterruptWatcher();
  // Stops the watcher thread and unblocks the signals.
  ~InterruptWatcher();
  InterruptWatcher(const InterruptWatcher&) = delete;
  InterruptWatcher& operator=(const InterruptWatcher&) = delete;

  // A fresh token for the next operation, cancelled at once when an interrupt already came.
  std::shared_ptr<CancellationToken> next_token();
  // Forgets the current token (the operation ended).
  void clear_token();
  // Runs `action` on an interrupt, before the token is cancelled, e.g. Cursor::cancel() (which
  // asks the server to stop the query, where cancelling the call alone only stops the wait).
  // It runs on the watcher thread under the watcher's lock: pass an empty function before what
  // it refers to goes away. Exceptions it throws are ignored.
  void set_interrupt_action(std::function<void()> action);
  // True once a signal came.
  [[nodiscard]] bool interrupted() const noexcept { return signal_ != 0; }
  // 128 + the signal's number (130 for SIGINT), or 0 before any signal.
  [[nodiscard]] int exit_code() const noexcept;

 private:
  void watch();

  std::mutex mutex_;
  std::shared_ptr<CancellationToken> current_;
  std::function<void()> action_;
  std::atomic<int> signal_{0};
  std::thread thread_;
};

// Sets an interrupt action for its own lifetime: declare it after what the action refers to.
class ScopedInterruptAction {
 public:
  ScopedInterruptAction(InterruptWatcher& watcher, std::function<void()> action)
      : watcher_(watcher) {
    watcher_.set_interrupt_action(std::move(action));
  }
  ~ScopedInterruptAction() { watcher_.set_interrupt_action({}); }
  ScopedInterruptAction(const ScopedInterruptAction&) = delete;
  ScopedInterruptAction& operator=(const ScopedInterruptAction&) = delete;

 private:
  InterruptWatcher& watcher_;
};

}  // namespace e6data::cli

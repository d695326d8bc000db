#include "interrupt_watcher.hpp"

#include <pthread.h>
#include <signal.h>
#include <unistd.h>

namespace e6data::cli {
namespace {

// The signal the destructor sends to the watcher thread to make it return.
constexpr int kWakeSignal = SIGUSR2;

sigset_t watched_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, kWakeSignal);
  return set;
}

}  // namespace

InterruptWatcher::InterruptWatcher() {
  const sigset_t set = watched_signals();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  thread_ = std::thread([this] { watch(); });
}

InterruptWatcher::~InterruptWatcher() {
  pthread_kill(thread_.native_handle(), kWakeSignal);
  thread_.join();
  // SIGINT and SIGTERM stay blocked: the command is ending, and a signal that comes now stays
  // pending instead of killing the process halfway through its last lines of output.
}

std::shared_ptr<CancellationToken> InterruptWatcher::next_token() {
  auto token = std::make_shared<CancellationToken>();
  std::lock_guard lock(mutex_);
  current_ = token;
  if (signal_ != 0) token->cancel();
  return token;
}

void InterruptWatcher::clear_token() {
  std::lock_guard lock(mutex_);
  current_.reset();
}

void InterruptWatcher::set_interrupt_action(std::function<void()> action) {
  std::lock_guard lock(mutex_);
  action_ = std::move(action);
}

int InterruptWatcher::exit_code() const noexcept {
  const int s = signal_;
  return s == 0 ? 0 : 128 + s;
}

void InterruptWatcher::watch() {
  const sigset_t set = watched_signals();
  for (;;) {
    int received = 0;
    if (sigwait(&set, &received) != 0) continue;
    if (received == kWakeSignal) return;
    if (signal_ != 0) {
      // A second Ctrl-C: the user does not want to wait for the cancellation.
      static const char kMessage[] = "\ninterrupted again: exiting without waiting\n";
      (void)!::write(STDERR_FILENO, kMessage, sizeof kMessage - 1);
      ::_exit(128 + received);
    }
    signal_ = received;
    std::lock_guard lock(mutex_);
    if (action_) {
      try {
        action_();
      } catch (...) {  // best effort: cancelling the call below still stops the wait
      }
    }
    if (current_) current_->cancel();
  }
}

}  // namespace e6data::cli

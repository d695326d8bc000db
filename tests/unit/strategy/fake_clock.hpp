#pragma once
// A strategy::Clock for unit tests: time moves only when a test advances it or when code under
// test "sleeps" (sleep_until jumps to the requested time at once and records the sleep). Thread
// safe. Starts at 1000 s so that no time the code computes reads as "never" (0).

#include <chrono>
#include <functional>
#include <mutex>
#include <vector>

#include "strategy/clock.hpp"

namespace e6data::strategy::testing {

class FakeClock final : public Clock {
 public:
  struct Sleep {
    TimePoint from;  // the time when sleep_until was called
    TimePoint until;
    Duration length() const { return until - from; }
  };

  explicit FakeClock(Duration start = std::chrono::seconds(1000)) : now_(TimePoint(start)) {}

  TimePoint now() const override {
    if (on_now_) on_now_();
    std::lock_guard lock(mutex_);
    return now_;
  }

  void sleep_until(TimePoint when) override {
    std::lock_guard lock(mutex_);
    sleeps_.push_back({now_, when});
    if (when > now_) now_ = when;
  }

  void advance(Duration by) {
    std::lock_guard lock(mutex_);
    now_ += by;
  }

  std::vector<Sleep> sleeps() const {
    std::lock_guard lock(mutex_);
    return sleeps_;
  }

  // Called at the start of every now(), outside the clock's lock (it may call advance()). Lets a
  // test see where a thread is in code that reads the clock. Set it before any thread uses the
  // clock; it must be thread safe.
  void set_on_now(std::function<void()> hook) { on_now_ = std::move(hook); }

 private:
  mutable std::mutex mutex_;
  TimePoint now_;
  std::vector<Sleep> sleeps_;
  std::function<void()> on_now_;
};

}  // namespace e6data::strategy::testing

#pragma once
// Time for the strategy layer, injectable so unit tests run the state machine (cache expiry,
// backoff, resume polling) without sleeping.

#include <chrono>

namespace e6data::strategy {

using TimePoint = std::chrono::steady_clock::time_point;
using Duration = std::chrono::steady_clock::duration;

class Clock {
 public:
  virtual ~Clock() = default;
  virtual TimePoint now() const = 0;
  // Returns at `when` (at once when it has passed).
  virtual void sleep_until(TimePoint when) = 0;
};

// The steady clock and a real sleep.
Clock& system_clock() noexcept;

}  // namespace e6data::strategy

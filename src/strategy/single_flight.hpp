#pragma once
// Work that many callers need at once but only one should do: the first caller (the leader)
// runs it, the others wait for its result. Used for strategy detection and cluster resume, so
// that 1,000 callers arriving together cause one detection, and one resume per cluster.

#include <chrono>
#include <future>
#include <memory>
#include <mutex>
#include <optional>

#include "e6data/errors.hpp"
#include "strategy/clock.hpp"

namespace e6data::strategy {

template <typename T>
class SingleFlight {
 public:
  // What a caller got: the value, and whether it ran the work itself. A follower whose leader
  // failed gets nullopt: the leader's error may be its own (its credentials, its deadline), so
  // each follower decides for itself what to do next.
  struct Outcome {
    std::optional<T> value;
    bool leader = false;
  };

  // Runs `work()` unless another caller is running it; then waits for that caller's result until
  // `deadline` of `clock` (a TimeoutError past it). The leader's exception propagates to the
  // leader only.
  template <typename Work>
  Outcome run(Work&& work, const Clock& clock, TimePoint deadline, const char* what) {
    std::shared_ptr<std::promise<std::optional<T>>> mine;
    std::shared_future<std::optional<T>> theirs;
    {
      std::lock_guard lock(mutex_);
      if (in_flight_.valid()) {
        theirs = in_flight_;
      } else {
        mine = std::make_shared<std::promise<std::optional<T>>>();
        in_flight_ = mine->get_future().share();
      }
    }
    if (!mine) {
      // A real wait for the leader, as long as the (possibly fake) clock allows.
      const auto left = deadline - clock.now();
      if (left <= Duration::zero() ? theirs.wait_for(Duration::zero()) != std::future_status::ready
                                   : theirs.wait_for(left) != std::future_status::ready) {
        throw TimeoutError(ErrorKind::kTimeout,
                           std::string("gave up waiting for ") + what + ": deadline passed");
      }
      return {theirs.get(), false};
    }
    auto finish = [&](std::optional<T> value) {
      std::lock_guard lock(mutex_);
      in_flight_ = {};
      mine->set_value(std::move(value));
    };
    try {
      T value = work();
      finish(value);
      return {std::move(value), true};
    } catch (...) {
      finish(std::nullopt);
      throw;
    }
  }

 private:
  std::mutex mutex_;
  std::shared_future<std::optional<T>> in_flight_;
};

}  // namespace e6data::strategy

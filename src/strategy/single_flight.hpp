#pragma once
// Work that many callers need at once but only one should do: the first caller (the leader)
// runs it, the others wait for its result. Used for strategy detection and cluster resume, so
// that 1,000 callers arriving together cause one detection, and one resume per cluster.

#include <chrono>
#include <exception>
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
  // failed gets nullopt and the leader's exception: the error may be the leader's own (its
  // credentials, its deadline) or the endpoint's, so each follower decides what to do next.
  struct Outcome {
    std::optional<T> value;
    bool leader = false;
    std::exception_ptr leader_error;  // a follower's view of the leader's failure, if it failed
  };

  // Runs `work()` unless another caller is running it; then waits for that caller's result until
  // `deadline` of `clock` (a TimeoutError past it). The leader's exception propagates to the
  // leader only.
  template <typename Work>
  Outcome run(Work&& work, const Clock& clock, TimePoint deadline, const char* what) {
    std::shared_ptr<std::promise<Result>> mine;
    std::shared_future<Result> theirs;
    {
      std::lock_guard lock(mutex_);
      if (in_flight_.valid()) {
        theirs = in_flight_;
      } else {
        mine = std::make_shared<std::promise<Result>>();
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
      const Result& result = theirs.get();
      return {result.value, false, result.error};
    }
    auto finish = [&](Result result) {
      std::lock_guard lock(mutex_);
      in_flight_ = {};
      mine->set_value(std::move(result));
    };
    try {
      T value = work();
      finish({value, nullptr});
      return {std::move(value), true, nullptr};
    } catch (...) {
      finish({std::nullopt, std::current_exception()});
      throw;
    }
  }

 private:
  struct Result {
    std::optional<T> value;
    std::exception_ptr error;
  };
  std::mutex mutex_;
  std::shared_future<Result> in_flight_;
};

}  // namespace e6data::strategy

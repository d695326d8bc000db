#include "strategy/clock.hpp"

#include <thread>

namespace e6data::strategy {
namespace {

class SteadyClock final : public Clock {
 public:
  TimePoint now() const override { return std::chrono::steady_clock::now(); }
  void sleep_until(TimePoint when) override { std::this_thread::sleep_until(when); }
};

}  // namespace

Clock& system_clock() noexcept {
  static SteadyClock clock;
  return clock;
}

}  // namespace e6data::strategy

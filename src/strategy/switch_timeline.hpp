#pragma once
// The timeline of the switch in progress on one endpoint, kept by EndpointState at four points:
// the announcement, each bind (the first one on the new side), each release on the old side, and
// the completion, which turns it into a SwitchSummary (logged at INFO, kept for
// e6data::recent_switches()). Per-call cost when no switch is in progress: one atomic load in
// bind() and release().

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>

#include "e6data/switch_summary.hpp"
#include "strategy/clock.hpp"
#include "strategy/deployment.hpp"

namespace e6data::strategy {

// What the summary counts as deltas between the announcement and the completion.
struct SwitchCounts {
  std::uint64_t queries_blue = 0, queries_green = 0, recoveries_456 = 0, reruns = 0, lag_holds = 0,
                lost_queries = 0, reauthentications = 0;
};

class SwitchTimeline {
 public:
  void announced(Deployment from, Deployment to, TimePoint at, const SwitchCounts& counts);
  void bound(Deployment d, TimePoint at) noexcept {
    if (to_.load(std::memory_order_acquire) != d || d == Deployment::kNone) return;
    std::int64_t expected = 0;
    first_new_ns_.compare_exchange_strong(expected, at.time_since_epoch().count());
  }
  void released(Deployment d, TimePoint at) noexcept {
    if (from_.load(std::memory_order_acquire) != d || d == Deployment::kNone) return;
    last_old_ns_.store(at.time_since_epoch().count(), std::memory_order_release);
  }
  // Builds, logs and keeps the summary of the switch from `from` to `to`.
  SwitchSummary completed(const std::string& endpoint, Deployment from, Deployment to,
                          std::string_view how, TimePoint at, const SwitchCounts& counts);

 private:
  std::mutex mutex_;  // orders announced() and completed()
  std::atomic<Deployment> from_{Deployment::kNone};
  std::atomic<Deployment> to_{Deployment::kNone};
  std::atomic<std::int64_t> first_new_ns_{0};
  std::atomic<std::int64_t> last_old_ns_{0};
  TimePoint announced_at_{};
  SwitchCounts at_announcement_;
};

// Keeps `summary` among the process's recent switches (the last 32).
void keep_switch_summary(SwitchSummary summary);

}  // namespace e6data::strategy

#pragma once
// Bringing a suspended cluster back (PROTOCOL.md §6): status; resume if suspended; poll status
// until active, failed or the deadline. The calls are injected so that the rule is unit-tested
// with a fake clock, and so ClusterManager and auto-resume share it.

#include <functional>
#include <string>

#include "strategy/clock.hpp"

namespace e6data::strategy {

struct ClusterCalls {
  std::function<std::string(TimePoint deadline)> status;  // "active", "suspended", ...
  std::function<std::string(TimePoint deadline)> resume;
};

struct ResumeResult {
  std::string status;       // the final status: "active"
  bool was_active = false;  // active at the first look: nothing had to be resumed
};

// Returns once the cluster is active. Throws ClusterSuspendedError when it reports "failed" or is
// not active by `deadline` (naming the last status seen).
ResumeResult resume_and_wait(const ClusterCalls& calls, Clock& clock, TimePoint deadline,
                             Duration poll_interval);

}  // namespace e6data::strategy

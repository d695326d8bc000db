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

// Returns the final status ("active") once the cluster is active. Throws ClusterSuspendedError
// when it reports "failed" or is not active by `deadline` (naming the last status seen).
std::string resume_and_wait(const ClusterCalls& calls, Clock& clock, TimePoint deadline,
                            Duration poll_interval);

}  // namespace e6data::strategy

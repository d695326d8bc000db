#include "strategy/cluster_resume.hpp"

#include "e6data/errors.hpp"
#include "log/logger.hpp"

namespace e6data::strategy {

ResumeResult resume_and_wait(const ClusterCalls& calls, Clock& clock, TimePoint deadline,
                             Duration poll_interval) {
  auto log = log::get("e6data.strategy");
  std::string status = calls.status(deadline);
  const bool was_active = status == "active";
  bool asked = false;
  for (;;) {
    if (status == "active") {
      if (asked) log->info("cluster is active again");
      return {status, was_active};
    }
    if (status == "failed") {
      throw ClusterSuspendedError(ErrorKind::kClusterSuspended,
                                  "the cluster reports status 'failed' while resuming");
    }
    if (!asked && (status == "suspended" || status == "suspending")) {
      log::event(log, spdlog::level::info, "cluster is suspended: resuming it",
                 {{"cluster_status", status}});
      calls.resume(deadline);
      asked = true;
    }
    const TimePoint next = clock.now() + poll_interval;
    if (next >= deadline) {
      throw ClusterSuspendedError(
          ErrorKind::kClusterSuspended,
          "the cluster did not become active before the auto-resume timeout (last status '" +
              status + "')");
    }
    clock.sleep_until(next);
    status = calls.status(deadline);
  }
}

}  // namespace e6data::strategy

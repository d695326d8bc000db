// StrategySnapshot::to_json: the state operators read during a deployment.
#include <nlohmann/json.hpp>

#include "e6data/strategy.hpp"

namespace e6data {

std::string StrategySnapshot::to_json() const {
  const auto& c = counters;
  nlohmann::ordered_json j{{"endpoint", endpoint},
                           {"active", active},
                           {"pending", pending},
                           {"seconds_since_check", seconds_since_check},
                           {"last_transition", last_transition},
                           {"seconds_since_transition", seconds_since_transition},
                           {"bound_queries", {{"blue", bound_blue}, {"green", bound_green}}},
                           {"counters",
                            {{"detections", c.detections},
                             {"detection_probes", c.detection_probes},
                             {"cache_hits", c.cache_hits},
                             {"cache_misses", c.cache_misses},
                             {"recoveries_456", c.recoveries_456},
                             {"reauthentications", c.reauthentications},
                             {"resumes", c.resumes},
                             {"retries", c.retries},
                             {"transitions", c.transitions},
                             {"announcements", c.announcements},
                             {"reruns", c.reruns},
                             {"lost_queries", c.lost_queries},
                             {"queries_blue", c.queries_blue},
                             {"queries_green", c.queries_green},
                             {"bindings_evicted", c.bindings_evicted},
                             {"lag_holds", c.lag_holds}}}};
  return j.dump();
}

}  // namespace e6data

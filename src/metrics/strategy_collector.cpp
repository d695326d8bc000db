// The strategy layer's series, read from the counters it already keeps per endpoint (nothing is
// counted twice): one set per EndpointState of the process, labelled by its endpoint.
#include <string>

#include "metrics/builtin_collectors.hpp"
#include "metrics/registry.hpp"
#include "strategy/endpoint_registry.hpp"

namespace e6data::metrics {
namespace {

struct CounterSeries {
  const char* name;
  const char* help;
  std::atomic<std::uint64_t> strategy::EndpointState::Counters::*field;
};

// One row per exported counter: name, meaning, and the EndpointState counter it reads.
using C = strategy::EndpointState::Counters;
const CounterSeries kCounters[] = {
    {"e6data.strategy.switches",
     "Blue-green switches completed (the pending deployment became "
     "active).",
     &C::transitions},
    {"e6data.strategy.announcements", "Switches announced by new_strategy.", &C::announcements},
    {"e6data.strategy.recoveries_456", "Calls answered 456 (wrong deployment) and recovered.",
     &C::recoveries_456},
    {"e6data.strategy.reauthentications", "Sessions replaced after Access denied.",
     &C::reauthentications},
    {"e6data.strategy.detections", "Detections run (blue/green probing).", &C::detections},
    {"e6data.strategy.detection_probes", "Authenticate calls made by detections.",
     &C::detection_probes},
    {"e6data.strategy.lag_holds",
     "456 answers from an announced deployment ridden out (router "
     "lag).",
     &C::lag_holds},
    {"e6data.strategy.bindings_evicted", "Query bindings dropped by the cap or the TTL.",
     &C::bindings_evicted},
    {"e6data.cluster.resumes", "Cluster resumes this process waited for.", &C::resumes},
    {"e6data.call.retries", "Transient failures retried after a backoff.", &C::retries},
    {"e6data.query.reruns",
     "Reads re-run on the new deployment after their deployment went "
     "away.",
     &C::reruns},
    {"e6data.query.lost", "Queries reported lost (StrategyChanged errors).", &C::lost_queries},
};

constexpr strategy::Deployment kDeployments[] = {strategy::Deployment::kBlue,
                                                 strategy::Deployment::kGreen};

}  // namespace

void collect_strategy(std::vector<Family>& out) {
  const auto states = strategy::endpoint_states();
  for (const auto& row : kCounters) {
    Family f{row.name, "1", Kind::kCounter, row.help, {}};
    for (const auto& s : states) {
      const auto value = (s->counters().*row.field).load(std::memory_order_relaxed);
      f.points.push_back({{{"endpoint", s->endpoint()}}, static_cast<double>(value), {}});
    }
    out.push_back(std::move(f));
  }

  Family cache{"e6data.strategy.cache.lookups",
               "1",
               Kind::kCounter,
               "Authentications that found a fresh cached strategy (hit) or had to detect or "
               "revalidate (miss).",
               {}};
  Family prepared{"e6data.strategy.queries",
                  "1",
                  Kind::kCounter,
                  "Queries prepared, by the deployment they were bound to.",
                  {}};
  Family bound{"e6data.strategy.bound_queries",
               "{query}",
               Kind::kGauge,
               "Live queries bound to each deployment now (a switch completes when the retiring "
               "side has none).",
               {}};
  Family role{"e6data.strategy.deployment",
              "1",
              Kind::kGauge,
              "1 for the active deployment and for the pending (announced) one, by role.",
              {}};
  Family resume{"e6data.cluster.resume.duration",
                "s",
                Kind::kHistogram,
                "How long each cluster resume this process waited for took.",
                {}};
  for (const auto& s : states) {
    const std::string& endpoint = s->endpoint();
    auto& c = s->counters();
    cache.points.push_back({{{"endpoint", endpoint}, {"result", "hit"}},
                            static_cast<double>(c.cache_hits.load(std::memory_order_relaxed)),
                            {}});
    cache.points.push_back({{{"endpoint", endpoint}, {"result", "miss"}},
                            static_cast<double>(c.cache_misses.load(std::memory_order_relaxed)),
                            {}});
    for (const auto d : kDeployments) {
      const std::string name(strategy::to_string(d));
      const auto& counter = d == strategy::Deployment::kBlue ? c.queries_blue : c.queries_green;
      prepared.points.push_back({{{"endpoint", endpoint}, {"deployment", name}},
                                 static_cast<double>(counter.load(std::memory_order_relaxed)),
                                 {}});
      bound.points.push_back(
          {{{"endpoint", endpoint}, {"deployment", name}}, static_cast<double>(s->bound(d)), {}});
    }
    const auto word = s->word();
    if (word.active != strategy::Deployment::kNone) {
      role.points.push_back({{{"endpoint", endpoint},
                              {"deployment", std::string(strategy::to_string(word.active))},
                              {"role", "active"}},
                             1,
                             {}});
    }
    if (word.pending != strategy::Deployment::kNone) {
      role.points.push_back({{{"endpoint", endpoint},
                              {"deployment", std::string(strategy::to_string(word.pending))},
                              {"role", "pending"}},
                             1,
                             {}});
    }
    resume.points.push_back({{{"endpoint", endpoint}}, 0, s->resume_seconds().snapshot()});
  }
  out.push_back(std::move(cache));
  out.push_back(std::move(prepared));
  out.push_back(std::move(bound));
  out.push_back(std::move(role));
  out.push_back(std::move(resume));
}

void add_builtin_collectors(Registry& registry) {
  registry.add(collect_operations);
  registry.add(collect_strategy);
}

}  // namespace e6data::metrics

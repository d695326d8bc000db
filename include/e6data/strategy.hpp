#pragma once
/// \file
/// \brief What the connector knows about a cluster's blue-green deployments, for operators.

#include <cstdint>
#include <string>

namespace e6data {

/// \brief How often each strategy event happened for one endpoint (host, port, cluster), since
/// the process started. Every Connection to the endpoint adds to the same counters.
struct StrategyCounters {
  std::uint64_t detections = 0;         ///< detections run (blue/green probing)
  std::uint64_t detection_probes = 0;   ///< authenticate calls made by detections
  std::uint64_t cache_hits = 0;         ///< authentications that used a cached, fresh strategy
  std::uint64_t cache_misses = 0;       ///< authentications that had to detect or revalidate
  std::uint64_t recoveries_456 = 0;     ///< calls answered 456 and recovered
  std::uint64_t reauthentications = 0;  ///< sessions replaced after "Access denied"
  std::uint64_t resumes = 0;            ///< cluster resumes this process waited for
  std::uint64_t retries = 0;            ///< transient failures retried after a backoff
  std::uint64_t transitions = 0;        ///< switches completed (pending became active)
  std::uint64_t announcements = 0;      ///< switches announced by `new_strategy`
  std::uint64_t reruns = 0;             ///< reads re-run on the new deployment after a loss
  std::uint64_t lost_queries = 0;       ///< queries reported lost (StrategyChanged errors)
  std::uint64_t queries_blue = 0;       ///< queries prepared on blue
  std::uint64_t queries_green = 0;      ///< queries prepared on green
  std::uint64_t bindings_evicted = 0;   ///< query bindings dropped by the cap or the TTL
  std::uint64_t lag_holds = 0;  ///< 456s from an announced deployment ridden out (router lag)
};

/// \brief A consistent picture of one endpoint's strategy state.
struct StrategySnapshot {
  std::string endpoint;                  ///< "host:port/cluster"
  std::string active;                    ///< "blue", "green" or "" (not known yet)
  std::string pending;                   ///< the deployment announced by `new_strategy`, or ""
  double seconds_since_check = -1;       ///< since the strategy was last confirmed; -1 never
  std::string last_transition;           ///< e.g. "blue->green", or "" when none yet
  double seconds_since_transition = -1;  ///< -1 when none yet
  std::int64_t bound_blue = 0;           ///< live queries bound to blue
  std::int64_t bound_green = 0;          ///< live queries bound to green
  StrategyCounters counters;
  /// \brief The snapshot as one JSON object.
  std::string to_json() const;
};

}  // namespace e6data

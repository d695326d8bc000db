#pragma once
/// \file
/// \brief What happened during each blue-green switch, as this process saw it.
///
/// At each completed switch the connector logs one INFO record (logger `e6data.strategy`,
/// message "switch summary") with these fields, and keeps the summary for recent_switches().

#include <cstdint>
#include <string>
#include <vector>

namespace e6data {

/// \brief The timeline of one completed switch and what happened to queries meanwhile.
///
/// Times are seconds after this process saw the announcement (`new_strategy`), on the
/// connector's steady clock; -1 when the event was not seen (e.g. a switch completed by another
/// process sharing the strategy file, or forced by a 456 before any query ran on the new side).
struct SwitchSummary {
  std::string endpoint;              ///< "host:port/cluster"
  std::string from;                  ///< the retired deployment, "blue" or "green"
  std::string to;                    ///< the new active deployment
  std::string how;                   ///< "completed", "forced by 456" or "applied by an operator"
  bool announced = false;            ///< this process saw the announcement
  double first_query_on_new = -1;    ///< the first query bound to the new deployment
  double last_release_on_old = -1;   ///< the last query bound to the old one released
  double completed = -1;             ///< the new deployment became active
  std::uint64_t queries_on_old = 0;  ///< queries prepared on the old side meanwhile
  std::uint64_t queries_on_new = 0;  ///< queries prepared on the new side meanwhile
  std::uint64_t recoveries_456 = 0;  ///< calls answered 456 and recovered meanwhile
  std::uint64_t reruns = 0;          ///< reads re-run on the new side meanwhile
  std::uint64_t lag_holds = 0;       ///< 456s of the new side ridden out (router lag)
  std::uint64_t lost_queries = 0;    ///< queries reported lost (StrategyChanged) meanwhile
  std::uint64_t reauthentications = 0;  ///< sessions replaced after "Access denied" meanwhile
};

/// \brief The last switches this process saw complete (up to 32, all endpoints), oldest first.
/// \warning Thread safety: may be called from any thread.
std::vector<SwitchSummary> recent_switches();

}  // namespace e6data

#pragma once
// What a failed call means for the strategy layer, and what it proves about a query. Decided on
// the failure cause that src/rpc/failure.cpp sets in one place (e6data::FailureCause), never on
// message text. This file owns the rules; CallRunner (calls) and the client's Query (a query's
// fate) apply them.

#include <chrono>
#include <cstdint>

#include "e6data/errors.hpp"

namespace e6data::strategy {

enum class Recovery {
  kWrongDeployment,  // 456: the deployment named by the header is not serving
  kSessionLost,      // "Access denied": the session is unknown or expired
  kSuspended,  // a 503 form: ask the cluster's status (suspended -> resume; active -> transient)
  kTransient,  // the connection failed; a retry may succeed where it cannot duplicate work
  kNone,       // nothing to recover: report the error
};

inline Recovery recovery_for(FailureCause cause) noexcept {
  switch (cause) {
    case FailureCause::kWrongDeployment:
      return Recovery::kWrongDeployment;
    case FailureCause::kRouter503:
      return Recovery::kSuspended;
    case FailureCause::kSessionLost:
      return Recovery::kSessionLost;
    case FailureCause::kUnavailable:
      return Recovery::kTransient;
    default:
      return Recovery::kNone;
  }
}

inline Recovery recovery_for(const Error& e) noexcept {
  return recovery_for(e.cause());
}

// True when the router answered the call itself, in one of its exact 456/503 forms: the call did
// not reach a deployment, so a statement it carried did not run (PROTOCOL.md §6).
inline bool refused_by_router(FailureCause cause) noexcept {
  return cause == FailureCause::kWrongDeployment || cause == FailureCause::kRouter503;
}

// Delay before retry `retry` (1 = the first retry): factor * 2^(retry-1), scaled by `jitter` in
// [0.5, 1] so that clients that failed together do not retry together.
inline std::chrono::nanoseconds backoff_delay(int retry, std::chrono::duration<double> factor,
                                              double jitter) noexcept {
  const double scale = static_cast<double>(1ULL << (retry < 1 ? 0 : (retry > 30 ? 30 : retry - 1)));
  const double seconds = factor.count() * scale * (jitter < 0.5 ? 0.5 : (jitter > 1 ? 1 : jitter));
  return std::chrono::nanoseconds(static_cast<std::int64_t>(seconds * 1e9));
}

// --- a query's fate ------------------------------------------------------------------------

// Which call of a query failed: its execute (the statement may or may not have run), its result
// metadata right after a successful execute (the statement ran), or a fetch of its result.
enum class QueryStage { kExecute, kMetadata, kResult };

// What the client does with a query whose call failed.
enum class QueryVerdict {
  kRerun,           // prepare and run the statement again, transparently
  kLost,            // report QueryError kStrategyChanged: its deployment or session went away
  kOutcomeUnknown,  // report QueryError kOutcomeUnknown: a statement that may have run; never
                    // resent
  kRanResultLost,   // a statement with side effects ran; its result went with its deployment:
                    // execute succeeds, and reading the result reports kResultPositionUnknown
  kReport,          // report the call's own error
};

// A query may be run again transparently at most this many times (two covers a switch that
// completes while the first re-run is being prepared).
constexpr int kMaxReruns = 2;

// The rules of PROTOCOL.md §6 "what a failure proves about a statement":
//  * Only the router's exact 456/503 forms prove that an execute did not reach a deployment: the
//    statement did not run and any statement may be sent again.
//  * Any other failure of an execute leaves its outcome unknown: a read may run again (its rows
//    were not seen), a statement with side effects never (kOutcomeUnknown when the connection or
//    session broke under it; its own error otherwise).
//  * After a successful execute the statement ran: only a read whose rows the caller has not seen
//    may run again, and only when the deployment, session or connection went away under it. A
//    statement with side effects that lost its deployment before its metadata has still run:
//    its execute succeeds (kRanResultLost), and its result cannot be read.
// `Access denied` is a reason to authenticate again, never proof about a query.
inline QueryVerdict judge_failed_query(FailureCause cause, QueryStage stage, bool is_read,
                                       bool rows_delivered, int reruns_done) noexcept {
  const bool reruns_left = reruns_done < kMaxReruns;
  const bool went_away = refused_by_router(cause) || cause == FailureCause::kSessionLost ||
                         cause == FailureCause::kUnavailable;
  if (reruns_left) {
    if (stage == QueryStage::kExecute && refused_by_router(cause)) return QueryVerdict::kRerun;
    if (went_away && is_read && !rows_delivered) return QueryVerdict::kRerun;
  }
  if (stage == QueryStage::kExecute && !is_read && went_away && !refused_by_router(cause)) {
    return QueryVerdict::kOutcomeUnknown;
  }
  if (stage == QueryStage::kMetadata && !is_read && went_away) {
    // Its execute succeeded: the statement ran, exactly once. Only its result description is
    // lost (a deployment may be retired between a write's execute and its metadata).
    return QueryVerdict::kRanResultLost;
  }
  if (cause == FailureCause::kWrongDeployment || cause == FailureCause::kSessionLost) {
    return QueryVerdict::kLost;
  }
  return QueryVerdict::kReport;
}

}  // namespace e6data::strategy

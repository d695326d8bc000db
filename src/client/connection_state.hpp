#pragma once
// What a Connection and its Cursors share: the options, the call path, and the strategy runner
// that holds the sessions (one per deployment) and applies the zero-downtime rules.

#include <atomic>
#include <memory>
#include <string>

#include "client/parked_queries.hpp"
#include "e6data/errors.hpp"
#include "e6data/options.hpp"
#include "e6data/query_options.hpp"
#include "rpc/engine_client.hpp"
#include "strategy/call_runner.hpp"
#include "strategy/endpoint_state.hpp"

namespace e6data::detail {

struct ConnectionState {
  explicit ConnectionState(ConnectionOptions o);
  ~ConnectionState();

  ConnectionOptions options;
  rpc::EngineClient client;
  std::shared_ptr<strategy::EndpointState> endpoint;
  strategy::CallRunner runner;
  std::atomic<bool> closed{false};
  // Exhausted queries of kept cursors, cleared off the caller's path when a switch away from
  // their deployment is announced. Declared after what its clears use, so it stops first.
  ParkedQueries parked;

  // One deadline per call: the caller's QueryOptions::timeout, else the connection's default
  // (grpc.prepare_timeout for calls that may wait for a query to run: prepare, execute, fetches,
  // explain analyze; call_timeout for the rest).
  strategy::TimePoint deadline_for(const QueryOptions& o, bool long_call) const {
    std::chrono::milliseconds budget = o.timeout;
    if (budget.count() <= 0) {
      budget =
          long_call
              ? std::chrono::duration_cast<std::chrono::milliseconds>(options.grpc.prepare_timeout)
              : std::chrono::duration_cast<std::chrono::milliseconds>(options.call_timeout);
    }
    return runner.clock().now() + std::chrono::duration_cast<strategy::Duration>(budget);
  }

  // The per-call options for one attempt of a call on `route` (and the query it belongs to, if
  // any): the time left until `deadline` (at least 1 ms, so gRPC reports the deadline itself).
  rpc::CallOptions call_options(const strategy::Route& route, strategy::TimePoint deadline,
                                const QueryOptions& o = {}, const std::string& query_id = {},
                                const std::string& planner_ip = {}) const {
    rpc::CallOptions call;
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - runner.clock().now());
    call.timeout = std::max(left, std::chrono::milliseconds(1));
    call.strategy = std::string(strategy::to_string(route.deployment));
    call.query_id = query_id;
    call.planner_ip = planner_ip;
    if (o.cancel) call.cancel = o.cancel->state();
    return call;
  }

  void require_open(const char* operation) const {
    if (closed.load()) throw UsageError(std::string(operation) + ": the connection is closed");
  }

  // A call that belongs to no query, with the strategy rules (strategy/call_runner.hpp), within
  // one deadline. `call(route, deadline)` makes one attempt.
  template <typename Call>
  auto run(const char* operation, const QueryOptions& o, Call&& call,
           strategy::Repeat repeat = strategy::Repeat::kSafe)
      -> decltype(call(strategy::Route{}, strategy::TimePoint{})) {
    require_open(operation);
    const strategy::TimePoint deadline = deadline_for(o, false);
    return runner.run([&](const strategy::Route& route) { return call(route, deadline); }, repeat,
                      deadline);
  }

  // Status, resume if suspended, poll until active (strategy/cluster_resume.hpp).
  // Returns false when the cluster was active at once (nothing to resume).
  bool resume_cluster(strategy::TimePoint deadline);
  std::string cluster_status(strategy::TimePoint deadline);

 private:
  // One best-effort clear of a query handed to `parked` (on its thread), bounded by
  // options.cleanup_timeout.
  void clear_parked(const ParkedQuery& q) noexcept;
  std::string authenticate_on(strategy::Deployment d, strategy::TimePoint deadline);
};

}  // namespace e6data::detail

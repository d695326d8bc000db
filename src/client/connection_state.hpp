#pragma once
// What a Connection and its Cursors share: the options, the call path, and the strategy runner
// that holds the sessions (one per deployment) and applies the zero-downtime rules.

#include <atomic>
#include <memory>
#include <string>

#include "e6data/errors.hpp"
#include "e6data/options.hpp"
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

  // Deadlines: short calls, and calls that may wait for a query to run (prepare, execute, the
  // first batch, explain analyze).
  std::chrono::milliseconds short_timeout() const { return std::chrono::seconds(60); }
  std::chrono::milliseconds long_timeout() const {
    return std::chrono::duration_cast<std::chrono::milliseconds>(options.grpc.prepare_timeout);
  }

  // The per-call options for a call on `route` (and the query it belongs to, if any).
  rpc::CallOptions call_options(const strategy::Route& route, std::chrono::milliseconds timeout,
                                const std::string& query_id = {},
                                const std::string& planner_ip = {}) const {
    rpc::CallOptions call;
    call.timeout = timeout;
    call.strategy = std::string(strategy::to_string(route.deployment));
    call.query_id = query_id;
    call.planner_ip = planner_ip;
    return call;
  }

  void require_open(const char* operation) const {
    if (closed.load()) throw UsageError(std::string(operation) + ": the connection is closed");
  }

  // A call that belongs to no query, with the strategy rules (strategy/call_runner.hpp).
  template <typename Call>
  auto run(Call&& call, strategy::Repeat repeat = strategy::Repeat::kSafe)
      -> decltype(call(strategy::Route{})) {
    require_open("e6data");
    return runner.run(std::forward<Call>(call), repeat, short_timeout());
  }

  // Status, resume if suspended, poll until active (strategy/cluster_resume.hpp).
  void resume_cluster(strategy::TimePoint deadline);

 private:
  std::string authenticate_on(strategy::Deployment d, strategy::TimePoint deadline);
};

}  // namespace e6data::detail

#include "client/connection_state.hpp"

#include <utility>

#include "client/logging_setup.hpp"
#include "log/logger.hpp"
#include "strategy/cluster_resume.hpp"
#include "strategy/endpoint_registry.hpp"

namespace e6data::detail {
namespace {

strategy::RunnerSettings settings_from(const ConnectionOptions& o) {
  strategy::RunnerSettings s;
  if (o.strategy.detection_order == "green,blue") {
    s.detection_order = {strategy::Deployment::kGreen, strategy::Deployment::kBlue};
  }
  s.cache_timeout = o.strategy.cache_timeout;
  s.detection_timeout = o.strategy.detection_timeout;
  s.max_attempts = o.retry.max_attempts;
  s.backoff_factor = o.retry.backoff_factor;
  s.auto_resume = o.auto_resume;
  s.auto_resume_timeout = o.auto_resume_timeout;
  s.revalidate = o.strategy.validation;
  s.debug = o.debug;
  return s;
}

// Takes `o` by value and gives it back, so the constructor can move it through.
ConnectionOptions with_logging(ConnectionOptions o) {
  detail::apply_environment_logging_once();
  return o;
}

}  // namespace

ConnectionState::ConnectionState(ConnectionOptions o)
    : options(with_logging(std::move(o))),
      client(options),
      endpoint(strategy::endpoint_state_for(options)),
      runner(endpoint, settings_from(options),
             {[this](strategy::Deployment d, strategy::TimePoint deadline) {
                return authenticate_on(d, deadline);
              },
              [this](strategy::TimePoint deadline) { return resume_cluster(deadline); },
              [this](strategy::TimePoint deadline) { return cluster_status(deadline); }}),
      parked(endpoint, [this](const ParkedQuery& q) { clear_parked(q); }) {}

void ConnectionState::clear_parked(const ParkedQuery& q) noexcept {
  if (closed.load() || options.cleanup_timeout.count() <= 0) return;  // the session is gone
  try {
    ClearRequest req;
    req.set_engineip(q.engine_ip);
    req.set_sessionid(q.route.session);
    req.set_queryid(q.query_id);
    const strategy::TimePoint deadline =
        runner.clock().now() +
        std::chrono::duration_cast<strategy::Duration>(options.cleanup_timeout);
    if (q.cancel_first) {
      CancelQueryRequest cancel;
      cancel.set_engineip(q.engine_ip);
      cancel.set_sessionid(q.route.session);
      cancel.set_queryid(q.query_id);
      try {
        const auto call = call_options(q.route, deadline, {}, q.query_id, q.engine_ip);
        (void)runner.call_on(
            q.route, [&](const strategy::Route&) { return client.cancel(cancel, call); },
            strategy::Repeat::kSafe, deadline);
      } catch (const Error&) {  // finished already, or gone: the clear below still runs
      }
    }
    // A router may refuse a call to a deployment that still serves (one that accepts a new side
    // late, or refuses it now and then: PROTOCOL.md §6). A query left open holds its
    // deployment's next drain for the whole drain timeout, so refusals are tried again with
    // growing pauses until the bound; a deployment that is really gone costs this thread, never
    // a caller, that bound.
    strategy::Duration pause = std::chrono::milliseconds(25);
    for (;;) {
      try {
        const auto call = call_options(q.route, deadline, {}, q.query_id, q.engine_ip);
        (void)runner.call_on(
            q.route, [&](const strategy::Route&) { return client.clear(req, call); },
            strategy::Repeat::kSafe, deadline);
        break;
      } catch (const Error& e) {
        const auto at = runner.clock().now() + pause;
        if (e.cause() != FailureCause::kWrongDeployment || at >= deadline || closed.load()) {
          throw;
        }
        runner.clock().sleep_until(at);
        pause = std::min<strategy::Duration>(pause * 2, std::chrono::milliseconds(400));
      }
    }
    log::event(log::get("e6data.strategy"), spdlog::level::debug,
               "cleared a query off the caller's path (a kept cursor's finished query after a "
               "switch was announced, or a query the connector forgot)",
               {{"query_id", q.query_id},
                {"strategy", std::string(strategy::to_string(q.route.deployment))}});
  } catch (...) {  // best effort: the deployment's drain timeout or the session's end frees it
  }
}

ConnectionState::~ConnectionState() = default;

std::string ConnectionState::authenticate_on(strategy::Deployment d, strategy::TimePoint deadline) {
  AuthenticateRequest req;
  req.set_user(options.username);
  req.set_password(options.password);
  const strategy::Route route{d, {}};
  const AuthenticateResponse res = client.authenticate(req, call_options(route, deadline));
  runner.observe(d, res);
  if (res.sessionid().empty()) {
    throw AuthenticationError(ErrorKind::kAuthentication,
                              "authenticate returned no session for user " + options.username);
  }
  return res.sessionid();
}

std::string ConnectionState::cluster_status(strategy::TimePoint deadline) {
  ClusterStatusRequest req;
  req.set_user(options.username);
  req.set_password(options.password);
  const strategy::Route route{endpoint->for_new_work(), {}, 0};
  return client.cluster_status(req, call_options(route, deadline)).status();
}

bool ConnectionState::resume_cluster(strategy::TimePoint deadline) {
  strategy::ClusterCalls calls;
  const strategy::Route route{endpoint->for_new_work(), {}, 0};
  calls.status = [&](strategy::TimePoint d) { return cluster_status(d); };
  calls.resume = [&](strategy::TimePoint d) {
    ResumeRequest req;
    req.set_user(options.username);
    req.set_password(options.password);
    return client.cluster_resume(req, call_options(route, d)).status();
  };
  return !strategy::resume_and_wait(calls, runner.clock(), deadline, std::chrono::milliseconds(500))
              .was_active;
}

}  // namespace e6data::detail

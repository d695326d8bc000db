#include "client/connection_state.hpp"

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

const ConnectionOptions& with_logging(const ConnectionOptions& o) {
  detail::apply_environment_logging_once();
  return o;
}

}  // namespace

ConnectionState::ConnectionState(ConnectionOptions o)
    : options(with_logging(o)),
      client(options),
      endpoint(strategy::endpoint_state_for(options)),
      runner(endpoint, settings_from(options),
             {[this](strategy::Deployment d, strategy::TimePoint deadline) {
                return authenticate_on(d, deadline);
              },
              [this](strategy::TimePoint deadline) { return resume_cluster(deadline); },
              [this](strategy::TimePoint deadline) { return cluster_status(deadline); }}) {}

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

#include "e6data/cluster_manager.hpp"

#include "client/connection_state.hpp"
#include "client/validated_options.hpp"
#include "strategy/cluster_resume.hpp"

namespace e6data {
namespace {

template <typename Request>
Request credentials(const ConnectionOptions& o) {
  Request req;
  req.set_user(o.username);
  req.set_password(o.password);
  return req;
}

}  // namespace

ClusterManager::ClusterManager(ConnectionOptions options)
    : state_(std::make_shared<detail::ConnectionState>(detail::validated(std::move(options)))) {}
ClusterManager::~ClusterManager() = default;
ClusterManager::ClusterManager(ClusterManager&&) noexcept = default;
ClusterManager& ClusterManager::operator=(ClusterManager&&) noexcept = default;

void ClusterManager::require_usable(const char* operation) const {
  if (!state_)
    throw UsageError(std::string("ClusterManager::") + operation + " on a moved-from object");
}

std::string ClusterManager::status() {
  require_usable("status");
  return state_->cluster_status(state_->deadline_for({}, false));
}

std::string ClusterManager::resume(bool wait, std::chrono::seconds timeout) {
  require_usable("resume");
  const strategy::Route route{state_->endpoint->for_new_work(), {}, 0};
  if (!wait) {
    return state_->client
        .cluster_resume(credentials<ResumeRequest>(state_->options),
                        state_->call_options(route, state_->deadline_for({}, false)))
        .status();
  }
  const auto budget = timeout.count() > 0 ? timeout : state_->options.auto_resume_timeout;
  auto& clock = state_->runner.clock();
  const auto deadline = clock.now() + budget;
  // Shared with the connections' auto-resume: one resume per cluster in this process.
  const auto outcome = state_->endpoint->resume().run(
      [&] { return state_->resume_cluster(deadline); }, clock, deadline, "the cluster to resume");
  if (!outcome.value) return status();  // the other caller's resume failed: report what is now
  return "active";
}

std::string ClusterManager::suspend() {
  require_usable("suspend");
  const strategy::Route route{state_->endpoint->for_new_work(), {}, 0};
  return state_->client
      .cluster_suspend(credentials<SuspendRequest>(state_->options),
                       state_->call_options(route, state_->deadline_for({}, false)))
      .status();
}

}  // namespace e6data

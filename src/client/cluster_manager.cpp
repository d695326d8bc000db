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

std::string ClusterManager::status() {
  const strategy::Route route{state_->endpoint->for_new_work(), {}};
  return state_->client
      .cluster_status(credentials<ClusterStatusRequest>(state_->options),
                      state_->call_options(route, state_->short_timeout()))
      .status();
}

std::string ClusterManager::resume(bool wait, std::chrono::seconds timeout) {
  const strategy::Route route{state_->endpoint->for_new_work(), {}};
  if (!wait) {
    return state_->client
        .cluster_resume(credentials<ResumeRequest>(state_->options),
                        state_->call_options(route, state_->short_timeout()))
        .status();
  }
  const auto budget = timeout.count() > 0 ? timeout : state_->options.auto_resume_timeout;
  auto& clock = strategy::system_clock();
  const auto deadline = clock.now() + budget;
  // Shared with the connections' auto-resume: one resume per cluster in this process.
  const auto outcome = state_->endpoint->resume().run(
      [&] {
        state_->resume_cluster(deadline);
        return true;
      },
      clock, deadline, "the cluster to resume");
  if (!outcome.value) return status();  // the other caller's resume failed: report what is now
  return "active";
}

std::string ClusterManager::suspend() {
  const strategy::Route route{state_->endpoint->for_new_work(), {}};
  return state_->client
      .cluster_suspend(credentials<SuspendRequest>(state_->options),
                       state_->call_options(route, state_->short_timeout()))
      .status();
}

}  // namespace e6data

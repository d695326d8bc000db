#include "strategy/call_runner.hpp"

#include "log/logger.hpp"

namespace e6data::strategy {
namespace {

std::size_t index(Deployment d) noexcept {
  return static_cast<std::size_t>(d);
}

std::string name(Deployment d) {
  return std::string(to_string(d));
}

// Attempts of one call that end in 456, Access denied or 503 before it is reported: a second
// round covers a switch that completes while the first recovery runs.
constexpr int kMaxRecoveries = 3;

}  // namespace

CallRunner::CallRunner(std::shared_ptr<EndpointState> state, RunnerSettings settings,
                       RunnerHooks hooks)
    : state_(std::move(state)),
      settings_(settings),
      hooks_(std::move(hooks)),
      rng_(std::random_device{}()) {}

std::string CallRunner::session_on(Deployment d) {
  std::lock_guard lock(mutex_);
  return sessions_[index(d)];
}

void CallRunner::store_session(Deployment d, std::string session) {
  std::lock_guard lock(mutex_);
  sessions_[index(d)] = std::move(session);
}

void CallRunner::forget(const Route& route) {
  std::lock_guard lock(mutex_);
  auto& held = sessions_[index(route.deployment)];
  if (held == route.session) held.clear();
}

void CallRunner::forget_all() {
  std::lock_guard lock(mutex_);
  for (auto& s : sessions_) s.clear();
}

void CallRunner::drop_retired_sessions_locked() {
  // A session on a deployment that is neither active nor pending is released (there is no
  // logout call: forgetting it is the release). Queries bound to it keep their own copy.
  const StrategyWord w = state_->word();
  for (Deployment d : {Deployment::kBlue, Deployment::kGreen}) {
    if (d != w.active && d != w.pending && w.active != Deployment::kNone) {
      sessions_[index(d)].clear();
    }
  }
}

std::string CallRunner::authenticate_on(Deployment d, TimePoint deadline) {
  std::string session = hooks_.authenticate(d, deadline);
  state_->confirm(d);
  store_session(d, session);
  return session;
}

Deployment CallRunner::detect(TimePoint deadline) {
  const TimePoint limit = std::min(deadline, state_->clock().now() + settings_.detection_timeout);
  for (int round = 0; round < 4; ++round) {
    auto outcome = state_->detection().run(
        [&]() -> Deployment {
          // Another caller may have finished a detection just before this one started.
          if (const Deployment known = state_->for_new_work(); known != Deployment::kNone) {
            return known;
          }
          state_->counters().detections.fetch_add(1);
          std::array<Deployment, 2> order = settings_.detection_order;
          // After a 456 the deployment that refused is the least likely to serve: probe it last.
          if (state_->last_gone() == order[0]) std::swap(order[0], order[1]);
          for (const Deployment d : order) {
            state_->counters().detection_probes.fetch_add(1);
            try {
              authenticate_on(d, limit);
              log::event(log::get("e6data.strategy"), spdlog::level::info,
                         "detected the serving deployment",
                         {{"strategy", name(d)}, {"endpoint", state_->endpoint()}});
              return d;
            } catch (const Error& e) {
              if (e.http_status() != 456) throw;
              if (settings_.debug) {
                log::event(log::get("e6data.strategy"), spdlog::level::debug,
                           "detection probe answered 456", {{"strategy", name(d)}});
              }
            }
          }
          throw ConnectionError(ErrorKind::kConnection,
                                "strategy detection failed: both blue and green answered 456 at " +
                                    state_->endpoint());
        },
        state_->clock(), limit, "strategy detection");
    if (outcome.value && *outcome.value != Deployment::kNone) return *outcome.value;
    if (state_->clock().now() >= limit) break;
  }
  throw TimeoutError(
      ErrorKind::kTimeout,
      "strategy detection did not finish within the detection timeout at " + state_->endpoint());
}

Route CallRunner::route(TimePoint deadline) {
  for (int round = 0; round < 4; ++round) {
    Deployment d = state_->for_new_work();
    if (d != Deployment::kNone) {
      {
        std::lock_guard lock(mutex_);
        drop_retired_sessions_locked();
        if (const auto& s = sessions_[index(d)]; !s.empty()) return {d, s};
      }
      const bool fresh = state_->is_fresh(settings_.cache_timeout);
      (fresh ? state_->counters().cache_hits : state_->counters().cache_misses).fetch_add(1);
      try {
        // Fresh: the one authentication any new session needs. Expired: the same call
        // revalidates the cached deployment (not a blind blue-then-green probe).
        return {d, authenticate_on(d, deadline)};
      } catch (const Error& e) {
        if (e.http_status() != 456) throw;
        state_->counters().recoveries_456.fetch_add(1);
        state_->on_wrong_deployment(d);
        continue;
      }
    }
    state_->counters().cache_misses.fetch_add(1);
    d = detect(deadline);
    if (auto s = session_on(d); !s.empty()) return {d, s};  // this caller led the detection
    try {
      return {d, authenticate_on(d, deadline)};
    } catch (const Error& e) {
      if (e.http_status() != 456) throw;
      state_->on_wrong_deployment(d);
    }
  }
  throw ConnectionError(
      ErrorKind::kConnection,
      "no deployment accepted a session: the strategy kept changing at " + state_->endpoint());
}

double CallRunner::jitter() {
  std::lock_guard lock(mutex_);
  return std::uniform_real_distribution<double>(0.5, 1.0)(rng_);
}

bool CallRunner::recover(const Error& e, const Route& route, Repeat repeat, int attempt,
                         TimePoint deadline) {
  auto log = log::get("e6data.strategy");
  switch (recovery_for(e)) {
    case Recovery::kWrongDeployment:
      if (attempt > kMaxRecoveries) return false;
      state_->counters().recoveries_456.fetch_add(1);
      state_->on_wrong_deployment(route.deployment);
      forget(route);
      log::event(log, spdlog::level::info, "456: the deployment is not serving; routing again",
                 {{"strategy", name(route.deployment)}, {"query_id", e.query_id()}});
      return true;
    case Recovery::kSessionLost:
      if (attempt > kMaxRecoveries) return false;
      state_->counters().reauthentications.fetch_add(1);
      forget(route);
      log::event(log, spdlog::level::info, "session refused: authenticating again",
                 {{"strategy", name(route.deployment)}});
      return true;
    case Recovery::kSuspended: {
      if (!settings_.auto_resume || attempt > kMaxRecoveries || !hooks_.resume_cluster) {
        return false;
      }
      // The resume has its own budget: a cluster takes longer to resume than a call to run.
      const TimePoint resume_deadline = state_->clock().now() + settings_.auto_resume_timeout;
      const auto outcome = state_->resume().run(
          [&] {
            state_->counters().resumes.fetch_add(1);
            hooks_.resume_cluster(resume_deadline);
            return true;
          },
          state_->clock(), resume_deadline, "the cluster to resume");
      forget(route);  // a resumed cluster does not know the sessions of before
      return outcome.value.value_or(true);
    }
    case Recovery::kTransient: {
      if (repeat == Repeat::kUnsafe || attempt >= settings_.max_attempts) return false;
      const auto delay = backoff_delay(attempt, settings_.backoff_factor, jitter());
      const TimePoint at = state_->clock().now() + std::chrono::duration_cast<Duration>(delay);
      if (at >= deadline) return false;
      state_->counters().retries.fetch_add(1);
      if (settings_.debug) {
        log::event(log, spdlog::level::debug, "transient failure: retrying after backoff",
                   {{"attempt", std::to_string(attempt)},
                    {"delay_ms", std::to_string(delay.count() / 1000000)}});
      }
      state_->clock().sleep_until(at);
      return true;
    }
    case Recovery::kNone:
      break;
  }
  return false;
}

}  // namespace e6data::strategy

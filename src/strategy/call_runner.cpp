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
// round covers a switch that completes while the first recovery runs. (A 456 gets
// kRefusalsBeforeForgetting more: see below.)
constexpr int kMaxRecoveries = 3;
// A 456 from the only serving deployment is first taken for an inconsistent router (PROTOCOL
// §6): this many pauses (25 ms, then 50 ms) before the deployment is given up and re-detected.
constexpr int kRefusalsBeforeForgetting = 2;

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
  std::shared_ptr<SingleFlight<std::string>> flight;
  {
    std::lock_guard lock(mutex_);
    auto& slot = reauth_[index(d)];
    if (!slot) slot = std::make_shared<SingleFlight<std::string>>();
    flight = slot;
  }
  const auto outcome = flight->run(
      [&] {
        std::string session = hooks_.authenticate(d, deadline);
        state_->confirm(d);
        store_session(d, session);
        return session;
      },
      state_->clock(), deadline, "an authentication on this connection");
  if (outcome.value) return *outcome.value;
  // The leader's authentication failed; its error is this connection's too (same credentials,
  // same deployment), unless it was the leader's own deadline.
  if (outcome.leader_error) {
    try {
      std::rethrow_exception(outcome.leader_error);
    } catch (const TimeoutError&) {
    }
  }
  std::string session = hooks_.authenticate(d, deadline);
  state_->confirm(d);
  store_session(d, session);
  return session;
}

void CallRunner::throw_deadline(const char* what) const {
  throw TimeoutError(ErrorKind::kTimeout,
                     std::string(what) + ": the call's deadline passed at " + state_->endpoint());
}

Deployment CallRunner::detect(TimePoint deadline) {
  const TimePoint limit = std::min(deadline, state_->clock().now() + settings_.detection_timeout);
  // Both deployments answering 456 happens for a moment while a router changes (its replicas
  // do not all change at once): probe again after a short, growing pause, until the limit.
  Duration pause = std::chrono::milliseconds(50);
  for (;;) {
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
              // DEBUG: the endpoint state logs the outcome (at INFO when it is news).
              log::event(log::get("e6data.strategy"), spdlog::level::debug,
                         "detected the serving deployment",
                         {{"strategy", name(d)}, {"endpoint", state_->endpoint()}});
              return d;
            } catch (const Error& e) {
              if (e.cause() != FailureCause::kWrongDeployment) throw;
              if (settings_.debug) {
                log::event(log::get("e6data.strategy"), spdlog::level::debug,
                           "detection probe answered 456", {{"strategy", name(d)}});
              }
            }
          }
          return Deployment::kNone;  // both answered 456
        },
        state_->clock(), limit, "strategy detection");
    if (outcome.value && *outcome.value != Deployment::kNone) return *outcome.value;
    if (outcome.leader_error) {
      // The leader failed. Its error is the endpoint's (unreachable, TLS, suspended) unless it
      // depends on the leader: its credentials or its deadline. Then this caller tries itself.
      try {
        std::rethrow_exception(outcome.leader_error);
      } catch (const AuthenticationError&) {
      } catch (const TimeoutError&) {
      }
    }
    const TimePoint next = state_->clock().now() + pause;
    if (next >= limit) {
      if (outcome.value) {  // both deployments kept answering 456
        throw ConnectionError(ErrorKind::kConnection,
                              "strategy detection failed: both blue and green answered 456 at " +
                                  state_->endpoint() + " until the detection deadline");
      }
      throw TimeoutError(ErrorKind::kTimeout,
                         "strategy detection did not finish within the detection timeout at " +
                             state_->endpoint());
    }
    if (outcome.value)
      state_->clock().sleep_until(next);  // (a follower of a failed leader
                                          // tries at once, as the leader)
    pause = std::min<Duration>(pause * 2, std::chrono::milliseconds(500));
  }
}

Route CallRunner::route(TimePoint deadline) {
  for (;;) {
    if (state_->clock().now() >= deadline) throw_deadline("routing the call");
    const StrategyWord w = state_->word();
    Deployment d = state_->for_new_work();
    if (d != Deployment::kNone) {
      bool revalidate = false;
      {
        std::lock_guard lock(mutex_);
        drop_retired_sessions_locked();
        if (const auto& s = sessions_[index(d)]; !s.empty()) {
          // A held session needs no call, except once per cache timeout per endpoint: then this
          // caller revalidates the cached deployment with one authentication.
          if (!settings_.revalidate || !state_->claim_revalidation(settings_.cache_timeout)) {
            return {d, s, w.generation};
          }
          revalidate = true;
        }
      }
      const bool fresh = !revalidate && state_->is_fresh(settings_.cache_timeout);
      (fresh ? state_->counters().cache_hits : state_->counters().cache_misses).fetch_add(1);
      try {
        // Fresh: the one authentication any new session needs. Expired: the same call
        // revalidates the cached deployment (not a blind blue-then-green probe).
        return {d, authenticate_on(d, deadline), w.generation};
      } catch (const Error& e) {
        if (e.cause() != FailureCause::kWrongDeployment) throw;
        state_->counters().recoveries_456.fetch_add(1);
        state_->on_wrong_deployment(d, w.generation);
        continue;
      }
    }
    state_->counters().cache_misses.fetch_add(1);
    d = detect(deadline);
    const std::uint32_t generation = state_->word().generation;
    if (auto s = session_on(d); !s.empty()) return {d, s, generation};  // led the detection
    try {
      return {d, authenticate_on(d, deadline), generation};
    } catch (const Error& e) {
      if (e.cause() != FailureCause::kWrongDeployment) throw;
      state_->on_wrong_deployment(d, generation);
    }
  }
}

double CallRunner::jitter() {
  std::lock_guard lock(mutex_);
  return std::uniform_real_distribution<double>(0.5, 1.0)(rng_);
}

bool CallRunner::retry_refused_call(const Route& route, RefusalRetry& refused, TimePoint deadline,
                                    const QueryBinding* held) {
  const StrategyWord w = state_->word();
  // A deployment that is neither pending nor the only active one has been left (or is being
  // drained): its refusals are taken for real, unless the caller rides them out for a query that
  // still holds its binding there (Refused::kRideOut: that query keeps the deployment from
  // having drained). A strategy just forgotten (another call's refusals made the endpoint detect
  // again) says nothing either way: this call's deployment served it a moment ago, so its
  // refusal is retried within the window like the only active one's.
  const bool forgotten = w.active == Deployment::kNone && w.pending == Deployment::kNone;
  const bool current = forgotten || w.pending == route.deployment ||
                       (w.active == route.deployment && w.pending == Deployment::kNone);
  const bool holding = held != nullptr && !held->released();
  if (!current && !holding) return false;
  const TimePoint now = state_->clock().now();
  if (refused.since == TimePoint{}) {
    refused.since = now;
    if (!current) {
      log::event(log::get("e6data.strategy"), spdlog::level::debug,
                 "456 for a query still open on the deployment being left: repeating the call "
                 "within the lag window",
                 {{"strategy", name(route.deployment)}});
    }
  }
  const TimePoint at = now + refused.pause;
  if (at >= deadline || at - refused.since > state_->lag().window) return false;
  state_->counters().lag_holds.fetch_add(1);
  state_->clock().sleep_until(at);
  refused.pause = std::min<Duration>(refused.pause * 2, std::chrono::milliseconds(200));
  return true;
}

bool CallRunner::back_off(int attempt, TimePoint deadline) {
  if (attempt >= settings_.max_attempts) return false;
  const auto delay = backoff_delay(attempt, settings_.backoff_factor, jitter());
  const TimePoint at = state_->clock().now() + std::chrono::duration_cast<Duration>(delay);
  if (at >= deadline) return false;
  state_->counters().retries.fetch_add(1);
  if (settings_.debug) {
    log::event(log::get("e6data.strategy"), spdlog::level::debug,
               "transient failure: retrying after backoff",
               {{"attempt", std::to_string(attempt)},
                {"delay_ms", std::to_string(delay.count() / 1000000)}});
  }
  state_->clock().sleep_until(at);
  return true;
}

bool CallRunner::recover_503(const Route& route, Repeat repeat, int attempt, TimePoint deadline) {
  // PROTOCOL.md §6, a 503 step by step: the cluster's status tells a suspension from a proxy's
  // failure on the path.
  if (attempt > kMaxRecoveries) return false;
  if (!settings_.auto_resume || !hooks_.resume_cluster) {
    if (!hooks_.cluster_status) return false;
    const std::string status = hooks_.cluster_status(deadline);
    if (status == "suspended" || status == "suspending" || status == "resuming") return false;
    return repeat == Repeat::kSafe && back_off(attempt, deadline);
  }
  // The resume wait is bounded by the call's deadline and by the auto-resume timeout.
  // `asked` also starts the resume's duration: one clock read fewer on the leader's way to the
  // resume (the single-flight tests count a caller's reads to know it is waiting).
  const TimePoint asked = state_->clock().now();
  const TimePoint resume_deadline = std::min(deadline, asked + settings_.auto_resume_timeout);
  const auto outcome = state_->resume().run(
      [&] {
        const TimePoint started = asked;
        const bool resumed = hooks_.resume_cluster(resume_deadline);
        if (resumed) {
          state_->counters().resumes.fetch_add(1);
          state_->resume_seconds().observe(
              std::chrono::duration<double>(state_->clock().now() - started).count());
        }
        return resumed;
      },
      state_->clock(), resume_deadline, "the cluster to resume");
  if (outcome.leader_error) std::rethrow_exception(outcome.leader_error);
  if (outcome.value && !*outcome.value) {
    // Active all along: the 503 came from something else on the path (a proxy). Transient.
    return repeat == Repeat::kSafe && back_off(attempt, deadline);
  }
  forget(route);  // a resumed cluster does not know the sessions of before
  return state_->clock().now() < deadline;
}

bool CallRunner::recover(const Error& e, const Route& route, Repeat repeat, int attempt,
                         TimePoint deadline) {
  if (state_->clock().now() >= deadline) return false;
  auto log = log::get("e6data.strategy");
  switch (recovery_for(e)) {
    case Recovery::kWrongDeployment: {
      if (attempt > kMaxRecoveries + kRefusalsBeforeForgetting) return false;
      const StrategyWord w = state_->word();
      if (attempt <= kRefusalsBeforeForgetting && w.active == route.deployment &&
          w.pending == Deployment::kNone && w.generation == route.generation) {
        const TimePoint at = state_->clock().now() + std::chrono::milliseconds(25 * attempt);
        if (at >= deadline) return false;
        state_->counters().lag_holds.fetch_add(1);
        state_->clock().sleep_until(at);
        return true;
      }
      state_->counters().recoveries_456.fetch_add(1);
      state_->on_wrong_deployment(route.deployment, route.generation);
      forget(route);
      log::event(log, spdlog::level::debug, "456: the deployment is not serving; routing again",
                 {{"strategy", name(route.deployment)}, {"query_id", e.query_id()}});
      return true;
    }
    case Recovery::kSessionLost:
      if (attempt > kMaxRecoveries) return false;
      state_->counters().reauthentications.fetch_add(1);
      forget(route);
      log::event(log, spdlog::level::info, "session refused: authenticating again",
                 {{"strategy", name(route.deployment)}});
      return true;
    case Recovery::kSuspended:
      return recover_503(route, repeat, attempt, deadline);
    case Recovery::kTransient:
      return repeat == Repeat::kSafe && back_off(attempt, deadline);
    case Recovery::kNone:
      break;
  }
  return false;
}

}  // namespace e6data::strategy

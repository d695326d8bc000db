#pragma once
// The zero-downtime rules for one Connection's calls (issue: blue-green strategy engine):
//
//  * route(): the session for new work, on the deployment for new work. Authenticates when this
//    connection holds no session there: with a fresh strategy that is one call (a cache hit);
//    with an expired one it revalidates the cached deployment with that same one call; with none
//    it joins the endpoint's single detection (blue, then green on 456, in the configured order).
//  * run(): a call that belongs to no query. 456 -> the endpoint state decides (router lag: hold
//    new work on the active side; a retired active side: the pending one, or re-detect once for
//    all waiting callers), retry; "Access denied" -> authenticate again (once per deployment per
//    connection), retry; a 503 form -> ask the cluster's status: suspended with auto-resume ->
//    resume (once per cluster), retry; active -> a proxy's transient failure; a transient
//    failure -> exponential backoff with jitter, only for calls that cannot duplicate work.
//  * One deadline per call: every attempt, recovery, backoff and resume wait inside a call is
//    bounded by the deadline the caller gave (the resume wait by the smaller of what is left and
//    the auto-resume timeout).
//  * run_bound(): a prepare. Like run(), and binds the new query to the deployment it was
//    prepared on (EndpointState::bind), so a switch completes only after it is released.
//  * call_bound(): any later call of a prepared query, on that query's deployment and session.
//    Only transient failures of repeatable calls are retried here; other failures go back to the
//    cursor, which decides (recovery.hpp may_rerun) whether the query can run again.
//
// Every response's `new_strategy` is passed to the EndpointState.
// Thread safety: all methods may be called from any number of threads at once.

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <type_traits>

#include "e6data/errors.hpp"
#include "strategy/clock.hpp"
#include "strategy/deployment.hpp"
#include "strategy/endpoint_state.hpp"
#include "strategy/recovery.hpp"

namespace e6data::strategy {

// Where a call goes: a deployment, a session on it, and the generation of the strategy word it
// was chosen under (a 456 from a call routed under an older word is stale).
struct Route {
  Deployment deployment = Deployment::kNone;
  std::string session;
  std::uint32_t generation = 0;
};

struct RunnerSettings {
  std::array<Deployment, 2> detection_order{Deployment::kBlue, Deployment::kGreen};
  Duration cache_timeout = std::chrono::seconds(300);
  Duration detection_timeout = std::chrono::seconds(30);
  // E6DATA_STRATEGY_VALIDATION: revalidate the cached deployment (one call) once the cache
  // timeout has passed. Off: the cached deployment is trusted until a 456 says otherwise.
  bool revalidate = true;
  int max_attempts = 5;
  std::chrono::duration<double> backoff_factor{0.2};
  bool auto_resume = true;
  Duration auto_resume_timeout = std::chrono::seconds(300);
  Duration resume_poll_interval = std::chrono::milliseconds(500);
  bool debug = false;  // log every decision
};

struct RunnerHooks {
  // Authenticates on `d`; returns the session id. Throws the typed errors (456 has its cause).
  std::function<std::string(Deployment d, TimePoint deadline)> authenticate;
  // Asks the cluster's status; when suspended resumes it and returns once it is active (true).
  // Returns false when the cluster was active at once: the 503 came from something else on the
  // path. Throws ClusterSuspendedError when it does not become active by `deadline`.
  std::function<bool(TimePoint deadline)> resume_cluster;
  // The cluster's status ("active", "suspended", ...), for a 503 with auto-resume off.
  std::function<std::string(TimePoint deadline)> cluster_status;
};

// Whether repeating a call after an unknown outcome could duplicate work.
enum class Repeat { kSafe, kUnsafe };

// What a bound call does when the router refuses it (its exact 456 form) while its deployment is
// no longer the endpoint's current one (a switch away from it is pending or done).
//  * kReportIfLeft: the refusal goes to the query at once; the query runs again elsewhere when it
//    may (nothing of it was seen yet), so waiting on the old side would only cost time.
//  * kRideOut: the call is repeated within the lag window as long as the query still holds its
//    binding. For a query that cannot run again (rows of its result were delivered): the router
//    retires a deployment only once it has drained (PROTOCOL.md §6), and this query is still open
//    there, so a refusal is a router that has not changed everywhere at once (nginx workers that
//    finish their connections with the previous routing, replicas) unless a drain timeout really
//    ended it; refusals that last the whole window are reported as before.
enum class Refused { kReportIfLeft, kRideOut };

class CallRunner {
 public:
  CallRunner(std::shared_ptr<EndpointState> state, RunnerSettings settings, RunnerHooks hooks);

  EndpointState& state() noexcept { return *state_; }
  const RunnerSettings& settings() const noexcept { return settings_; }
  Clock& clock() const noexcept { return state_->clock(); }

  // The session for new work (see above). Throws the typed errors of authentication; a
  // TimeoutError once `deadline` has passed.
  Route route(TimePoint deadline);
  // Forgets `route`'s session (it was refused); other sessions are kept.
  void forget(const Route& route);
  // Forgets every session (close()).
  void forget_all();

  // Handles the failure `e` of attempt `attempt` of a call on `route` by the rules above: does
  // what recovery needs (forget a strategy or session, resume, back off) and returns true when
  // the call may be made again, false when `e` must be reported. Never returns true once
  // `deadline` has passed.
  bool recover(const Error& e, const Route& route, Repeat repeat, int attempt, TimePoint deadline);

  // Passes a response's `new_strategy` (when the message has the field) to the endpoint state,
  // and notes that `from` served the call.
  template <typename Response>
  void observe(Deployment from, const Response& response) {
    state_->note_served(from);
    if constexpr (requires { response.new_strategy(); }) {
      if (!response.new_strategy().empty()) {
        state_->observe_new_strategy(from, response.new_strategy());
      }
    }
  }

  // A call that belongs to no query: `call(route)` with recovery, all within `deadline`.
  template <typename Call>
  auto run(Call&& call, Repeat repeat, TimePoint deadline) -> decltype(call(Route{})) {
    for (int attempt = 1;; ++attempt) {
      Route route;
      try {
        route = this->route(deadline);
        auto response = call(route);
        observe(route.deployment, response);
        return response;
      } catch (const Error& e) {
        if (!recover(e, route, repeat, attempt, deadline)) throw;
      }
    }
  }

  // What run_bound() returns: the prepared query's route and binding, and the response.
  template <typename Response>
  struct Bound {
    Route route;
    std::shared_ptr<QueryBinding> binding;
    Response response;
  };

  // A prepare: `call(route)` with recovery, bound to the route's deployment on success.
  template <typename Call>
  auto run_bound(Call&& call, TimePoint deadline) -> Bound<decltype(call(Route{}))> {
    for (int attempt = 1;; ++attempt) {
      Route route;
      std::shared_ptr<QueryBinding> binding;
      try {
        route = this->route(deadline);
        binding = state_->bind(route.deployment);
        if (!binding) {
          // A switch was announced (or a lag hold ended) between routing and binding: route
          // again. Each round follows a change of the word, so this ends; the deadline bounds it.
          if (state_->clock().now() >= deadline) throw_deadline("prepare");
          --attempt;
          continue;
        }
        auto response = call(route);
        observe(route.deployment, response);
        return {std::move(route), std::move(binding), std::move(response)};
      } catch (const Error& e) {
        if (binding) state_->release(*binding);
        // A prepare that failed for a transient reason created nothing that runs: repeatable.
        if (!recover(e, route, Repeat::kSafe, attempt, deadline)) throw;
      } catch (...) {
        // Any other exception (the call's own, bad_alloc): no cursor will ever hold this
        // binding, so release it here rather than let it block a switch until it is evicted.
        if (binding) state_->release(*binding);
        throw;
      }
    }
  }

  // A later call of a bound query, on its route. Retries transient failures of repeatable calls;
  // every other failure is thrown for the query to judge (recovery.hpp judge_failed_query).
  //
  // A call refused by the router in its exact 456 form never reached the deployment, so it is
  // repeated as it is (even a fetch) while its deployment is still the one the endpoint works
  // with: an inconsistent router refuses some calls to a deployment it serves (PROTOCOL.md §6).
  // With Refused::kRideOut, also while the query holds its binding on a deployment being left.
  // Bounded by the lag window and the deadline; then the 456 goes to the query to judge.
  template <typename Call>
  auto call_bound(const Route& route, QueryBinding& binding, Call&& call, Repeat repeat,
                  TimePoint deadline, Refused refusals = Refused::kReportIfLeft)
      -> decltype(call(route)) {
    binding.touch(state_->clock().now());
    return call_routed(route, refusals == Refused::kRideOut ? &binding : nullptr,
                       std::forward<Call>(call), repeat, deadline);
  }

  // The same for a call of a query whose binding was already released (its result was read to
  // the end): status, explain, cancel, clear. The refused-call and transient rules apply.
  template <typename Call>
  auto call_on(const Route& route, Call&& call, Repeat repeat, TimePoint deadline)
      -> decltype(call(route)) {
    return call_routed(route, nullptr, std::forward<Call>(call), repeat, deadline);
  }

  // call_bound() and call_on(): `held`, when set, is the binding whose hold rides out refusals.
  template <typename Call>
  auto call_routed(const Route& route, const QueryBinding* held, Call&& call, Repeat repeat,
                   TimePoint deadline) -> decltype(call(route)) {
    RefusalRetry refused;
    for (int attempt = 1;; ++attempt) {
      try {
        auto response = call(route);
        observe(route.deployment, response);
        return response;
      } catch (const Error& e) {
        if (e.cause() == FailureCause::kWrongDeployment &&
            retry_refused_call(route, refused, deadline, held)) {
          --attempt;
          continue;
        }
        if (recovery_for(e) != Recovery::kTransient ||
            !recover(e, route, repeat, attempt, deadline)) {
          throw;
        }
      }
    }
  }

  // The same three with a budget relative to now instead of a deadline.
  template <typename Call>
  auto run(Call&& call, Repeat repeat, Duration budget) {
    return run(std::forward<Call>(call), repeat, state_->clock().now() + budget);
  }
  template <typename Call>
  auto run_bound(Call&& call, Duration budget) {
    return run_bound(std::forward<Call>(call), state_->clock().now() + budget);
  }
  template <typename Call>
  auto call_bound(const Route& route, QueryBinding& binding, Call&& call, Repeat repeat,
                  Duration budget, Refused refusals = Refused::kReportIfLeft) {
    return call_bound(route, binding, std::forward<Call>(call), repeat,
                      state_->clock().now() + budget, refusals);
  }

  // Where a refused bound call stands: since when it is refused, and the next pause.
  struct RefusalRetry {
    TimePoint since{};
    Duration pause = std::chrono::milliseconds(25);
  };
  // Sleeps before repeating a bound call the router refused (456), and returns true, while the
  // call's deployment is the endpoint's current one (or `held` is a binding not yet released)
  // and the lag window and deadline allow.
  bool retry_refused_call(const Route& route, RefusalRetry& refused, TimePoint deadline,
                          const QueryBinding* held = nullptr);

  // Throws the TimeoutError of a call whose deadline passed between attempts.
  [[noreturn]] void throw_deadline(const char* what) const;

 private:
  std::string authenticate_on(Deployment d, TimePoint deadline);
  Deployment detect(TimePoint deadline);
  bool recover_503(const Route& route, Repeat repeat, int attempt, TimePoint deadline);
  bool back_off(int attempt, TimePoint deadline);
  std::string session_on(Deployment d);
  void store_session(Deployment d, std::string session);
  void drop_retired_sessions_locked();
  double jitter();

  std::shared_ptr<EndpointState> state_;
  const RunnerSettings settings_;
  const RunnerHooks hooks_;
  std::mutex mutex_;                     // guards sessions_, reauth_ and rng_
  std::array<std::string, 3> sessions_;  // indexed by Deployment
  // One authentication per deployment in flight on this connection: 32 threads whose session
  // expired together authenticate once (the others wait for it).
  std::array<std::shared_ptr<SingleFlight<std::string>>, 3> reauth_;
  std::minstd_rand rng_;
};

}  // namespace e6data::strategy

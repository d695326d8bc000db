// CallRunner: the zero-downtime rules for a connection's calls, against a FakeCluster that
// models the router (which deployments serve, 456, 503) and the servers (sessions per
// deployment, Access denied), and throws the typed errors that src/rpc/failure.cpp makes of real
// gRPC failures. No network, no sleeps: time is a FakeClock.
#include "strategy/call_runner.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <latch>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "e6data/errors.hpp"
#include "strategy/cluster_resume.hpp"
#include "strategy/endpoint_state.hpp"
#include "strategy/fake_clock.hpp"

namespace e6data::strategy {
namespace {

using namespace std::chrono_literals;
using testing::FakeClock;

constexpr Deployment kBlue = Deployment::kBlue;
constexpr Deployment kGreen = Deployment::kGreen;
constexpr Deployment kNone = Deployment::kNone;

// --- the errors of the real call path (src/rpc/failure.cpp) ----------------------------------

constexpr int kGrpcUnknown = 2;
constexpr int kGrpcInternal = 13;
constexpr int kGrpcUnavailable = 14;

// The context failure.cpp fills in (designated initializers would trip
// -Wmissing-field-initializers on the fields left out).
ErrorContext context(int grpc_code, const std::string& server_message, bool retryable,
                     int http_status, Deployment d, FailureCause cause) {
  ErrorContext c;
  c.cause = cause;
  c.grpc_code = grpc_code;
  c.server_message = server_message;
  c.strategy = std::string(to_string(d));
  c.retryable = retryable;
  c.http_status = http_status;
  return c;
}

ConnectionError wrong_deployment_error(Deployment d) {
  const std::string text = "Received http2 header with status: 456";
  return ConnectionError(ErrorKind::kConnection,
                         "call failed on the " + std::string(to_string(d)) + " deployment: " + text,
                         context(kGrpcUnknown, text, true, 456, d, FailureCause::kWrongDeployment));
}

AuthenticationError access_denied_error() {
  const std::string text = "Access denied: unknown or expired session";
  return AuthenticationError(
      ErrorKind::kAuthentication, "call failed: " + text,
      context(kGrpcInternal, text, true, 0, kNone, FailureCause::kSessionLost));
}

ClusterSuspendedError suspended_error() {
  const std::string text = "Received http2 header with status: 503";
  return ClusterSuspendedError(
      ErrorKind::kClusterSuspended, "call failed: " + text + " -- the cluster is suspended",
      context(kGrpcUnavailable, text, true, 503, kNone, FailureCause::kRouter503));
}

ConnectionError transient_error() {
  const std::string text = "failed to connect to all addresses";
  return ConnectionError(
      ErrorKind::kConnection, "call failed: " + text,
      context(kGrpcUnavailable, text, true, 0, kNone, FailureCause::kUnavailable));
}

// A response with a `new_strategy` field, like most QueryEngineService responses.
struct Reply {
  Deployment served_by = kNone;
  std::string session;
  std::string announced;
  const std::string& new_strategy() const { return announced; }
};

// A response without the field (DryRunResponse, HealthCheckResponse).
struct PlainReply {
  Deployment served_by = kNone;
};

// Thrown by tests' calls; not an e6data::Error, so never recovered.
struct Stop {};

// --- the cluster ------------------------------------------------------------------------------

class FakeCluster {
 public:
  // Which deployments the router forwards to.
  void serve(bool blue, bool green) {
    std::lock_guard lock(mutex_);
    serving_[idx(kBlue)] = blue;
    serving_[idx(kGreen)] = green;
  }
  // The router refuses the next `n` calls to `d` with 456 although it serves `d` (an
  // inconsistent router).
  void refuse_next(Deployment d, int n) {
    std::lock_guard lock(mutex_);
    refusals_[idx(d)] = n;
  }
  // Responses from `on` carry `new_strategy: value` ("" = none).
  void announce(Deployment on, std::string value) {
    std::lock_guard lock(mutex_);
    announcement_[idx(on)] = std::move(value);
  }
  void suspend() {
    std::lock_guard lock(mutex_);
    status_ = "suspended";
    sessions_.clear();  // a suspended cluster forgets its sessions
  }
  // Every session expires (the servers answer Access denied until a new authentication).
  void expire_sessions() {
    std::lock_guard lock(mutex_);
    sessions_.clear();
  }
  // Refuse every session, even new ones.
  void deny_all(bool deny) {
    std::lock_guard lock(mutex_);
    deny_all_ = deny;
  }
  // The next `n` calls (not authentications) fail transiently; -1 = all of them.
  void fail_transiently(int n) {
    std::lock_guard lock(mutex_);
    transient_failures_ = n;
  }
  // How many status polls a resume takes before the cluster is active.
  void set_resume_polls(int n) {
    std::lock_guard lock(mutex_);
    resume_polls_ = n;
  }

  // QueryEngineService.authenticate on deployment `d`.
  std::string authenticate(Deployment d) {
    std::lock_guard lock(mutex_);
    auth_log_.push_back(d);
    if (status_ != "active") throw suspended_error();
    if (!serving_[idx(d)]) throw wrong_deployment_error(d);
    std::string session = std::string(to_string(d)) + "-" + std::to_string(++next_session_);
    sessions_[session] = d;
    return session;
  }

  // Any other QueryEngineService call, on `route`.
  Reply call(const Route& route) {
    std::lock_guard lock(mutex_);
    ++attempts_[idx(route.deployment)];
    if (status_ != "active") {
      ++refused_503_;
      throw suspended_error();
    }
    if (!serving_[idx(route.deployment)] || refusals_[idx(route.deployment)] > 0) {
      if (refusals_[idx(route.deployment)] > 0) --refusals_[idx(route.deployment)];
      ++refused_456_;
      throw wrong_deployment_error(route.deployment);
    }
    if (transient_failures_ != 0) {
      if (transient_failures_ > 0) --transient_failures_;
      throw transient_error();
    }
    const auto it = sessions_.find(route.session);
    if (deny_all_ || it == sessions_.end() || it->second != route.deployment) {
      ++refused_denied_;
      throw access_denied_error();
    }
    ++served_[idx(route.deployment)];
    return Reply{route.deployment, route.session, announcement_[idx(route.deployment)]};
  }

  // ClusterService.status / resume.
  std::string status() {
    std::lock_guard lock(mutex_);
    ++status_calls_;
    if (status_ == "resuming" && polls_left_-- <= 0) status_ = "active";
    return status_;
  }
  std::string resume() {
    std::lock_guard lock(mutex_);
    ++resume_calls_;
    if (status_ == "suspended") {
      status_ = "resuming";
      polls_left_ = resume_polls_;
    }
    return status_;
  }

  // The hooks a Connection would give its CallRunner.
  RunnerHooks hooks(Clock& clock, Duration poll_interval = 500ms) {
    RunnerHooks h;
    h.authenticate = [this](Deployment d, TimePoint deadline) {
      {
        std::lock_guard lock(mutex_);
        auth_deadlines_.push_back(deadline);
      }
      return authenticate(d);
    };
    h.resume_cluster = [this, &clock, poll_interval](TimePoint deadline) {
      ClusterCalls calls;
      calls.status = [this](TimePoint) { return status(); };
      calls.resume = [this](TimePoint) { return resume(); };
      return !resume_and_wait(calls, clock, deadline, poll_interval).was_active;
    };
    return h;
  }

  std::vector<Deployment> auth_log() const {
    std::lock_guard lock(mutex_);
    return auth_log_;
  }
  std::vector<TimePoint> auth_deadlines() const {
    std::lock_guard lock(mutex_);
    return auth_deadlines_;
  }
  int auth_calls(Deployment d) const {
    std::lock_guard lock(mutex_);
    int n = 0;
    for (Deployment x : auth_log_) n += x == d ? 1 : 0;
    return n;
  }
  int attempts(Deployment d) const {
    std::lock_guard lock(mutex_);
    return attempts_[idx(d)];
  }
  int served(Deployment d) const {
    std::lock_guard lock(mutex_);
    return served_[idx(d)];
  }
  int refused_456() const {
    std::lock_guard lock(mutex_);
    return refused_456_;
  }
  int refused_503() const {
    std::lock_guard lock(mutex_);
    return refused_503_;
  }
  int refused_denied() const {
    std::lock_guard lock(mutex_);
    return refused_denied_;
  }
  int resume_calls() const {
    std::lock_guard lock(mutex_);
    return resume_calls_;
  }
  int status_calls() const {
    std::lock_guard lock(mutex_);
    return status_calls_;
  }

 private:
  static std::size_t idx(Deployment d) { return static_cast<std::size_t>(d); }

  mutable std::mutex mutex_;
  bool serving_[3] = {false, true, false};
  int refusals_[3] = {0, 0, 0};
  std::string announcement_[3];
  std::string status_ = "active";
  int polls_left_ = 0;
  int resume_polls_ = 2;
  bool deny_all_ = false;
  int transient_failures_ = 0;
  int next_session_ = 0;
  std::map<std::string, Deployment> sessions_;
  std::vector<Deployment> auth_log_;
  std::vector<TimePoint> auth_deadlines_;
  int attempts_[3] = {};
  int served_[3] = {};
  int refused_456_ = 0, refused_503_ = 0, refused_denied_ = 0;
  int resume_calls_ = 0, status_calls_ = 0;
};

using Log = std::vector<Deployment>;

class CallRunnerTest : public ::testing::Test {
 protected:
  std::unique_ptr<CallRunner> runner(RunnerSettings settings = {}) {
    return std::make_unique<CallRunner>(state, settings, cluster.hooks(clock));
  }
  TimePoint in(Duration d) const { return clock.now() + d; }
  auto call() {
    return [this](const Route& r) { return cluster.call(r); };
  }
  // Connects `r` while blue serves (detecting blue), and returns its route.
  Route connect_on_blue(CallRunner& r) { return r.route(in(60s)); }

  FakeClock clock;
  FakeCluster cluster;
  std::shared_ptr<EndpointState> state =
      std::make_shared<EndpointState>("host:443/cluster", clock, BindingLimits{});
};

// A FakeClock hook for concurrency tests: counts, per thread, the clock reads a thread makes
// after it was marked, and reports threads that reached `reads` of them. Code under test reads
// the clock at known points (see the tests), so "reached N reads" says where a thread is.
class ReadWatch {
 public:
  explicit ReadWatch(int reads) : reads_(reads) {}
  static void mark() {
    seen_ = 0;
    marked_ = true;
  }
  static void unmark() { marked_ = false; }
  void on_now() {
    if (!marked_ || ++seen_ != reads_) return;
    std::lock_guard lock(mutex_);
    ++arrived_;
    cv_.notify_all();
  }
  // Waits (really, but bounded) until `n` threads arrived; false if they did not.
  bool wait_for(int n) {
    std::unique_lock lock(mutex_);
    return cv_.wait_for(lock, 30s, [&] { return arrived_ >= n; });
  }

 private:
  static inline thread_local bool marked_ = false;
  static inline thread_local int seen_ = 0;
  const int reads_;
  std::mutex mutex_;
  std::condition_variable cv_;
  int arrived_ = 0;
};

// A barrier for the first call of each of `n` threads: they all enter before any returns.
class Gate {
 public:
  explicit Gate(int n) : n_(n) {}
  void arrive_and_wait() {
    std::unique_lock lock(mutex_);
    ++arrived_;
    cv_.notify_all();
    cv_.wait_for(lock, 30s, [&] { return arrived_ >= n_; });
  }

 private:
  const int n_;
  std::mutex mutex_;
  std::condition_variable cv_;
  int arrived_ = 0;
};

// =============================================================================================
// Rule 1: detection

TEST_F(CallRunnerTest, DetectsBlueFirst) {
  auto r = runner();
  const Route route = r->route(in(60s));
  EXPECT_EQ(route.deployment, kBlue);
  EXPECT_EQ(route.session.rfind("blue-", 0), 0u);
  EXPECT_EQ(cluster.auth_log(), (Log{kBlue}));
  EXPECT_EQ(state->word().active, kBlue);
  EXPECT_EQ(state->counters().detections.load(), 1u);
  EXPECT_EQ(state->counters().detection_probes.load(), 1u);
  EXPECT_EQ(state->counters().cache_misses.load(), 1u);
  EXPECT_TRUE(state->is_fresh(r->settings().cache_timeout));
}

TEST_F(CallRunnerTest, FallsBackToGreenOn456AndRemembersIt) {
  cluster.serve(false, true);
  auto r = runner();
  const Route route = r->route(in(60s));
  EXPECT_EQ(route.deployment, kGreen);
  EXPECT_EQ(route.session.rfind("green-", 0), 0u);
  EXPECT_EQ(cluster.auth_log(), (Log{kBlue, kGreen}));
  EXPECT_EQ(state->word().active, kGreen);
  EXPECT_EQ(state->counters().detections.load(), 1u);
  EXPECT_EQ(state->counters().detection_probes.load(), 2u);

  // The same connection: its session, no call.
  EXPECT_EQ(r->route(in(60s)).session, route.session);
  EXPECT_EQ(cluster.auth_log().size(), 2u);

  // Another connection to the endpoint: one authentication, on green, a cache hit.
  auto r2 = runner();
  EXPECT_EQ(r2->route(in(60s)).deployment, kGreen);
  EXPECT_EQ(cluster.auth_log(), (Log{kBlue, kGreen, kGreen}));
  EXPECT_EQ(state->counters().detections.load(), 1u);
  EXPECT_EQ(state->counters().cache_hits.load(), 1u);
}

TEST_F(CallRunnerTest, DetectionOrderIsConfigurable) {
  RunnerSettings settings;
  settings.detection_order = {kGreen, kBlue};
  cluster.serve(true, true);
  EXPECT_EQ(runner(settings)->route(in(60s)).deployment, kGreen);
  EXPECT_EQ(cluster.auth_log(), (Log{kGreen}));

  state->reset();
  cluster.serve(true, false);
  EXPECT_EQ(runner(settings)->route(in(60s)).deployment, kBlue);
  EXPECT_EQ(cluster.auth_log(), (Log{kGreen, kGreen, kBlue}));
  EXPECT_EQ(state->counters().detections.load(), 2u);
}

TEST_F(CallRunnerTest, DetectionIsBoundedByTheDetectionTimeout) {
  RunnerSettings settings;
  settings.detection_timeout = 2s;
  cluster.serve(false, true);
  const TimePoint start = clock.now();
  runner(settings)->route(start + 60s);
  ASSERT_EQ(cluster.auth_deadlines().size(), 2u);
  EXPECT_EQ(cluster.auth_deadlines()[0], start + 2s);
  EXPECT_EQ(cluster.auth_deadlines()[1], start + 2s);

  // A call deadline sooner than the detection timeout wins.
  state->reset();
  auto r = runner(settings);
  r->route(start + 1s);
  EXPECT_EQ(cluster.auth_deadlines()[2], start + 1s);
}

// Both sides answering 456 happens for a moment while a router changes: detection probes again
// after short, growing pauses, and fails only at the detection timeout.
TEST_F(CallRunnerTest, DetectionFailsWhenBothDeploymentsAnswer456UntilTheDetectionTimeout) {
  cluster.serve(false, false);
  RunnerSettings settings;
  settings.detection_timeout = 10s;
  auto r = runner(settings);
  const TimePoint start = clock.now();
  try {
    r->route(in(60s));
    FAIL() << "expected a ConnectionError";
  } catch (const ConnectionError& e) {
    EXPECT_NE(std::string(e.what()).find("both blue and green answered 456"), std::string::npos);
  }
  EXPECT_LE(clock.now() - start, 10s);
  const auto probes = cluster.auth_log().size();
  EXPECT_EQ(probes % 2, 0u);
  EXPECT_GE(probes, 4u) << "probed again after a pause";
  EXPECT_LE(probes, 2u * 30) << "pauses grow: no busy loop";
  EXPECT_EQ(state->word().active, kNone);
}

TEST_F(CallRunnerTest, DetectionRidesThroughAMomentWhenBothSidesAnswer456) {
  cluster.serve(false, false);
  clock.set_on_now([&] {
    if (cluster.auth_log().size() >= 4) cluster.serve(false, true);
  });
  auto r = runner();
  EXPECT_EQ(r->route(in(60s)).deployment, kGreen);
  clock.set_on_now({});
}

// A caller that joins a detection another caller leads gives up at its own detection timeout.
TEST_F(CallRunnerTest, AWaitingCallerGivesUpAtTheDetectionTimeout) {
  std::latch leader_in(1), follower_done(1);
  RunnerHooks hooks = cluster.hooks(clock);
  auto slow = hooks;
  slow.authenticate = [&](Deployment d, TimePoint deadline) {
    leader_in.count_down();
    follower_done.wait();
    return hooks.authenticate(d, deadline);
  };
  CallRunner leader(state, {}, slow);
  RunnerSettings impatient;
  impatient.detection_timeout = Duration::zero();  // no real wait: its deadline is now
  CallRunner follower(state, impatient, hooks);

  std::thread t([&] { EXPECT_EQ(leader.route(in(60s)).deployment, kBlue); });
  leader_in.wait();
  EXPECT_THROW(follower.route(in(60s)), TimeoutError);
  follower_done.count_down();
  t.join();
  EXPECT_EQ(state->counters().detections.load(), 1u);
  EXPECT_EQ(cluster.auth_log(), (Log{kBlue}));
}

// 1,000 callers arriving together (here 128 threads on 8 connections): one detection, at most
// two probes. The first probe waits until every other caller is waiting for it.
TEST_F(CallRunnerTest, SimultaneousFirstCallsShareOneDetection) {
  constexpr int kThreads = 128;
  constexpr int kConnections = 8;
  cluster.serve(false, true);  // the worst case: blue answers 456, green serves
  // A caller reads the clock twice before it waits for the detection: detect() computes its
  // limit, then SingleFlight the time left. The leader reads it once before probing.
  ReadWatch watch(2);
  clock.set_on_now([&] { watch.on_now(); });
  std::atomic<bool> first{true}, all_waiting{false};
  RunnerHooks plain = cluster.hooks(clock);
  RunnerHooks hooks = plain;
  hooks.authenticate = [&](Deployment d, TimePoint deadline) {
    if (first.exchange(false)) all_waiting = watch.wait_for(kThreads - 1);
    return plain.authenticate(d, deadline);
  };
  std::vector<std::unique_ptr<CallRunner>> runners;
  for (int i = 0; i < kConnections; ++i) {
    runners.push_back(std::make_unique<CallRunner>(state, RunnerSettings{}, hooks));
  }
  std::latch start(kThreads);
  std::atomic<int> on_green{0}, failed{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      const TimePoint deadline = clock.now() + 60s;
      start.arrive_and_wait();
      ReadWatch::mark();
      try {
        if (runners[i % kConnections]->route(deadline).deployment == kGreen) on_green.fetch_add(1);
      } catch (...) {
        failed.fetch_add(1);
      }
      ReadWatch::unmark();
    });
  }
  for (auto& t : threads) t.join();
  clock.set_on_now({});

  EXPECT_TRUE(all_waiting.load()) << "the callers did not overlap";
  EXPECT_EQ(failed.load(), 0);
  EXPECT_EQ(on_green.load(), kThreads);
  EXPECT_EQ(state->counters().detections.load(), 1u);
  EXPECT_LE(state->counters().detection_probes.load(), 2u);
  EXPECT_EQ(cluster.auth_calls(kBlue), 1) << "blue was probed once, by the one detection";
  EXPECT_LE(cluster.auth_calls(kGreen), kThreads);
  EXPECT_EQ(state->word().active, kGreen);
}

// =============================================================================================
// Rule 2: every route carries its deployment; a bound query keeps it.

TEST_F(CallRunnerTest, RoutesAndBindingsCarryTheDeployment) {
  cluster.serve(true, true);
  auto r = runner();
  auto q = r->run_bound(call(), 60s);
  EXPECT_EQ(q.route.deployment, kBlue);
  ASSERT_NE(q.binding, nullptr);
  EXPECT_EQ(q.binding->deployment(), kBlue);
  EXPECT_EQ(q.response.served_by, kBlue);
  EXPECT_EQ(q.response.session, q.route.session);
  EXPECT_EQ(state->bound(kBlue), 1);
  EXPECT_EQ(state->counters().queries_blue.load(), 1u);

  // The switch moves new work, not the query.
  state->observe_new_strategy(kBlue, "green");
  const Reply later = r->call_bound(q.route, *q.binding, call(), Repeat::kSafe, 60s);
  EXPECT_EQ(later.served_by, kBlue);
  EXPECT_EQ(r->route(in(60s)).deployment, kGreen);
  state->release(*q.binding);
  EXPECT_EQ(state->bound(kBlue), 0);
}

// A switch announced between route() and bind(): the prepare routes again, onto the new
// deployment, rather than starting a query on the old one.
TEST_F(CallRunnerTest, PrepareRoutesAgainWhenASwitchIsAnnouncedBeforeItBinds) {
  cluster.serve(true, true);
  RunnerHooks plain = cluster.hooks(clock);
  RunnerHooks hooks = plain;
  bool announced = false;
  hooks.authenticate = [&](Deployment d, TimePoint deadline) {
    std::string session = plain.authenticate(d, deadline);
    if (!announced && d == kBlue) {
      announced = true;
      state->observe_new_strategy(kBlue, "green");  // another connection saw it meanwhile
    }
    return session;
  };
  CallRunner r(state, {}, hooks);
  state->confirm(kBlue);
  auto q = r.run_bound(call(), 60s);
  EXPECT_EQ(q.route.deployment, kGreen);
  EXPECT_EQ(q.binding->deployment(), kGreen);
  EXPECT_EQ(cluster.attempts(kBlue), 0);
  EXPECT_EQ(cluster.served(kGreen), 1);
  EXPECT_EQ(state->bound(kBlue), 0);
  state->release(*q.binding);
}

TEST_F(CallRunnerTest, AFailedPrepareReleasesItsBinding) {
  cluster.serve(true, true);
  auto r = runner();
  connect_on_blue(*r);
  auto running = r->run_bound(call(), 60s);  // keeps blue active while green is pending
  state->observe_new_strategy(kBlue, "green");
  state->note_served(kGreen);
  state->release(*running.binding);
  ASSERT_EQ(state->word().active, kGreen);
  running = r->run_bound(call(), 60s);
  state->observe_new_strategy(kGreen, "blue");
  state->note_served(kBlue);
  ASSERT_EQ(state->word().pending, kBlue);

  // A typed error that is not recovered.
  EXPECT_THROW(r->run_bound(
                   [](const Route&) -> Reply {
                     throw QueryError(ErrorKind::kQuery, "syntax error", ErrorContext{});
                   },
                   60s),
               QueryError);
  EXPECT_EQ(state->live_bindings(), 1u);
  EXPECT_EQ(state->bound(kBlue), 0);
  // Any other exception from the call.
  EXPECT_THROW(r->run_bound([](const Route&) -> Reply { throw Stop{}; }, 60s), Stop);
  EXPECT_EQ(state->live_bindings(), 1u);
  EXPECT_EQ(state->bound(kBlue), 0);
  // Nothing failed left a claim on blue behind: the pending switch completes with the last
  // real query.
  state->release(*running.binding);
  EXPECT_EQ(state->word().active, kBlue);
  EXPECT_EQ(state->live_bindings(), 0u);
}

TEST_F(CallRunnerTest, ForgottenSessionsAreReplaced) {
  auto r = runner();
  const Route first = connect_on_blue(*r);
  r->forget(Route{kBlue, "not-the-session"});  // a stale refusal: keeps the current session
  EXPECT_EQ(r->route(in(60s)).session, first.session);
  r->forget(first);
  const Route second = r->route(in(60s));
  EXPECT_NE(second.session, first.session);
  r->forget_all();
  EXPECT_NE(r->route(in(60s)).session, second.session);
  EXPECT_EQ(cluster.auth_calls(kBlue), 3);
}

// =============================================================================================
// Rule 3: the graceful switch, seen by every connection

TEST_F(CallRunnerTest, GracefulSwitchThroughResponses) {
  cluster.serve(true, true);
  auto r = runner();
  auto q1 = r->run_bound(call(), 60s);
  ASSERT_EQ(q1.route.deployment, kBlue);

  // Blue starts announcing green in every response.
  cluster.announce(kBlue, "green");
  const Reply seen = r->run(call(), Repeat::kSafe, 60s);
  EXPECT_EQ(seen.served_by, kBlue);
  EXPECT_EQ(state->word().active, kBlue);
  EXPECT_EQ(state->word().pending, kGreen);
  EXPECT_EQ(state->for_new_work(), kGreen);
  EXPECT_EQ(state->bind(kBlue), nullptr);
  EXPECT_EQ(state->counters().announcements.load(), 1u);

  // New work goes to green at once; q1 keeps running on blue.
  auto q2 = r->run_bound(call(), 60s);
  EXPECT_EQ(q2.route.deployment, kGreen);
  EXPECT_EQ(r->call_bound(q1.route, *q1.binding, call(), Repeat::kSafe, 60s).served_by, kBlue);
  EXPECT_EQ(state->word().active, kBlue) << "q1 still bound to blue";
  EXPECT_EQ(state->counters().transitions.load(), 0u);

  // Releasing the last blue query completes the switch.
  state->release(*q1.binding);
  EXPECT_EQ(state->word().active, kGreen);
  EXPECT_EQ(state->word().pending, kNone);
  EXPECT_EQ(state->counters().transitions.load(), 1u);
  state->release(*q2.binding);
}

TEST_F(CallRunnerTest, EveryConnectionSeesTheSwitch) {
  cluster.serve(true, true);
  auto a = runner();
  auto b = runner();
  EXPECT_EQ(a->route(in(60s)).deployment, kBlue);
  EXPECT_EQ(b->route(in(60s)).deployment, kBlue);
  auto q = a->run_bound(call(), 60s);

  // Connection a sees the announcement; connection b routes new work to green at once.
  a->observe(kBlue, Reply{kBlue, "", "green"});
  const Route on_b = b->route(in(60s));
  EXPECT_EQ(on_b.deployment, kGreen);
  EXPECT_EQ(on_b.session.rfind("green-", 0), 0u);
  EXPECT_EQ(cluster.auth_calls(kGreen), 1);
  state->release(*q.binding);
  EXPECT_EQ(state->word().active, kGreen);
  EXPECT_EQ(a->route(in(60s)).deployment, kGreen);
}

TEST_F(CallRunnerTest, ObserveIgnoresResponsesWithoutTheFieldAndEmptyValues) {
  cluster.serve(true, true);
  auto r = runner();
  connect_on_blue(*r);
  const auto before = state->word().pack();
  r->observe(kBlue, PlainReply{kBlue});
  r->observe(kBlue, Reply{kBlue, "", ""});
  EXPECT_EQ(state->word().pack(), before);
  r->observe(kBlue, Reply{kBlue, "", "GREEN"});
  EXPECT_EQ(state->for_new_work(), kGreen);
  // run() with a response type that has no new_strategy compiles and returns it.
  const PlainReply p =
      r->run([](const Route& route) { return PlainReply{route.deployment}; }, Repeat::kSafe, 60s);
  EXPECT_EQ(p.served_by, kGreen);
  EXPECT_EQ(state->word().active, kGreen);  // green answered, nothing bound: completed
}

TEST_F(CallRunnerTest, SessionOnTheOldDeploymentIsKeptWhilePendingAndDroppedAfter) {
  cluster.serve(true, true);
  auto r = runner();
  const Route blue1 = r->route(in(60s));
  ASSERT_EQ(blue1.deployment, kBlue);

  // Pending: the blue session is kept (blue is still active).
  auto q = r->run_bound(call(), 60s);
  state->observe_new_strategy(kBlue, "green");
  const Route green1 = r->route(in(60s));
  EXPECT_EQ(green1.deployment, kGreen);
  state->observe_new_strategy(kBlue, "blue");  // switched back before it completed
  EXPECT_EQ(r->route(in(60s)).session, blue1.session) << "kept while blue was active";
  EXPECT_EQ(cluster.auth_calls(kBlue), 1);

  // Completed: blue is neither active nor pending, so its session is dropped (as green's was
  // when the switch was called off).
  state->observe_new_strategy(kBlue, "green");
  state->note_served(kGreen);
  state->release(*q.binding);
  ASSERT_EQ(state->word().active, kGreen);
  const Route green2 = r->route(in(60s));
  EXPECT_EQ(green2.deployment, kGreen);
  EXPECT_NE(green2.session, green1.session);
  EXPECT_EQ(cluster.auth_calls(kGreen), 2);
  state->observe_new_strategy(kGreen, "blue");  // back to blue: nothing bound, completes
  const Route blue2 = r->route(in(60s));
  EXPECT_EQ(blue2.deployment, kBlue);
  EXPECT_NE(blue2.session, blue1.session) << "the retired blue session was not reused";
  EXPECT_EQ(cluster.auth_calls(kBlue), 2);
  EXPECT_EQ(cluster.auth_calls(kGreen), 2);
}

// =============================================================================================
// Rule 4: 456 on a call that belongs to no query

TEST_F(CallRunnerTest, WrongDeploymentRedetectsAndRetries) {
  auto r = runner();
  connect_on_blue(*r);
  cluster.serve(false, true);  // blue drained without an announcement reaching us
  const TimePoint start = clock.now();
  const Reply reply = r->run(call(), Repeat::kSafe, 60s);
  EXPECT_EQ(reply.served_by, kGreen);
  // The only serving side refused: first taken for an inconsistent router (two short pauses,
  // 25 + 50 ms), then given up and re-detected.
  EXPECT_EQ(cluster.refused_456(), 3);
  EXPECT_EQ(clock.now() - start, 75ms);
  EXPECT_EQ(state->word().active, kGreen);
  EXPECT_EQ(state->counters().recoveries_456.load(), 1u);
  EXPECT_EQ(state->counters().detections.load(), 2u);
  // The deployment that refused is probed last: the re-detection is one probe, on green.
  EXPECT_EQ(state->counters().detection_probes.load(), 2u);
  EXPECT_EQ(cluster.auth_log(), (Log{kBlue, kGreen}));
}

TEST_F(CallRunnerTest, DuringAPendingSwitchNewWorkNeverTouchesTheOldDeployment) {
  cluster.serve(true, true);
  auto r = runner();
  auto q = r->run_bound(call(), 60s);
  state->observe_new_strategy(kBlue, "green");
  cluster.serve(false, true);  // blue went away with q still bound to it
  const int blue_attempts = cluster.attempts(kBlue);
  EXPECT_EQ(r->run(call(), Repeat::kSafe, 60s).served_by, kGreen);
  EXPECT_EQ(cluster.attempts(kBlue), blue_attempts);
  EXPECT_EQ(state->counters().detections.load(), 1u) << "no detection needed";
  // The query on blue learns its fate on its next call: the 456 goes back to the cursor.
  try {
    r->call_bound(q.route, *q.binding, call(), Repeat::kSafe, 60s);
    FAIL() << "expected the 456";
  } catch (const ConnectionError& e) {
    EXPECT_EQ(e.http_status(), 456);
  }
  EXPECT_EQ(state->word().pending, kGreen);
  state->release(*q.binding);
  EXPECT_EQ(state->word().active, kGreen);
}

TEST_F(CallRunnerTest, ManyCallersGetting456TogetherCauseOneRedetection) {
  constexpr int kThreads = 32;
  auto shared = runner();
  connect_on_blue(*shared);
  std::vector<std::unique_ptr<CallRunner>> own;
  for (int i = 0; i < kThreads / 2; ++i) {
    own.push_back(runner());
    connect_on_blue(*own.back());
  }
  ASSERT_EQ(state->counters().detections.load(), 1u);
  cluster.serve(false, true);

  Gate gate(kThreads);  // every first call is refused before any caller recovers
  std::atomic<int> on_green{0}, failed{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      CallRunner& r = i % 2 == 0 ? *shared : *own[i / 2];
      bool first = true;
      try {
        const Reply reply = r.run(
            [&](const Route& route) {
              if (first) {
                first = false;
                gate.arrive_and_wait();
              }
              return cluster.call(route);
            },
            Repeat::kSafe, 60s);
        if (reply.served_by == kGreen) on_green.fetch_add(1);
      } catch (...) {
        failed.fetch_add(1);
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failed.load(), 0);
  EXPECT_EQ(on_green.load(), kThreads);
  // Each caller pauses on its first refusals (an inconsistent router?) until one of them gives
  // blue up; the others then route again under the new word.
  EXPECT_GE(cluster.refused_456(), kThreads);
  EXPECT_LE(cluster.refused_456(), 3 * kThreads);
  EXPECT_EQ(state->counters().detections.load(), 2u) << "one re-detection";
  EXPECT_EQ(state->counters().detection_probes.load(), 2u);
  EXPECT_EQ(state->word().active, kGreen);
}

// =============================================================================================
// Rule 5: Access denied, 503, transient failures

TEST_F(CallRunnerTest, AccessDeniedReauthenticatesAndRetries) {
  auto r = runner();
  const Route before = connect_on_blue(*r);
  cluster.expire_sessions();
  const Reply reply = r->run(call(), Repeat::kSafe, 60s);
  EXPECT_EQ(reply.served_by, kBlue);
  EXPECT_NE(reply.session, before.session);
  EXPECT_EQ(cluster.refused_denied(), 1);
  EXPECT_EQ(cluster.auth_log(), (Log{kBlue, kBlue}));
  EXPECT_EQ(state->counters().reauthentications.load(), 1u);
  EXPECT_EQ(state->counters().detections.load(), 1u);
}

TEST_F(CallRunnerTest, AccessDeniedAgainAndAgainIsReported) {
  auto r = runner();
  connect_on_blue(*r);
  cluster.deny_all(true);
  EXPECT_THROW(r->run(call(), Repeat::kSafe, 60s), AuthenticationError);
  EXPECT_EQ(cluster.refused_denied(), 4) << "the first attempt and three recoveries";
  EXPECT_EQ(state->counters().reauthentications.load(), 3u);
}

TEST_F(CallRunnerTest, SuspendedClusterIsResumedThenTheCallRetried) {
  RunnerSettings settings;
  settings.resume_poll_interval = 500ms;
  auto r = runner(settings);
  connect_on_blue(*r);
  cluster.suspend();
  const TimePoint start = clock.now();
  const Reply reply = r->run(call(), Repeat::kSafe, 60s);
  EXPECT_EQ(reply.served_by, kBlue);
  EXPECT_EQ(cluster.refused_503(), 1);
  EXPECT_EQ(cluster.resume_calls(), 1);
  EXPECT_EQ(state->counters().resumes.load(), 1u);
  // status (suspended), resume, status x2 (resuming), status (active): three polls apart.
  EXPECT_EQ(cluster.status_calls(), 4);
  EXPECT_EQ(clock.sleeps().size(), 3u);
  EXPECT_EQ(clock.now() - start, 1500ms);
  EXPECT_EQ(cluster.auth_calls(kBlue), 2) << "a resumed cluster needs a new session";
}

TEST_F(CallRunnerTest, SuspendedClusterWithoutAutoResumeIsReported) {
  RunnerSettings settings;
  settings.auto_resume = false;
  auto r = runner(settings);
  connect_on_blue(*r);
  cluster.suspend();
  try {
    r->run(call(), Repeat::kSafe, 60s);
    FAIL() << "expected ClusterSuspendedError";
  } catch (const ClusterSuspendedError& e) {
    EXPECT_EQ(e.http_status(), 503);
    EXPECT_EQ(e.kind(), ErrorKind::kClusterSuspended);
  }
  EXPECT_EQ(cluster.resume_calls(), 0);
  EXPECT_EQ(cluster.status_calls(), 0);
  EXPECT_EQ(state->counters().resumes.load(), 0u);
}

TEST_F(CallRunnerTest, AResumeThatFailsIsReported) {
  RunnerSettings settings;
  settings.auto_resume_timeout = 2s;
  settings.resume_poll_interval = 500ms;
  auto r = runner(settings);
  connect_on_blue(*r);
  cluster.suspend();
  cluster.set_resume_polls(1000);  // never active in time
  EXPECT_THROW(r->run(call(), Repeat::kSafe, 60s), ClusterSuspendedError);
  EXPECT_EQ(cluster.resume_calls(), 1);
}

// However many callers find the cluster suspended, it is resumed once.
TEST_F(CallRunnerTest, ManyCallersFindingTheClusterSuspendedResumeItOnce) {
  constexpr int kThreads = 32;
  // After its 503 a caller reads the clock to check its deadline, then for the resume deadline,
  // then (as a follower) SingleFlight reads it for the time left: three reads and it is waiting
  // for the leader.
  ReadWatch watch(3);
  clock.set_on_now([&] { watch.on_now(); });
  std::atomic<bool> all_waiting{false};
  RunnerHooks plain = cluster.hooks(clock);
  RunnerHooks hooks = plain;
  hooks.resume_cluster = [&](TimePoint deadline) {
    all_waiting = watch.wait_for(kThreads - 1);
    ReadWatch::unmark();  // the leader's own reads (polling) are not a follower's
    return plain.resume_cluster(deadline);
  };
  CallRunner r(state, RunnerSettings{}, hooks);
  connect_on_blue(r);
  cluster.suspend();

  Gate gate(kThreads);  // every first call is refused before any caller recovers
  std::atomic<int> ok{0}, failed{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&] {
      bool first = true;
      try {
        r.run(
            [&](const Route& route) {
              if (first) {
                first = false;
                gate.arrive_and_wait();
                ReadWatch::mark();
              } else {
                ReadWatch::unmark();
              }
              return cluster.call(route);
            },
            Repeat::kSafe, 60s);
        ok.fetch_add(1);
      } catch (...) {
        failed.fetch_add(1);
      }
      ReadWatch::unmark();
    });
  }
  for (auto& t : threads) t.join();
  clock.set_on_now({});
  EXPECT_TRUE(all_waiting.load()) << "the callers did not overlap";
  EXPECT_EQ(failed.load(), 0);
  EXPECT_EQ(ok.load(), kThreads);
  EXPECT_EQ(cluster.refused_503(), kThreads);
  EXPECT_EQ(cluster.resume_calls(), 1);
  EXPECT_EQ(state->counters().resumes.load(), 1u) << "one resume for all the waiting callers";
}

TEST_F(CallRunnerTest, TransientFailuresAreRetriedWithExponentialBackoff) {
  RunnerSettings settings;
  settings.max_attempts = 5;
  settings.backoff_factor = std::chrono::duration<double>(0.2);
  auto r = runner(settings);
  connect_on_blue(*r);
  cluster.fail_transiently(-1);
  const TimePoint start = clock.now();
  EXPECT_THROW(r->run(call(), Repeat::kSafe, 60s), ConnectionError);
  EXPECT_EQ(cluster.attempts(kBlue), 5) << "max_attempts in all";
  EXPECT_EQ(state->counters().retries.load(), 4u);
  const auto sleeps = clock.sleeps();
  ASSERT_EQ(sleeps.size(), 4u);
  Duration total{};
  for (std::size_t i = 0; i < sleeps.size(); ++i) {
    // Retry n waits factor * 2^(n-1), scaled by a jitter in [0.5, 1].
    const double full = 0.2 * static_cast<double>(1 << i);
    const double got = std::chrono::duration<double>(sleeps[i].length()).count();
    EXPECT_GE(got, full * 0.5 - 1e-6) << "retry " << i + 1;
    EXPECT_LE(got, full + 1e-6) << "retry " << i + 1;
    EXPECT_EQ(sleeps[i].from, start + total);
    total += sleeps[i].length();
  }
  EXPECT_EQ(clock.now(), start + total);
}

TEST_F(CallRunnerTest, TransientFailureThenSuccess) {
  auto r = runner();
  connect_on_blue(*r);
  cluster.fail_transiently(2);
  EXPECT_EQ(r->run(call(), Repeat::kSafe, 60s).served_by, kBlue);
  EXPECT_EQ(cluster.attempts(kBlue), 3);
  EXPECT_EQ(clock.sleeps().size(), 2u);
  EXPECT_EQ(state->counters().retries.load(), 2u);
}

TEST_F(CallRunnerTest, BackoffNeverSleepsPastTheDeadline) {
  RunnerSettings settings;
  settings.backoff_factor = std::chrono::duration<double>(1.0);
  auto r = runner(settings);
  connect_on_blue(*r);
  cluster.fail_transiently(-1);
  const TimePoint deadline = clock.now() + 1500ms;
  // Retry 1 waits 0.5..1 s (before the deadline); retry 2 would wait 1..2 s more (past it).
  EXPECT_THROW(r->run(call(), Repeat::kSafe, 1500ms), ConnectionError);
  EXPECT_EQ(cluster.attempts(kBlue), 2);
  const auto sleeps = clock.sleeps();
  ASSERT_EQ(sleeps.size(), 1u);
  EXPECT_LT(sleeps[0].until, deadline);
  EXPECT_LT(clock.now(), deadline);
}

TEST_F(CallRunnerTest, UnsafeCallsAreNeverRetried) {
  auto r = runner();
  connect_on_blue(*r);
  cluster.fail_transiently(1);
  EXPECT_THROW(r->run(call(), Repeat::kUnsafe, 60s), ConnectionError);
  EXPECT_EQ(cluster.attempts(kBlue), 1);
  EXPECT_TRUE(clock.sleeps().empty());
  EXPECT_EQ(state->counters().retries.load(), 0u);

  auto q = r->run_bound(call(), 60s);
  cluster.fail_transiently(1);
  EXPECT_THROW(r->call_bound(q.route, *q.binding, call(), Repeat::kUnsafe, 60s), ConnectionError);
  EXPECT_TRUE(clock.sleeps().empty());
  state->release(*q.binding);
}

TEST_F(CallRunnerTest, BoundCallsRetryOnlyTransientFailures) {
  auto r = runner();
  connect_on_blue(*r);
  auto q = r->run_bound(call(), 60s);
  const TimePoint before = clock.now();
  cluster.fail_transiently(1);
  EXPECT_EQ(r->call_bound(q.route, *q.binding, call(), Repeat::kSafe, 60s).served_by, kBlue);
  EXPECT_EQ(clock.sleeps().size(), 1u);

  // Access denied goes back to the cursor: the query's session cannot be replaced here.
  cluster.expire_sessions();
  EXPECT_THROW(r->call_bound(q.route, *q.binding, call(), Repeat::kSafe, 60s), AuthenticationError);
  EXPECT_EQ(state->counters().reauthentications.load(), 0u);
  EXPECT_GT(clock.now(), before);
  state->release(*q.binding);
}

// A bound call touches its binding, so that the TTL evicts abandoned queries, not slow ones.
TEST_F(CallRunnerTest, BoundCallsKeepTheirBindingAlive) {
  BindingLimits limits;
  limits.ttl = 60s;
  limits.cleanup_interval = 10s;
  state = std::make_shared<EndpointState>("ttl", clock, limits);
  auto r = runner();
  auto busy = r->run_bound(call(), 60s);
  auto abandoned = r->run_bound(call(), 60s);
  clock.advance(50s);
  r->call_bound(busy.route, *busy.binding, call(), Repeat::kSafe, 60s);
  clock.advance(20s);
  auto next = r->run_bound(call(), 60s);  // a cleanup pass
  EXPECT_TRUE(abandoned.binding->released());
  EXPECT_FALSE(busy.binding->released());
  EXPECT_EQ(state->counters().bindings_evicted.load(), 1u);
  state->release(*busy.binding);
  state->release(*next.binding);
  EXPECT_EQ(state->live_bindings(), 0u);
}

TEST_F(CallRunnerTest, OtherErrorsAreReportedAtOnce) {
  auto r = runner();
  connect_on_blue(*r);
  int calls = 0;
  EXPECT_THROW(r->run(
                   [&](const Route&) -> Reply {
                     ++calls;
                     throw QueryError(ErrorKind::kQuery, "no such table", ErrorContext{});
                   },
                   Repeat::kSafe, 60s),
               QueryError);
  EXPECT_EQ(calls, 1);
  // Wrong credentials (UNAUTHENTICATED): not retryable.
  EXPECT_THROW(r->run(
                   [&](const Route&) -> Reply {
                     ++calls;
                     throw AuthenticationError(ErrorKind::kAuthentication, "invalid token",
                                               context(16, "invalid token", false, 0, kNone,
                                                       FailureCause::kUnauthenticated));
                   },
                   Repeat::kSafe, 60s),
               AuthenticationError);
  EXPECT_EQ(calls, 2);
}

// =============================================================================================
// Rule 6: the cache TTL

TEST_F(CallRunnerTest, AfterTheCacheTimeoutOneCallRevalidatesTheCachedDeployment) {
  RunnerSettings settings;
  settings.cache_timeout = 300s;
  cluster.serve(false, true);
  runner(settings)->route(in(60s));
  ASSERT_EQ(cluster.auth_log(), (Log{kBlue, kGreen}));

  clock.advance(100s);
  runner(settings)->route(in(60s));  // fresh: a cache hit
  EXPECT_EQ(state->counters().cache_hits.load(), 1u);

  clock.advance(301s);
  ASSERT_FALSE(state->is_fresh(settings.cache_timeout));
  const Route route = runner(settings)->route(in(60s));
  EXPECT_EQ(route.deployment, kGreen);
  EXPECT_EQ(cluster.auth_log(), (Log{kBlue, kGreen, kGreen, kGreen}))
      << "one call on the cached deployment, not blue-then-green";
  EXPECT_EQ(state->counters().detections.load(), 1u);
  EXPECT_EQ(state->counters().cache_misses.load(), 2u);  // the detection, the revalidation
  EXPECT_TRUE(state->is_fresh(settings.cache_timeout));
}

TEST_F(CallRunnerTest, ARevalidationThatFindsTheDeploymentGoneDetectsAgain) {
  runner()->route(in(60s));
  ASSERT_EQ(state->word().active, kBlue);
  cluster.serve(false, true);
  clock.advance(301s);
  const Route route = runner()->route(in(60s));
  EXPECT_EQ(route.deployment, kGreen);
  // Revalidation on blue (456), then detection with blue last: green at once.
  EXPECT_EQ(cluster.auth_log(), (Log{kBlue, kBlue, kGreen}));
  EXPECT_EQ(state->counters().detections.load(), 2u);
  EXPECT_EQ(state->counters().recoveries_456.load(), 1u);
}

// An inconsistent router refuses some calls to the deployment it serves: a refused call never
// reached the deployment, so even a fetch is repeated as it is, and nothing is lost.
TEST_F(CallRunnerTest, ABoundCallTheRouterRefusedIsRepeatedWhileItsDeploymentIsCurrent) {
  cluster.serve(true, true);
  auto r = runner();
  auto q = r->run_bound(call(), 60s);
  ASSERT_EQ(q.route.deployment, kBlue);
  cluster.refuse_next(kBlue, 5);
  const TimePoint start = clock.now();
  const Reply reply = r->call_bound(q.route, *q.binding, call(), Repeat::kUnsafe, 60s);
  EXPECT_EQ(reply.served_by, kBlue);
  EXPECT_LE(clock.now() - start, 2s) << "within the lag window";
  EXPECT_EQ(state->word().active, kBlue) << "nothing forgotten";
  state->release(*q.binding);
}

TEST_F(CallRunnerTest, ARefusedBoundCallOnALeftDeploymentGoesToTheQueryAtOnce) {
  cluster.serve(true, true);
  auto r = runner();
  auto q = r->run_bound(call(), 60s);
  state->observe_new_strategy(kBlue, "green");  // blue is being left
  cluster.serve(false, true);
  const TimePoint start = clock.now();
  EXPECT_THROW(r->call_bound(q.route, *q.binding, call(), Repeat::kUnsafe, 60s), Error);
  EXPECT_EQ(clock.now(), start) << "no pause: blue's refusals are real";
  state->release(*q.binding);
}

// Issue #11: a query that can no longer run again (rows of its result were delivered) still
// holds the deployment being left, which a router retires only once it has drained; a router
// whose workers or replicas have not all changed yet may still refuse the query's calls for a
// moment. With Refused::kRideOut such a call is repeated within the lag window, not lost.
TEST_F(CallRunnerTest, ARefusedBoundCallRiddenOutOnALeftDeploymentIsRepeated) {
  cluster.serve(true, true);
  auto r = runner();
  auto q = r->run_bound(call(), 60s);
  state->observe_new_strategy(kBlue, "green");  // blue is being left
  cluster.refuse_next(kBlue, 4);
  const TimePoint start = clock.now();
  const Reply reply =
      r->call_bound(q.route, *q.binding, call(), Repeat::kUnsafe, 60s, Refused::kRideOut);
  EXPECT_EQ(reply.served_by, kBlue);
  EXPECT_LE(clock.now() - start, 2s) << "within the lag window";
  EXPECT_EQ(state->word().active, kBlue) << "the switch still waits for the query";
  EXPECT_EQ(state->word().pending, kGreen);
  state->release(*q.binding);
}

TEST_F(CallRunnerTest, ARiddenOutRefusalThatLastsTheLagWindowGoesToTheQuery) {
  cluster.serve(true, true);
  auto r = runner();
  auto q = r->run_bound(call(), 60s);
  state->observe_new_strategy(kBlue, "green");
  cluster.serve(false, true);  // blue really went (a drain timeout ended the query)
  const TimePoint start = clock.now();
  EXPECT_THROW(r->call_bound(q.route, *q.binding, call(), Repeat::kUnsafe, 60s, Refused::kRideOut),
               Error);
  EXPECT_LE(clock.now() - start, 2s);
  EXPECT_GE(clock.now() - start, 1s);
  state->release(*q.binding);
}

TEST_F(CallRunnerTest, ARefusalIsNotRiddenOutForAReleasedBinding) {
  cluster.serve(true, true);
  auto r = runner();
  auto q = r->run_bound(call(), 60s);
  state->observe_new_strategy(kBlue, "green");
  state->release(*q.binding);  // cancelled or evicted: it no longer holds blue's drain
  cluster.serve(false, true);
  const TimePoint start = clock.now();
  EXPECT_THROW(r->call_bound(q.route, *q.binding, call(), Repeat::kUnsafe, 60s, Refused::kRideOut),
               Error);
  EXPECT_EQ(clock.now(), start) << "no pause";
}

TEST_F(CallRunnerTest, RefusalsBeyondTheLagWindowGoToTheQuery) {
  cluster.serve(true, true);
  auto r = runner();
  auto q = r->run_bound(call(), 60s);
  cluster.refuse_next(kBlue, 1000);
  const TimePoint start = clock.now();
  EXPECT_THROW(r->call_bound(q.route, *q.binding, call(), Repeat::kUnsafe, 60s), Error);
  EXPECT_LE(clock.now() - start, 2s);
  EXPECT_GE(clock.now() - start, 1s);
  state->release(*q.binding);
}

// A call returns by its deadline whatever the cluster does: here it stays suspended, and the
// auto-resume timeout (300 s) is longer than the call's deadline (5 s).
TEST_F(CallRunnerTest, AResumeWaitIsBoundedByTheCallsDeadline) {
  auto r = runner();
  connect_on_blue(*r);
  cluster.suspend();
  cluster.set_resume_polls(1000000);
  const TimePoint start = clock.now();
  EXPECT_THROW(r->run(call(), Repeat::kSafe, 5s), Error);
  EXPECT_LE(clock.now() - start, 5s);
}

TEST_F(CallRunnerTest, TransientRetriesStopAtTheDeadline) {
  auto r = runner();
  connect_on_blue(*r);
  cluster.fail_transiently(-1);
  const TimePoint start = clock.now();
  EXPECT_THROW(r->run(call(), Repeat::kSafe, 700ms), ConnectionError);
  EXPECT_LE(clock.now() - start, 700ms);
}

// Thirty-two threads whose session expired together authenticate once.
TEST_F(CallRunnerTest, ManyCallersWhoseSessionExpiredAuthenticateOnce) {
  auto r = runner();
  connect_on_blue(*r);
  const int before = cluster.auth_calls(kBlue);
  cluster.expire_sessions();
  constexpr int kThreads = 32;
  std::latch start(kThreads);
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&] {
      start.arrive_and_wait();
      try {
        if (r->run(call(), Repeat::kSafe, 60s).served_by == kBlue) ++ok;
      } catch (const Error&) {
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), kThreads);
  // Every caller saw Access denied; the re-authentications overlap into very few (one per
  // flight; a caller arriving after a flight ended may start another).
  EXPECT_LE(cluster.auth_calls(kBlue) - before, 4);
}

// After the cache timeout, the next call revalidates the cached deployment with one call, and
// E6DATA_STRATEGY_VALIDATION=false turns that off.
TEST_F(CallRunnerTest, TheCacheTimeoutRevalidatesWithOneCallUnlessValidationIsOff) {
  RunnerSettings settings;
  settings.cache_timeout = 60s;
  auto r = runner(settings);
  connect_on_blue(*r);
  const int before = cluster.auth_calls(kBlue);
  r->run(call(), Repeat::kSafe, 60s);
  EXPECT_EQ(cluster.auth_calls(kBlue), before) << "fresh: the held session, no call";
  clock.advance(61s);
  r->run(call(), Repeat::kSafe, 60s);
  r->run(call(), Repeat::kSafe, 60s);
  EXPECT_EQ(cluster.auth_calls(kBlue), before + 1) << "one revalidation per expiry";

  settings.revalidate = false;
  auto trusting = runner(settings);
  trusting->route(in(60s));
  const int held = cluster.auth_calls(kBlue);
  clock.advance(61s);
  trusting->run(call(), Repeat::kSafe, 60s);
  EXPECT_EQ(cluster.auth_calls(kBlue), held);
}

}  // namespace
}  // namespace e6data::strategy

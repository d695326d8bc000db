// The router's order and answers, end to end with raw gRPC stubs (no connector):
//  - once any response carries new_strategy: Y, no call with strategy: Y gets 456 until the next
//    switch begins (sampled densely during 20 switches), and the announce-lead fault breaks
//    exactly that (so the sampler can see a violation);
//  - once the cluster status says "active" after a resume, no call gets 503;
//  - the flaky-router fault refuses a fraction of the calls to Y for its window only;
//  - the gateway and the http answer forms, exactly as PROTOCOL.md §6 writes them;
//  - ids unique across deployments and restarts; idle queries dropped; suspend drops sessions.

#include <atomic>
#include <mutex>
#include <set>
#include <thread>

#include "bluegreen_fixture.hpp"

namespace e6data {
namespace {

using Clock = std::chrono::steady_clock;
using testing::BlueGreenTest;
using namespace std::chrono_literals;

// The fixture's helpers are protected; the samplers below run outside the test body.
std::unique_ptr<grpc::ClientContext> call_context(const std::string& strategy) {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
  if (!strategy.empty()) ctx->AddMetadata("strategy", strategy);
  return ctx;
}

grpc::Status auth(QueryEngineService::Stub& stub, const std::string& strategy,
                  AuthenticateResponse* res) {
  AuthenticateRequest req;
  req.set_user("demo");
  req.set_password("demo");
  return stub.authenticate(call_context(strategy).get(), req, res);
}

bool is_gateway_456(const grpc::Status& s) {
  return s.error_code() == grpc::StatusCode::UNKNOWN && s.error_message() == "status: 456";
}

std::string describe(const grpc::Status& s) {
  return std::to_string(s.error_code()) + " '" + s.error_message() + "'";
}

// Samplers, each on its own connection, call both deployments as fast as they can while the
// test drives switches. Switch k (1-based) goes from side(k-1) to side(k); `epoch` is k from just
// before switch k begins. A call to the announced side that starts after an announcement of
// epoch k and returns while the epoch is still k must not be refused.
class AnnouncementSampler {
 public:
  AnnouncementSampler(const std::function<std::shared_ptr<grpc::Channel>()>& channel, int threads)
      : announced_(64) {
    for (int i = 0; i < threads; ++i) {
      threads_.emplace_back([this, c = channel()] { run(c); });
    }
  }
  ~AnnouncementSampler() { stop(); }

  static std::string side(int k) { return k % 2 == 0 ? "blue" : "green"; }

  void begin_switch(int k) { epoch_ = k; }
  void stop() {
    stopping_ = true;
    for (auto& t : threads_) {
      if (t.joinable()) t.join();
    }
  }
  bool announced(int k) const { return announced_[static_cast<std::size_t>(k)]; }
  int violations() const { return violations_; }
  int checked_calls() const { return checked_; }
  int other_failures() const { return other_failures_; }
  std::string report() {
    std::lock_guard lock(mutex_);
    std::string out;
    for (const auto& m : messages_) out += m + "\n";
    return out;
  }

 private:
  void run(const std::shared_ptr<grpc::Channel>& channel) {
    auto stub = QueryEngineService::NewStub(channel);
    while (!stopping_) {
      const int k = epoch_;
      if (k == 0) {
        std::this_thread::sleep_for(1ms);
        continue;
      }
      const std::string from = side(k - 1);
      const std::string to = side(k);
      const bool seen = announced_[static_cast<std::size_t>(k)];
      AuthenticateResponse res;
      const grpc::Status old_side = auth(*stub, from, &res);
      if (old_side.ok() && res.new_strategy() == to) announced_[static_cast<std::size_t>(k)] = true;
      if (!seen) continue;
      const auto started = Clock::now();
      const grpc::Status new_side = auth(*stub, to, &res);
      if (epoch_ != k) continue;  // the next switch began meanwhile: outside the invariant
      ++checked_;
      if (new_side.ok()) continue;
      std::lock_guard lock(mutex_);
      if (new_side.error_code() == grpc::StatusCode::UNKNOWN &&
          new_side.error_message().find("456") != std::string::npos) {
        ++violations_;
      } else {
        ++other_failures_;
      }
      if (messages_.size() < 10) {
        messages_.push_back("switch " + std::to_string(k) + ": strategy " + to +
                            " after the announcement: " + describe(new_side) + " (call took " +
                            std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(
                                               Clock::now() - started)
                                               .count()) +
                            " ms)");
      }
    }
  }

  std::vector<std::atomic<bool>> announced_;
  std::atomic<int> epoch_{0};
  std::atomic<bool> stopping_{false};
  std::atomic<int> violations_{0};
  std::atomic<int> checked_{0};
  std::atomic<int> other_failures_{0};
  std::mutex mutex_;
  std::vector<std::string> messages_;
  std::vector<std::thread> threads_;
};

// Holds one prepared query on `side` so a switch away from it stays in SWITCHING until released.
struct HeldQuery {
  std::unique_ptr<QueryEngineService::Stub> stub;
  std::string side;
  std::string session;
  std::string query;

  HeldQuery(std::unique_ptr<QueryEngineService::Stub> s, const std::string& deployment)
      : stub(std::move(s)), side(deployment) {
    AuthenticateResponse res;
    const grpc::Status st = auth(*stub, side, &res);
    EXPECT_TRUE(st.ok()) << describe(st);
    session = res.sessionid();
    PrepareStatementRequest prep;
    prep.set_sessionid(session);
    prep.set_querystring("SELECT 1");
    PrepareStatementResponse prepared;
    const grpc::Status p = stub->prepareStatement(call_context(side).get(), prep, &prepared);
    EXPECT_TRUE(p.ok()) << describe(p);
    query = prepared.queryid();
  }
  void release() {
    ClearRequest clear;
    clear.set_sessionid(session);
    clear.set_queryid(query);
    ClearResponse cleared;
    const grpc::Status st = stub->clear(call_context(side).get(), clear, &cleared);
    EXPECT_TRUE(st.ok()) << describe(st);
  }
};

TEST_F(BlueGreenTest, AnnouncedSideIsNeverRefusedDuringTwentySwitches) {
  constexpr int kSwitches = 20;
  AnnouncementSampler sampler([this] { return channel(); }, 3);
  for (int k = 1; k <= kSwitches; ++k) {
    const std::string from = AnnouncementSampler::side(k - 1);
    const std::string to = AnnouncementSampler::side(k);
    HeldQuery held(QueryEngineService::NewStub(channel()), from);
    sampler.begin_switch(k);
    controller_->switch_to(to, 60s, false);
    std::this_thread::sleep_for(250ms);  // both serve; X announces Y
    held.release();
    ASSERT_TRUE(wait_for_phase("STABLE", to)) << "switch " << k;
    std::this_thread::sleep_for(100ms);  // STABLE(Y) until the next switch begins
    EXPECT_TRUE(sampler.announced(k)) << "switch " << k << ": no response carried new_strategy";
  }
  sampler.stop();
  EXPECT_EQ(sampler.violations(), 0) << sampler.report();
  EXPECT_EQ(sampler.other_failures(), 0) << sampler.report();
  EXPECT_GE(sampler.checked_calls(), kSwitches * 10) << "too few calls after announcements";
  EXPECT_EQ(controller_->state().switches(), kSwitches);
}

TEST_F(BlueGreenTest, AnnounceLeadFaultAnnouncesBeforeTheRouterAccepts) {
  bluegreen::SwitchFaults faults;
  faults.announce_lead = 1500ms;
  AnnouncementSampler sampler([this] { return channel(); }, 2);
  sampler.begin_switch(1);
  const auto started = Clock::now();
  controller_->switch_to("green", 60s, false, faults);
  // During the lead: announced, the router still STABLE(blue), nothing drains although blue has
  // no query, and blue keeps serving.
  auto state = controller_->state();
  EXPECT_EQ(state.phase(), "SWITCHING");
  EXPECT_FALSE(state.router_accepts_pending());
  auto stub = QueryEngineService::NewStub(channel());
  AuthenticateResponse res;
  ASSERT_TRUE(authenticate(*stub, "blue", &res).ok());
  EXPECT_EQ(res.new_strategy(), "green");
  const grpc::Status refused = authenticate(*stub, "green", &res);
  EXPECT_TRUE(is_gateway_456(refused)) << describe(refused);
  std::this_thread::sleep_for(800ms);
  EXPECT_EQ(controller_->state().phase(), "SWITCHING") << "drained during the announce lead";
  ASSERT_TRUE(wait_for_phase("STABLE", "green"));
  EXPECT_GE(Clock::now() - started, 1500ms);
  EXPECT_TRUE(authenticate(*QueryEngineService::NewStub(channel()), "green", &res).ok());
  sampler.stop();
  EXPECT_TRUE(sampler.announced(1));
  EXPECT_GT(sampler.violations(), 0) << "the sampler must see the fault it was built to catch";
}

TEST_F(BlueGreenTest, FlakyRouterFaultRefusesAFractionOfTheNewSideForItsWindow) {
  bluegreen::SwitchFaults faults;
  faults.flaky_fraction = 0.5;
  faults.flaky_window = 3s;
  // Nothing to drain on blue: the switch still waits for the window (not every router replica
  // accepts green yet), blue serving all along.
  controller_->switch_to("green", 60s, false, faults);
  const auto accepted = Clock::now();
  auto stub = QueryEngineService::NewStub(channel());
  int refused = 0;
  int served = 0;
  int blue_refused = 0;
  AuthenticateResponse res;
  while (Clock::now() - accepted < 2s) {
    const grpc::Status st = authenticate(*stub, "green", &res);
    if (st.ok()) {
      ++served;
    } else {
      EXPECT_TRUE(is_gateway_456(st)) << describe(st);
      ++refused;
    }
    blue_refused += !authenticate(*stub, "blue", &res).ok();
  }
  EXPECT_GT(refused, 0);
  EXPECT_GT(served, 0);
  EXPECT_EQ(blue_refused, 0) << "only the new side is flaky";
  const double fraction = static_cast<double>(refused) / (refused + served);
  EXPECT_GT(fraction, 0.25) << refused << " of " << refused + served;
  EXPECT_LT(fraction, 0.75) << refused << " of " << refused + served;
  EXPECT_EQ(controller_->state().phase(), "SWITCHING") << "completed during the flaky window";
  // After the window, every call to green is served again.
  std::this_thread::sleep_for(3s - (Clock::now() - accepted) + 500ms);
  auto after = QueryEngineService::NewStub(channel());
  for (int i = 0; i < 100; ++i) {
    const grpc::Status st = authenticate(*after, "green", &res);
    ASSERT_TRUE(st.ok()) << "call " << i << " after the window: " << describe(st);
  }
  EXPECT_TRUE(wait_for_phase("STABLE", "green"));
}

TEST_F(BlueGreenTest, ResumeSaysActiveOnlyOnceTheRouterServes) {
  auto cluster = ClusterService::NewStub(channel());
  ClusterStatusRequest status_req;
  status_req.set_user("demo");
  status_req.set_password("demo");
  for (int round = 0; round < 3; ++round) {
    controller_->suspend();
    ClusterStatusResponse status;
    ASSERT_TRUE(cluster->status(context().get(), status_req, &status).ok());
    ASSERT_EQ(status.status(), "suspended");
    // Once the status says suspended, no call reaches a deployment.
    AuthenticateResponse res;
    auto engine = QueryEngineService::NewStub(channel());
    const grpc::Status st = authenticate(*engine, "blue", &res);
    EXPECT_EQ(st.error_code(), grpc::StatusCode::UNAVAILABLE) << describe(st);
    controller_->resume();
    // Poll status and call right after each "active": never a 503 after the first one.
    bool active = false;
    const auto deadline = Clock::now() + 30s;
    while (Clock::now() < deadline) {
      ASSERT_TRUE(cluster->status(context().get(), status_req, &status).ok());
      active |= status.status() == "active";
      const grpc::Status call = authenticate(*engine, "blue", &res);
      if (active) {
        ASSERT_TRUE(call.ok()) << "round " << round << " after active: " << describe(call);
        break;
      }
    }
    ASSERT_TRUE(active);
  }
}

// PROTOCOL §6: e6data's gateway answers with gRPC statuses.
TEST_F(BlueGreenTest, GatewayAnswersAreExactGrpcStatuses) {
  EXPECT_EQ(controller_->state().router_answers(), "gateway");
  auto engine = QueryEngineService::NewStub(channel());
  AuthenticateResponse res;
  const grpc::Status wrong = authenticate(*engine, "green", &res);
  EXPECT_EQ(wrong.error_code(), grpc::StatusCode::UNKNOWN);
  EXPECT_EQ(wrong.error_message(), "status: 456");
  // Any method, not only authenticate.
  PrepareStatementRequest prep;
  prep.set_sessionid("x");
  prep.set_querystring("SELECT 1");
  PrepareStatementResponse prepared;
  const grpc::Status wrong2 = engine->prepareStatement(context("green").get(), prep, &prepared);
  EXPECT_EQ(wrong2.error_code(), grpc::StatusCode::UNKNOWN);
  EXPECT_EQ(wrong2.error_message(), "status: 456");

  controller_->suspend();
  const grpc::Status suspended = authenticate(*engine, "blue", &res);
  EXPECT_EQ(suspended.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(suspended.error_message(), "status: 503, cluster is suspended");
  const grpc::Status no_header = authenticate(*engine, "", &res);
  EXPECT_EQ(no_header.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(no_header.error_message(), "status: 503, cluster is suspended");
  // ClusterService still answers.
  ClusterStatusRequest status_req;
  status_req.set_user("demo");
  status_req.set_password("demo");
  ClusterStatusResponse status;
  ASSERT_TRUE(
      ClusterService::NewStub(channel())->status(context("blue").get(), status_req, &status).ok());
  EXPECT_EQ(status.status(), "suspended");
}

class HttpAnswersTest : public BlueGreenTest {
  void configure(bluegreen::ControllerOptions& options) override {
    options.router_answers = bluegreen::RouterAnswers::kHttp;
  }
};

// The bare HTTP form: the client's gRPC library writes the message.
TEST_F(HttpAnswersTest, HttpAnswersAreBareHttpStatuses) {
  EXPECT_EQ(controller_->state().router_answers(), "http");
  auto engine = QueryEngineService::NewStub(channel());
  AuthenticateResponse res;
  const grpc::Status wrong = authenticate(*engine, "green", &res);
  EXPECT_EQ(wrong.error_code(), grpc::StatusCode::UNKNOWN);
  EXPECT_EQ(wrong.error_message(), "Received http2 header with status: 456");
  controller_->suspend();
  const grpc::Status suspended = authenticate(*engine, "blue", &res);
  EXPECT_EQ(suspended.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(suspended.error_message(), "Received http2 header with status: 503");
}

// PROTOCOL §6: ids are unique across both deployments (and restarts), over 10,000 queries.
TEST_F(BlueGreenTest, QueryAndSessionIdsAreUniqueAcrossDeploymentsAndRestarts) {
  std::set<std::string> query_ids;
  std::set<std::string> session_ids;
  std::mutex mutex;
  int failures = 0;
  // `n` queries on `side`, on two connections at once.
  auto prepare_many = [&](const std::string& side, int n) {
    std::vector<std::thread> threads;
    for (int t = 0; t < 2; ++t) {
      threads.emplace_back([&, t] {
        auto stub = QueryEngineService::NewStub(channel());
        AuthenticateResponse auth;
        if (!authenticate(*stub, side, &auth).ok()) {
          std::lock_guard lock(mutex);
          ++failures;
          return;
        }
        {
          std::lock_guard lock(mutex);
          session_ids.insert(auth.sessionid());
        }
        for (int i = t; i < n; i += 2) {
          PrepareStatementRequest prep;
          prep.set_sessionid(auth.sessionid());
          prep.set_querystring("SELECT 1");
          PrepareStatementResponse prepared;
          const grpc::Status st = stub->prepareStatement(context(side).get(), prep, &prepared);
          ClearRequest clear;
          clear.set_sessionid(auth.sessionid());
          clear.set_queryid(prepared.queryid());
          ClearResponse cleared;
          const bool ok = st.ok() && stub->clear(context(side).get(), clear, &cleared).ok();
          std::lock_guard lock(mutex);
          if (!ok || !query_ids.insert(prepared.queryid()).second) ++failures;
        }
      });
    }
    for (auto& t : threads) t.join();
  };
  prepare_many("blue", 2500);
  controller_->restart("green");
  pids_.push_back(controller_->state().deployments(1).pid());
  HeldQuery held(QueryEngineService::NewStub(channel()), "blue");
  controller_->switch_to("green", 120s, false);  // both deployments serve
  std::thread on_blue([&] { prepare_many("blue", 2500); });
  prepare_many("green", 2500);
  on_blue.join();
  held.release();
  ASSERT_TRUE(wait_for_phase("STABLE", "green"));
  controller_->restart("blue");
  pids_.push_back(controller_->state().deployments(0).pid());
  controller_->switch_to("blue", 60s, true);
  prepare_many("blue", 2500);
  EXPECT_EQ(failures, 0) << "a failed call or a repeated query id";
  EXPECT_EQ(query_ids.size(), 10'000u);
  EXPECT_EQ(session_ids.size(), 8u);
}

class ShortQueryLifetimeTest : public BlueGreenTest {
  void configure(bluegreen::ControllerOptions& options) override {
    options.query_idle_timeout = 1500ms;
  }
};

// A query no call touched for longer than the bound is dropped: it answers like an unknown query
// id, and a leaked one no longer holds a switch past the bound.
TEST_F(ShortQueryLifetimeTest, IdleQueryIsDroppedAndNoLongerHoldsASwitch) {
  HeldQuery idle(QueryEngineService::NewStub(channel()), "blue");
  HeldQuery kept(QueryEngineService::NewStub(channel()), "blue");
  ExecuteStatementRequest exec;
  exec.set_sessionid(kept.session);
  exec.set_queryid(kept.query);
  ExecuteStatementResponse executed;
  for (int i = 0; i < 4; ++i) {  // touched every 0.5 s: kept alive past the bound
    std::this_thread::sleep_for(500ms);
    const grpc::Status st = kept.stub->executeStatement(context("blue").get(), exec, &executed);
    ASSERT_TRUE(st.ok()) << describe(st);
  }
  exec.set_queryid(idle.query);
  const grpc::Status gone = idle.stub->executeStatement(context("blue").get(), exec, &executed);
  EXPECT_EQ(gone.error_code(), grpc::StatusCode::NOT_FOUND) << describe(gone);
  exec.set_queryid("never-prepared");
  const grpc::Status unknown = idle.stub->executeStatement(context("blue").get(), exec, &executed);
  EXPECT_EQ(unknown.error_code(), grpc::StatusCode::NOT_FOUND) << describe(unknown);
  std::string expected = unknown.error_message();  // the same words, with its own id
  expected.replace(expected.find("never-prepared"), std::string("never-prepared").size(),
                   idle.query);
  EXPECT_EQ(gone.error_message(), expected);

  // `kept` is now leaked (its client will never clear it): the switch completes once the bound
  // has passed, long before its 60 s drain timeout.
  const auto started = Clock::now();
  controller_->switch_to("green", 60s, false);
  EXPECT_EQ(controller_->state().phase(), "SWITCHING");
  ASSERT_TRUE(wait_for_phase("STABLE", "green", 10s));
  EXPECT_LT(Clock::now() - started, 5s);
}

// A suspended cluster loses its running state, as a scaled-to-zero one does.
TEST_F(BlueGreenTest, SuspendDropsSessionsAndQueries) {
  HeldQuery held(QueryEngineService::NewStub(channel()), "blue");
  EXPECT_EQ(controller_->state().deployments(0).active_queries(), 1);
  controller_->suspend();
  const auto suspended = controller_->state();
  for (const auto& d : suspended.deployments()) {
    EXPECT_EQ(d.active_sessions(), 0) << d.name();
    EXPECT_EQ(d.active_queries(), 0) << d.name();
  }
  controller_->resume();
  ASSERT_TRUE(wait_for_phase("STABLE", "blue"));
  const auto deadline = Clock::now() + 30s;
  while (controller_->cluster_status() != "active" && Clock::now() < deadline) {
    std::this_thread::sleep_for(50ms);
  }
  ASSERT_EQ(controller_->cluster_status(), "active");
  ExecuteStatementRequest exec;
  exec.set_sessionid(held.session);
  exec.set_queryid(held.query);
  ExecuteStatementResponse executed;
  const grpc::Status st = held.stub->executeStatement(context("blue").get(), exec, &executed);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INTERNAL) << describe(st);
  EXPECT_EQ(st.error_message().rfind("Access denied", 0), 0u) << describe(st);
}

}  // namespace
}  // namespace e6data

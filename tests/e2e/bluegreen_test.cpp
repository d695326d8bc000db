// The blue-green topology end to end, with a raw gRPC client (generated stubs, not the
// connector): 456 for the wrong deployment, 503 while suspended, new_strategy during a switch,
// and a large result that completes across a switch and several router reloads.

#include <thread>

#include "bluegreen_fixture.hpp"
#include "e6data/decode.hpp"

namespace e6data {
namespace {

using testing::BlueGreenTest;

TEST_F(BlueGreenTest, WrongDeploymentHeaderGets456) {
  auto stub = QueryEngineService::NewStub(channel());
  AuthenticateResponse res;
  const grpc::Status wrong = authenticate(*stub, "green", &res);
  EXPECT_EQ(wrong.error_code(), grpc::StatusCode::UNKNOWN) << wrong.error_message();
  EXPECT_EQ(wrong.error_message(), "status: 456");  // the gateway form (the default)
  EXPECT_TRUE(authenticate(*stub, "blue", &res).ok());
  EXPECT_FALSE(res.has_new_strategy());
  EXPECT_TRUE(authenticate(*stub, "", &res).ok()) << "no header goes to the active deployment";
}

TEST_F(BlueGreenTest, SuspendedClusterGets503AndResumesThroughResuming) {
  controller_->suspend();
  auto engine = QueryEngineService::NewStub(channel());
  auto cluster = ClusterService::NewStub(channel());
  AuthenticateResponse auth;
  const grpc::Status suspended = authenticate(*engine, "blue", &auth);
  EXPECT_EQ(suspended.error_code(), grpc::StatusCode::UNAVAILABLE) << suspended.error_message();
  EXPECT_EQ(suspended.error_message(), "status: 503, cluster is suspended");

  ClusterStatusRequest status_req;
  status_req.set_user("demo");
  status_req.set_password("demo");
  ClusterStatusResponse status;
  ASSERT_TRUE(cluster->status(context("blue").get(), status_req, &status).ok());
  EXPECT_EQ(status.status(), "suspended");

  ResumeRequest resume;
  resume.set_user("demo");
  resume.set_password("demo");
  ResumeResponse resumed;
  ASSERT_TRUE(cluster->resume(context("blue").get(), resume, &resumed).ok());
  EXPECT_EQ(resumed.status(), "resuming");
  bool saw_resuming = false;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (std::chrono::steady_clock::now() < deadline) {
    ASSERT_TRUE(cluster->status(context().get(), status_req, &status).ok());
    if (status.status() == "active") break;
    saw_resuming |= status.status() == "resuming";
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_TRUE(saw_resuming);
  EXPECT_EQ(status.status(), "active");
  const grpc::Status after = authenticate(*QueryEngineService::NewStub(channel()), "blue", &auth);
  EXPECT_TRUE(after.ok()) << after.error_code() << " " << after.error_message();
}

TEST_F(BlueGreenTest, SwitchHintsNewStrategyAndCompletesWhenDrained) {
  auto stub = QueryEngineService::NewStub(channel());
  AuthenticateResponse session;
  ASSERT_TRUE(authenticate(*stub, "blue", &session).ok());
  PrepareStatementRequest prep;
  prep.set_sessionid(session.sessionid());
  prep.set_querystring("SELECT * FROM orders");
  PrepareStatementResponse prepared;
  ASSERT_TRUE(stub->prepareStatement(context("blue").get(), prep, &prepared).ok());

  controller_->switch_to("green", std::chrono::seconds(60), false);
  EXPECT_EQ(controller_->state().phase(), "SWITCHING");

  // The old deployment still serves its query and points to the new one.
  ExecuteStatementRequest exec;
  exec.set_sessionid(session.sessionid());
  exec.set_queryid(prepared.queryid());
  ExecuteStatementResponse executed;
  ASSERT_TRUE(stub->executeStatement(context("blue").get(), exec, &executed).ok());
  EXPECT_EQ(executed.new_strategy(), "green");

  // New work: the green header reaches green; no header goes to green too (no hint there).
  auto fresh = QueryEngineService::NewStub(channel());
  AuthenticateResponse green;
  const grpc::Status to_green = authenticate(*fresh, "green", &green);
  ASSERT_TRUE(to_green.ok()) << to_green.error_code() << " " << to_green.error_message();
  EXPECT_FALSE(green.has_new_strategy());
  AuthenticateResponse unspecified;
  ASSERT_TRUE(authenticate(*fresh, "", &unspecified).ok());
  EXPECT_FALSE(unspecified.has_new_strategy());

  // Releasing the last blue query lets the switch complete.
  ClearRequest clear;
  clear.set_sessionid(session.sessionid());
  clear.set_queryid(prepared.queryid());
  ClearResponse cleared;
  ASSERT_TRUE(stub->clear(context("blue").get(), clear, &cleared).ok());
  ASSERT_TRUE(wait_for_phase("STABLE", "green"));
  EXPECT_EQ(controller_->state().switches(), 1);
  AuthenticateResponse res;
  const grpc::Status old = authenticate(*QueryEngineService::NewStub(channel()), "blue", &res);
  EXPECT_EQ(old.error_code(), grpc::StatusCode::UNKNOWN) << old.error_message();
  EXPECT_EQ(old.error_message(), "status: 456");
}

TEST_F(BlueGreenTest, LargeResultCompletesAcrossASwitchAndReloads) {
  auto stub = QueryEngineService::NewStub(channel());
  AuthenticateResponse session;
  ASSERT_TRUE(authenticate(*stub, "blue", &session).ok());
  PrepareStatementRequest prep;
  prep.set_sessionid(session.sessionid());
  prep.set_querystring(
      "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c LIMIT 200000) "
      "SELECT x, 'payload-' || x FROM c");
  PrepareStatementResponse prepared;
  ASSERT_TRUE(stub->prepareStatement(context("blue").get(), prep, &prepared).ok());
  ExecuteStatementRequest exec;
  exec.set_sessionid(session.sessionid());
  exec.set_queryid(prepared.queryid());
  ExecuteStatementResponse executed;
  ASSERT_TRUE(stub->executeStatement(context("blue").get(), exec, &executed).ok());

  std::int64_t rows = 0;
  std::int64_t sum = 0;
  int batches = 0;
  bool hinted = false;
  for (;;) {
    if (batches == 5) controller_->switch_to("green", std::chrono::seconds(120), false);
    if (batches == 20 || batches == 60 || batches == 120) controller_->reload();
    GetNextResultBatchRequest req;
    req.set_sessionid(session.sessionid());
    req.set_queryid(prepared.queryid());
    GetNextResultBatchResponse res;
    const grpc::Status st = stub->getNextResultBatch(context("blue").get(), req, &res);
    ASSERT_TRUE(st.ok()) << "batch " << batches << ": " << st.error_message();
    hinted |= res.new_strategy() == "green";
    const Batch batch = decode_result_batch(res.resultbatch(), {.expected_columns = 2});
    if (batch.is_end_of_results()) break;
    for (const std::int64_t x : batch.column(0).values<std::int64_t>()) sum += x;
    rows += batch.num_rows();
    ++batches;
  }
  EXPECT_EQ(rows, 200'000);
  EXPECT_EQ(sum, std::int64_t{200'000} * 200'001 / 2);
  EXPECT_TRUE(hinted);
  EXPECT_GE(controller_->state().reloads(), 4);
  EXPECT_EQ(controller_->state().phase(), "SWITCHING") << "blue still had the query open";
  ClearRequest clear;
  clear.set_sessionid(session.sessionid());
  clear.set_queryid(prepared.queryid());
  ClearResponse cleared;
  ASSERT_TRUE(stub->clear(context("blue").get(), clear, &cleared).ok());
  EXPECT_TRUE(wait_for_phase("STABLE", "green"));
}

TEST_F(BlueGreenTest, IdleDeploymentRestartsAndSwitchesRepeat) {
  EXPECT_THROW(controller_->restart("blue"), std::logic_error) << "blue is serving";
  const int old_pid = controller_->state().deployments(1).pid();
  controller_->restart("green");
  const auto state = controller_->state();
  EXPECT_NE(state.deployments(1).pid(), old_pid);
  pids_.push_back(state.deployments(1).pid());
  for (const char* to : {"green", "blue", "green"}) {
    controller_->switch_to(to, std::chrono::seconds(30), true);
    EXPECT_EQ(controller_->state().active(), to);
    AuthenticateResponse res;
    EXPECT_TRUE(authenticate(*QueryEngineService::NewStub(channel()), to, &res).ok());
  }
  EXPECT_EQ(controller_->state().switches(), 3);
}

}  // namespace
}  // namespace e6data

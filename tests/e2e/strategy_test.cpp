// The zero-downtime rules on the real topology (nginx + blue + green dev servers + controller),
// through the public Connection/Cursor API: detection, a switch with queries in flight, 456
// after a drain, re-authentication after the sessions were lost, auto-resume, and two processes
// sharing the strategy through /dev/shm.
#include <atomic>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <thread>

#include "bluegreen_fixture.hpp"
#include "e6data/cluster_manager.hpp"
#include "e6data/connection.hpp"

namespace e6data {
namespace {

// `n` rows (1..n) and their sum, as a multi-batch read (the cluster sends 1,000 rows a batch).
std::string numbers(int n) {
  return "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < " +
         std::to_string(n) + ") SELECT i FROM n";
}

class StrategyTest : public testing::BlueGreenTest {
 protected:
  // Every test gets its own endpoint state: a cluster name unique to the test.
  ConnectionOptions options() const {
    ConnectionOptions o;
    o.host = "127.0.0.1";
    o.port = controller_->port();
    o.username = "demo";
    o.password = "demo";
    o.cluster_name = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    o.auto_resume_timeout = std::chrono::seconds(60);
    return o;
  }

  static std::int64_t count_rows(Cursor& cursor) {
    std::int64_t rows = 0;
    while (auto batch = cursor.next_batch()) rows += batch->num_rows();
    return rows;
  }
  static std::int64_t scalar(Connection& connection, const std::string& sql) {
    Cursor cursor = connection.cursor();
    cursor.execute(sql);
    return std::get<std::int64_t>((*cursor.fetchone())[0]);
  }
};

class GreenOnlyStrategyTest : public StrategyTest {
  void configure(bluegreen::ControllerOptions& options) override { options.active = "green"; }
};

TEST_F(GreenOnlyStrategyTest, DetectsGreenWithTwoProbesAndRemembersIt) {
  Connection connection(options());
  EXPECT_EQ(scalar(connection, "SELECT 40 + 2"), 42);
  auto s = connection.strategy();
  EXPECT_EQ(s.active, "green");
  EXPECT_EQ(s.counters.detections, 1U);
  EXPECT_EQ(s.counters.detection_probes, 2U);  // blue answered 456, green accepted

  // A second connection to the same endpoint needs no detection at all.
  Connection second(options());
  EXPECT_EQ(scalar(second, "SELECT 1"), 1);
  s = second.strategy();
  EXPECT_EQ(s.counters.detections, 1U);
  EXPECT_GE(s.counters.cache_hits, 1U);
}

TEST_F(GreenOnlyStrategyTest, SimultaneousFirstCallsShareOneDetection) {
  constexpr int kThreads = 32;
  std::vector<std::unique_ptr<Connection>> connections;
  for (int i = 0; i < kThreads; ++i) connections.push_back(std::make_unique<Connection>(options()));
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      if (scalar(*connections[i], "SELECT 7") == 7) ++ok;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), kThreads);
  const auto s = connections[0]->strategy();
  EXPECT_EQ(s.counters.detections, 1U);
  EXPECT_LE(s.counters.detection_probes, 2U);
}

TEST_F(StrategyTest, SwitchLetsRunningQueriesFinishWhileNewWorkMovesAtOnce) {
  Connection connection(options());
  Cursor old_query = connection.cursor();
  old_query.execute(numbers(50000));
  std::int64_t rows = old_query.next_batch()->num_rows();
  ASSERT_EQ(connection.strategy().active, "blue");

  controller_->switch_to("green", std::chrono::seconds(60), false);
  // The old deployment's next answer carries new_strategy: green.
  rows += old_query.next_batch()->num_rows();
  auto s = connection.strategy();
  EXPECT_EQ(s.active, "blue");
  EXPECT_EQ(s.pending, "green");
  EXPECT_EQ(s.bound_blue, 1);

  // New work goes to green now, before blue has drained.
  const auto green_before = s.counters.queries_green;
  EXPECT_EQ(scalar(connection, "SELECT count(*) FROM customers") > 0, true);
  EXPECT_EQ(connection.strategy().counters.queries_green, green_before + 1);
  EXPECT_EQ(controller_->state().phase(), "SWITCHING");

  // The old query finishes on blue, complete.
  rows += count_rows(old_query);
  EXPECT_EQ(rows, 50000);
  old_query.clear();
  s = connection.strategy();
  EXPECT_EQ(s.active, "green");
  EXPECT_EQ(s.pending, "");
  EXPECT_EQ(s.counters.transitions, 1U);
  EXPECT_EQ(s.counters.lost_queries, 0U);
  EXPECT_TRUE(wait_for_phase("STABLE", "green"));
}

TEST_F(StrategyTest, CallAfterTheDrainRecoversFrom456) {
  Connection connection(options());
  EXPECT_EQ(scalar(connection, "SELECT 1"), 1);  // a session on blue
  controller_->switch_to("green", std::chrono::seconds(60), true);
  // The connection saw nothing of the switch; its next call gets 456 and moves over.
  EXPECT_EQ(scalar(connection, "SELECT 2"), 2);
  const auto s = connection.strategy();
  EXPECT_EQ(s.active, "green");
  EXPECT_GE(s.counters.recoveries_456, 1U);
  EXPECT_EQ(connection.schemas().empty(), false);
}

TEST_F(StrategyTest, ReadLostBeforeItsFirstRowIsRerunOnTheNewDeployment) {
  Connection connection(options());
  Cursor cursor = connection.cursor();
  cursor.execute(numbers(20000));  // prepared and executed on blue; no row read yet
  // A drain that cuts the query: blue stops serving with the query still open.
  controller_->switch_to("green", std::chrono::milliseconds(200), true);
  EXPECT_EQ(count_rows(cursor), 20000);
  const auto s = connection.strategy();
  EXPECT_EQ(s.counters.reruns, 1U);
  EXPECT_EQ(s.active, "green");
}

TEST_F(StrategyTest, ReadLostAfterRowsWereDeliveredIsATypedError) {
  Connection connection(options());
  Cursor cursor = connection.cursor();
  cursor.execute(numbers(20000));
  ASSERT_GT(cursor.next_batch()->num_rows(), 0);
  controller_->switch_to("green", std::chrono::milliseconds(200), true);
  try {
    count_rows(cursor);
    FAIL() << "the query lost its deployment after rows were delivered";
  } catch (const QueryError& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kStrategyChanged);
    EXPECT_NE(std::string(e.what()).find("rows had already been delivered"), std::string::npos)
        << e.what();
  }
  EXPECT_EQ(connection.strategy().counters.lost_queries, 1U);
  cursor.clear();
  EXPECT_EQ(scalar(connection, "SELECT 3"), 3);  // the connection itself carries on, on green
}

TEST_F(StrategyTest, ReauthenticatesWhenTheDeploymentForgotItsSessions) {
  Connection connection(options());
  EXPECT_EQ(scalar(connection, "SELECT 1"), 1);
  // Blue restarts while idle (its sessions die with it) and becomes active again; this
  // connection saw none of it and still holds its old blue session.
  controller_->switch_to("green", std::chrono::seconds(60), true);
  controller_->restart("blue");
  controller_->switch_to("blue", std::chrono::seconds(60), true);
  EXPECT_EQ(scalar(connection, "SELECT 5"), 5);
  EXPECT_GE(connection.strategy().counters.reauthentications, 1U);
}

TEST_F(StrategyTest, SuspendedClusterIsResumedOnceForAllCallers) {
  std::vector<std::unique_ptr<Connection>> connections;
  for (int i = 0; i < 8; ++i) connections.push_back(std::make_unique<Connection>(options()));
  EXPECT_EQ(scalar(*connections[0], "SELECT 1"), 1);
  controller_->suspend();
  ASSERT_EQ(controller_->cluster_status(), "suspended");
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (auto& c : connections) {
    threads.emplace_back([&ok, &c] {
      if (scalar(*c, "SELECT 9") == 9) ++ok;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 8);
  EXPECT_EQ(controller_->cluster_status(), "active");
  EXPECT_EQ(connections[0]->strategy().counters.resumes, 1U);
}

TEST_F(StrategyTest, SuspendedClusterWithoutAutoResumeIsATypedError) {
  auto o = options();
  o.auto_resume = false;
  Connection connection(o);
  EXPECT_EQ(scalar(connection, "SELECT 1"), 1);
  controller_->suspend();
  EXPECT_THROW(scalar(connection, "SELECT 1"), ClusterSuspendedError);
  controller_->resume();
}

TEST_F(StrategyTest, ClusterManagerSuspendsAndResumes) {
  ClusterManager manager(options());
  EXPECT_EQ(manager.status(), "active");
  manager.suspend();
  EXPECT_EQ(manager.status(), "suspended");
  EXPECT_EQ(manager.resume(true, std::chrono::seconds(30)), "active");
  EXPECT_EQ(manager.status(), "active");
  Connection connection(options());
  EXPECT_EQ(scalar(connection, "SELECT 4"), 4);
}

TEST_F(GreenOnlyStrategyTest, TwoProcessesShareWhatOneLearned) {
  const std::string shared = "e6data-e2e-" + std::to_string(::getpid());
  const std::string path = "/dev/shm/" + shared;
  std::filesystem::remove(path);
  auto o = options();
  o.strategy.shared_state = shared;
  Connection connection(o);
  EXPECT_EQ(scalar(connection, "SELECT 1"), 1);
  ASSERT_EQ(connection.strategy().counters.detection_probes, 2U);

  // Another process, same endpoint and shared file: it starts knowing green, probes nothing.
  const std::string command =
      std::string("E6DATA_HOST=127.0.0.1 E6DATA_PORT=") + std::to_string(controller_->port()) +
      " E6DATA_USERNAME=demo E6DATA_PASSWORD=demo E6DATA_CLUSTER_NAME=" + o.cluster_name +
      " E6DATA_STRATEGY_SHARED_STATE=" + shared + " E6DATA_LOG_LEVEL=warning " +
      E6DATA_STRATEGY_PEER_PATH;
  FILE* peer = ::popen(command.c_str(), "r");
  ASSERT_NE(peer, nullptr);
  std::string out;
  char buffer[4096];
  while (std::fgets(buffer, sizeof buffer, peer) != nullptr) out += buffer;
  ASSERT_EQ(::pclose(peer), 0) << out;
  const auto snapshot = nlohmann::json::parse(out);
  EXPECT_EQ(snapshot["active"], "green");
  EXPECT_EQ(snapshot["counters"]["detection_probes"], 0);
  EXPECT_EQ(snapshot["counters"]["detections"], 0);
  std::filesystem::remove(path);
}

}  // namespace
}  // namespace e6data

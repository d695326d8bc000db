// The soak: 16 workers with a connection each plus 8 sharing one run checked short and long
// (100,000-row, multi-batch) queries while the controller switches blue -> green -> blue ...,
// some switches with a drain timeout that cuts long queries, and the cluster is suspended once
// and resumed by the connector. Pass: no wrong result; no failed query except those the
// zero-downtime rules must report (lost after rows were delivered), each named; every switch
// followed by the connector.
//
// E6DATA_SOAK_SWITCHES sets the number of switches (default 3: the short form in ./run test;
// ./run soak runs 20).
#include <sqlite3.h>

#include <cstdlib>
#include <iostream>
#include <string>
#include <thread>

#include "bluegreen_fixture.hpp"
#include "demo/workload.hpp"
#include "devserver/demo_dataset.hpp"

namespace e6data {
namespace {

int switches_from_env() {
  const char* v = std::getenv("E6DATA_SOAK_SWITCHES");
  const int n = v ? std::atoi(v) : 0;
  return n > 0 ? n : 3;
}

// The result form the workload reads with (#15): Result Batch V2 with download-ahead, the fast
// path, and the V1 form alone, as against an older server.
struct ResultForm {
  const char* name;
  const char* result_batch_v2;
  int download_ahead;
};

class SoakTest : public testing::BlueGreenTest, public ::testing::WithParamInterface<ResultForm> {
 protected:
  void configure(bluegreen::ControllerOptions& options) override {
    db_path_ = std::filesystem::temp_directory_path() /
               ("e6data-soak-" + std::to_string(::getpid()) + ".db");
    std::filesystem::remove(db_path_);
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(db_path_.c_str(), &db), SQLITE_OK);
    devserver::create_demo_dataset(db, 1);
    sqlite3_close(db);
    options.db_path = db_path_.string();
    options.batch_rows = 4096;
  }
  void TearDown() override {
    BlueGreenTest::TearDown();
    std::filesystem::remove(db_path_);
  }
  // Waits (bounded) until the workload's connections have moved to `deployment`.
  static bool followed(const demo::Workload& w, const std::string& deployment) {
    for (int i = 0; i < 400; ++i) {
      const auto s = w.strategy();
      if (s.active == deployment && s.pending.empty()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
  }
  std::filesystem::path db_path_;
};

TEST_P(SoakTest, ZeroFailedQueriesAcrossSwitchesAndASuspend) {
  const int switches = switches_from_env();
  demo::WorkloadOptions o;
  o.connection.host = "127.0.0.1";
  o.connection.port = controller_->port();
  o.connection.username = "demo";
  o.connection.password = "demo";
  o.connection.cluster_name = "soak";
  o.connection.result_batch_v2 = GetParam().result_batch_v2;
  o.connection.download_ahead = GetParam().download_ahead;
  o.connection.logging.strategy_level = LogLevel::kWarning;
  o.connection.logging.grpc_level = LogLevel::kError;
  o.db_path = db_path_.string();
  o.own_connection_workers = 16;
  o.shared_connection_workers = 8;
  o.long_rows = 100000;
  o.long_every = 10;
  demo::Workload workload(o);
  workload.set_phase("start");
  workload.start(std::chrono::steady_clock::now());
  std::this_thread::sleep_for(std::chrono::seconds(2));

  std::string active = "blue";
  int cutting = 0;
  for (int i = 0; i < switches; ++i) {
    const std::string target = active == "blue" ? "green" : "blue";
    // Every third switch drains for only 300 ms: long queries on the old side are cut.
    const bool cut = i % 3 == 2;
    cutting += cut ? 1 : 0;
    workload.set_phase("switch " + std::to_string(i + 1));
    controller_->switch_to(target, cut ? std::chrono::milliseconds(300) : std::chrono::seconds(60),
                           true);
    active = target;
    ASSERT_TRUE(followed(workload, target)) << "switch " << i + 1 << " to " << target
                                            << " not followed: " << workload.strategy().to_json();
    if (i == switches / 2) {
      // Idle, then suspended: the next queries find the cluster suspended and resume it.
      workload.pause(std::chrono::seconds(60));
      controller_->suspend();
      workload.set_phase("suspended");
      workload.resume();
      std::this_thread::sleep_for(std::chrono::seconds(3));
      EXPECT_EQ(controller_->cluster_status(), "active");
    }
    std::this_thread::sleep_for(std::chrono::seconds(2));
  }
  workload.stop();

  const auto totals = workload.totals();
  const auto s = workload.strategy();
  std::cout << "soak (" << GetParam().name << "): " << switches << " switches (" << cutting
            << " cutting), " << totals.ok << " queries ok, " << totals.failed << " failed ("
            << totals.allowed << " reported by the rules), " << totals.wrong << " wrong\n"
            << "soak: strategy " << s.to_json() << '\n';
  for (const auto& [message, count] : workload.failures()) {
    std::cout << "soak: failure x" << count << ": " << message << '\n';
  }
  EXPECT_EQ(totals.wrong, 0U);
  EXPECT_EQ(totals.failed, totals.allowed) << "failures the rules do not allow";
  EXPECT_GT(totals.ok, 100U);
  EXPECT_GE(s.counters.transitions, static_cast<std::uint64_t>(switches));
  EXPECT_EQ(s.counters.resumes, 1U);
  EXPECT_EQ(s.bound_blue + s.bound_green, 0);
}

INSTANTIATE_TEST_SUITE_P(ResultForms, SoakTest,
                         ::testing::Values(ResultForm{"V2AndDownloadAhead", "on", 2},
                                           ResultForm{"V1", "off", 0}),
                         [](const ::testing::TestParamInfo<ResultForm>& form) {
                           return std::string(form.param.name);
                         });

}  // namespace
}  // namespace e6data

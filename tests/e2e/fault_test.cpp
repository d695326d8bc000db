// Faults, each with the connector's promise: typed errors within deadlines, no hang, no crash,
// and recovery afterwards. A deployment killed with SIGKILL mid-query; nginx reloaded 50 times
// under load; sessions expiring under load; the router stopped for a few seconds; and a backend
// that answers with garbage batches (a real gRPC server of the test's own).
#include <grpcpp/grpcpp.h>
#include <signal.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <thread>

#include "bluegreen_fixture.hpp"
#include "e6data/connection.hpp"
#include "e6x_engine.grpc.pb.h"
#include "wire/chunk_encoder.hpp"
#include "wire/column_builder.hpp"
#include "wire/metadata_writer.hpp"

namespace e6data {
namespace {

using Clock = std::chrono::steady_clock;

std::string numbers(int n) {
  return "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < " +
         std::to_string(n) + ") SELECT i FROM n";
}

// Runs `threads` workers, each with its own connection, looping over a short and a long query
// and checking both, until `stop`. Every failure must be a typed e6data::Error.
struct Load {
  std::atomic<bool> stop{false};
  std::atomic<int> ok{0};
  std::atomic<int> typed_failures{0};
  std::atomic<int> untyped_failures{0};
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  std::vector<std::unique_ptr<Connection>> connections;
  std::mutex mutex;
  std::vector<std::string> messages;  // the first failures, for the test's report
  std::map<ErrorKind, int> kinds;     // failures by kind

  std::string report() {
    std::lock_guard lock(mutex);
    std::string out;
    for (const auto& m : messages) out += m + "\n";
    return out;
  }

  void start(const ConnectionOptions& options, int n) {
    for (int i = 0; i < n; ++i) connections.push_back(std::make_unique<Connection>(options));
    for (int i = 0; i < n; ++i) {
      threads.emplace_back([this, i] {
        Connection& c = *connections[static_cast<std::size_t>(i)];
        for (int round = 0; !stop; ++round) {
          try {
            Cursor cursor = c.cursor();
            if (round % 4 == 3) {
              cursor.execute(numbers(20000));
              std::int64_t rows = 0;
              while (auto b = cursor.next_batch()) rows += b->num_rows();
              if (rows != 20000) ++wrong;
            } else {
              cursor.execute("SELECT " + std::to_string(round) + " + 1");
              if (std::get<std::int64_t>((*cursor.fetchone())[0]) != round + 1) ++wrong;
            }
            ++ok;
          } catch (const Error& e) {
            ++typed_failures;
            std::lock_guard lock(mutex);
            ++kinds[e.kind()];
            if (messages.size() < 5) messages.emplace_back(e.what());
          } catch (...) {
            ++untyped_failures;
          }
        }
      });
    }
  }
  void finish() {
    stop = true;
    for (auto& t : threads) t.join();
    threads.clear();
  }
  ~Load() { finish(); }
};

class FaultTest : public testing::BlueGreenTest {
 protected:
  ConnectionOptions options() const {
    ConnectionOptions o;
    o.host = "127.0.0.1";
    o.port = controller_->port();
    o.username = "demo";
    o.password = "demo";
    o.cluster_name = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    o.logging.grpc_level = LogLevel::kOff;
    return o;
  }
  static std::int64_t scalar(Connection& connection, const std::string& sql) {
    Cursor cursor = connection.cursor();
    cursor.execute(sql);
    return std::get<std::int64_t>((*cursor.fetchone())[0]);
  }
  int pid_of(const std::string& deployment) {
    const auto state = controller_->state();  // not a temporary: the loop views its fields
    for (const auto& d : state.deployments()) {
      if (d.name() == deployment) return d.pid();
    }
    return -1;
  }
};

TEST_F(FaultTest, DeploymentKilledMidQueryIsATypedErrorAndTheClusterFailsOver) {
  Connection connection(options());
  Cursor cursor = connection.cursor();
  cursor.execute(numbers(50000));
  ASSERT_GT(cursor.next_batch()->num_rows(), 0);
  const int blue = pid_of("blue");
  ASSERT_GT(blue, 0);
  ASSERT_EQ(::kill(blue, SIGKILL), 0);
  const auto started = Clock::now();
  EXPECT_THROW(
      {
        while (cursor.next_batch()) {
        }
      },
      Error);
  EXPECT_LT(Clock::now() - started, std::chrono::seconds(30));
  cursor.clear();
  // The operator fails over; the connector follows with no change.
  controller_->switch_to("green", std::chrono::seconds(5), true);
  EXPECT_EQ(scalar(connection, "SELECT 11"), 11);
  EXPECT_EQ(connection.strategy().active, "green");
  controller_->restart("blue");  // heal, so teardown stops a live process
}

TEST_F(FaultTest, FiftyNginxReloadsUnderLoad) {
  Load load;
  load.start(options(), 4);
  for (int i = 0; i < 50; ++i) controller_->reload();
  load.finish();
  EXPECT_EQ(load.untyped_failures.load(), 0);
  EXPECT_EQ(load.wrong.load(), 0);
  EXPECT_GT(load.ok.load(), 0);
  // Graceful reloads keep serving: the connector's retries absorb what the old workers refuse.
  EXPECT_EQ(load.typed_failures.load(), 0);
  Connection after(options());
  EXPECT_EQ(scalar(after, "SELECT 1"), 1);
}

TEST_F(FaultTest, SessionsExpiringUnderLoad) {
  Load load;
  load.start(options(), 4);
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  for (int i = 0; i < 5; ++i) {
    controller_->expire_sessions("blue");
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
  }
  load.finish();
  EXPECT_EQ(load.untyped_failures.load(), 0);
  EXPECT_EQ(load.wrong.load(), 0);
  const auto s = load.connections[0]->strategy();
  EXPECT_GE(s.counters.reauthentications, 1U);
  // Only queries whose rows were partly delivered may fail (kStrategyChanged), or those the
  // server cancelled as it dropped their session mid-call (kCancelled); everything else
  // re-authenticates and carries on.
  for (const auto& [kind, count] : load.kinds) {
    EXPECT_TRUE(kind == ErrorKind::kStrategyChanged || kind == ErrorKind::kCancelled)
        << to_string(kind) << " x" << count << "\n"
        << load.report();
  }
  EXPECT_EQ(scalar(*load.connections[0], "SELECT 2"), 2);
}

// SIGSTOP/SIGCONT the router (master and workers) for `seconds`.
void pause_router(int master, std::chrono::seconds pause) {
  std::vector<int> pids{master};
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    std::ifstream stat(entry.path() / "stat");
    int pid = 0;
    std::string comm;
    char state = 0;
    int ppid = 0;
    if (stat >> pid >> comm >> state >> ppid && ppid == master) pids.push_back(pid);
  }
  for (int pid : pids) ::kill(pid, SIGSTOP);
  std::this_thread::sleep_for(pause);
  for (int pid : pids) ::kill(pid, SIGCONT);
}

TEST_F(FaultTest, RouterStoppedForAFewSecondsThenCarriesOn) {
  Load load;
  load.start(options(), 4);
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  const int before = load.ok.load();
  pause_router(controller_->state().router_pid(), std::chrono::seconds(3));
  const auto resumed = Clock::now();
  while (load.ok.load() <= before + 20 && Clock::now() - resumed < std::chrono::seconds(30)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  load.finish();  // joins: no worker hangs
  EXPECT_GT(load.ok.load(), before + 20);
  EXPECT_EQ(load.untyped_failures.load(), 0);
  EXPECT_EQ(load.wrong.load(), 0);
}

// A backend of the test's own that serves valid metadata and garbage result batches.
class GarbageBackend final : public QueryEngineService::Service {
 public:
  grpc::Status authenticate(grpc::ServerContext*, const AuthenticateRequest*,
                            AuthenticateResponse* res) override {
    res->set_sessionid("s");
    return grpc::Status::OK;
  }
  grpc::Status prepareStatement(grpc::ServerContext*, const PrepareStatementRequest* req,
                                PrepareStatementResponse* res) override {
    res->set_queryid(req->querystring());
    res->set_engineip("127.0.0.1");
    return grpc::Status::OK;
  }
  grpc::Status executeStatement(grpc::ServerContext*, const ExecuteStatementRequest*,
                                ExecuteStatementResponse*) override {
    return grpc::Status::OK;
  }
  grpc::Status getResultMetadata(grpc::ServerContext*, const GetResultMetadataRequest*,
                                 GetResultMetadataResponse* res) override {
    ResultSchema schema;
    schema.row_count = 3;
    schema.columns = {{"n", "LONG", "", ""}};
    res->set_resultmetadata(wire::write_result_metadata(schema));
    return grpc::Status::OK;
  }
  grpc::Status getNextResultBatch(grpc::ServerContext*, const GetNextResultBatchRequest* req,
                                  GetNextResultBatchResponse* res) override {
    if (req->queryid() == "good") {
      if (good_batches_++ % 2 == 1) {  // one batch of rows, then the end of the results
        res->set_resultbatch(wire::encode_chunk(wire::BatchBuilder().finish()));
        return grpc::Status::OK;
      }
      wire::ColumnBuilder column(VectorType::kLong);
      for (std::int64_t v : {1, 2, 3}) column.append_int64(v);
      wire::BatchBuilder batch;
      batch.add_column(std::move(column).finish());
      res->set_resultbatch(wire::encode_chunk(std::move(batch).finish()));
      return grpc::Status::OK;
    }
    std::lock_guard lock(mutex_);
    std::string garbage(rng_() % 4096, '\0');
    for (char& c : garbage) c = static_cast<char>(rng_());
    // Half the time: a plausible Thrift struct header followed by nonsense.
    if (!garbage.empty() && rng_() % 2 == 0) garbage[0] = 0x0f;
    res->set_resultbatch(garbage);
    return grpc::Status::OK;
  }
  grpc::Status clear(grpc::ServerContext*, const ClearRequest*, ClearResponse*) override {
    return grpc::Status::OK;
  }

 private:
  std::mutex mutex_;
  std::mt19937 rng_{7};
  std::atomic<int> good_batches_{0};
};

TEST(GarbageBackendTest, GarbageBatchesAreDecodeErrorsAndTheConnectionCarriesOn) {
  GarbageBackend service;
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(&service);
  auto server = builder.BuildAndStart();
  ASSERT_TRUE(server);
  ConnectionOptions o;
  o.host = "127.0.0.1";
  o.port = port;
  o.username = "u";
  o.password = "p";
  o.cluster_name = "garbage";
  Connection connection(o);
  Cursor cursor = connection.cursor();
  int decode_errors = 0;
  for (int i = 0; i < 200; ++i) {
    cursor.execute("garbage" + std::to_string(i));
    try {
      // Bounded: a random payload can decode as a valid batch, and the next one is random too.
      for (int k = 0; k < 3 && cursor.next_batch(); ++k) {
      }
    } catch (const DecodeError&) {
      ++decode_errors;
    }
  }
  EXPECT_GE(decode_errors, 190);  // a few random payloads may decode as a valid empty batch
  cursor.execute("good");
  std::int64_t sum = 0;
  for (const Row& row : cursor.rows()) sum += std::get<std::int64_t>(row[0]);
  EXPECT_EQ(sum, 6);
  cursor.clear();
  server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(1));
}

}  // namespace
}  // namespace e6data

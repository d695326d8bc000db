// One owner of each query's fate, tried as an adversary would: a real gRPC server of the test's
// own (on 127.0.0.1:0) that answers executes and fetches with hostile failures, slow calls and
// exact router forms, while the public Connection/Cursor API is driven through the real call path.
// What is checked: a statement with side effects reaches the server at most once unless the
// router refused it in an exact 456/503 form; no row is skipped silently; every call returns by
// its deadline; moved-from and closed objects refuse loudly.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "e6data/connection.hpp"
#include "e6x_engine.grpc.pb.h"
#include "wire/chunk_encoder.hpp"
#include "wire/column_builder.hpp"
#include "wire/metadata_writer.hpp"

namespace e6data {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// The backend: statements are scripted by their text.
//   "INSERT deny"      execute -> INTERNAL "Access denied" (every time)
//   "INSERT broken"    execute -> UNAVAILABLE "connection reset by peer"
//   "INSERT hostile"   execute -> INVALID_ARGUMENT with router-looking text
//   "INSERT internal"  execute -> INTERNAL "status: 456" (the text, under the wrong code)
//   "INSERT router"    execute -> UNKNOWN "status: 456" once (the gateway's exact form), then OK
//   "INSERT ok"        execute -> OK
//   "SELECT slow"      the second fetch takes 1.5 s
//   "SELECT broken"    the second fetch -> UNAVAILABLE
//   "SELECT sleepy"    execute takes 3 s
//   "SELECT announce"  blue's prepare answer announces green (new_strategy), which refuses
//                      (456) every call until...
//   "SELECT retiring"  ...blue's second fetch of it: 456, and green accepts from then on (the
//                      router took green and blue finished draining under the read)
//   "SELECT lagging"   blue's first fetch answer announces green; its second fetch is refused
//                      (456, the gateway's form) 3 times by a router that has not changed
//                      everywhere yet, then served (the query still holds blue's drain)
//   anything else      OK; 3 batches of 100 rows, then the end
class ScriptedBackend final : public QueryEngineService::Service {
 public:
  grpc::Status authenticate(grpc::ServerContext* ctx, const AuthenticateRequest*,
                            AuthenticateResponse* res) override {
    if (strategy_of(ctx) == "green" && !green_accepts_.load()) {
      return {grpc::StatusCode::UNKNOWN, "status: 456"};  // the gateway's exact form
    }
    res->set_sessionid("s" + std::to_string(++sessions_));
    return grpc::Status::OK;
  }
  grpc::Status prepareStatement(grpc::ServerContext* ctx, const PrepareStatementRequest* req,
                                PrepareStatementResponse* res) override {
    if (req->querystring() == "SELECT announce" && strategy_of(ctx) == "blue") {
      res->set_new_strategy("green");
    }
    std::lock_guard lock(mutex_);
    const std::string id = "q" + std::to_string(++next_query_);
    sql_[id] = req->querystring();
    res->set_queryid(id);
    res->set_engineip("127.0.0.1");
    return grpc::Status::OK;
  }
  grpc::Status executeStatement(grpc::ServerContext*, const ExecuteStatementRequest* req,
                                ExecuteStatementResponse*) override {
    const std::string sql = sql_of(req->queryid());
    int n = 0;
    {
      std::lock_guard lock(mutex_);
      n = ++executes_[sql];
    }
    if (sql == "INSERT deny") return {grpc::StatusCode::INTERNAL, "Access denied"};
    if (sql == "INSERT broken") return {grpc::StatusCode::UNAVAILABLE, "connection reset by peer"};
    if (sql == "INSERT hostile") {
      return {grpc::StatusCode::INVALID_ARGUMENT,
              "no such table: Received http2 header with status: 456"};
    }
    if (sql == "INSERT internal") return {grpc::StatusCode::INTERNAL, "status: 456"};
    if (sql == "INSERT router" && n == 1) return {grpc::StatusCode::UNKNOWN, "status: 456"};
    if (sql == "SELECT sleepy") std::this_thread::sleep_for(3s);
    return grpc::Status::OK;
  }
  grpc::Status getResultMetadata(grpc::ServerContext*, const GetResultMetadataRequest*,
                                 GetResultMetadataResponse* res) override {
    ResultSchema schema;
    schema.row_count = 300;
    schema.columns = {{"n", "LONG", "", ""}};
    res->set_resultmetadata(wire::write_result_metadata(schema));
    return grpc::Status::OK;
  }
  grpc::Status getNextResultBatch(grpc::ServerContext* ctx, const GetNextResultBatchRequest* req,
                                  GetNextResultBatchResponse* res) override {
    const std::string sql = sql_of(req->queryid());
    int n = 0;
    {
      std::lock_guard lock(mutex_);
      n = fetches_[req->queryid()]++;  // consumed, whatever happens to the answer
    }
    if (n == 1 && sql == "SELECT slow") std::this_thread::sleep_for(1500ms);
    if (n == 1 && sql == "SELECT broken") return {grpc::StatusCode::UNAVAILABLE, "reset"};
    if (sql == "SELECT lagging" && strategy_of(ctx) == "blue") {
      if (n == 0) res->set_new_strategy("green");
      std::lock_guard lock(mutex_);
      if (n == 1 && lagging_refusals_ < 3) {
        ++lagging_refusals_;
        --fetches_[req->queryid()];  // answered by the router: the deployment consumed nothing
        return {grpc::StatusCode::UNKNOWN, "status: 456"};
      }
    }
    if (n == 1 && sql == "SELECT retiring" && strategy_of(ctx) == "blue") {
      green_accepts_ = true;
      return {grpc::StatusCode::UNKNOWN, "status: 456"};
    }
    if (n >= 3) {
      res->set_resultbatch(wire::encode_chunk(wire::BatchBuilder().finish()));
      return grpc::Status::OK;
    }
    wire::ColumnBuilder column(VectorType::kLong);
    for (std::int64_t v = 0; v < 100; ++v) column.append_int64(n * 100 + v);
    wire::BatchBuilder batch;
    batch.add_column(std::move(column).finish());
    res->set_resultbatch(wire::encode_chunk(std::move(batch).finish()));
    return grpc::Status::OK;
  }
  grpc::Status clear(grpc::ServerContext*, const ClearRequest*, ClearResponse*) override {
    clears_.fetch_add(1);
    return grpc::Status::OK;
  }
  grpc::Status cancelQuery(grpc::ServerContext*, const CancelQueryRequest*,
                           CancelQueryResponse*) override {
    return grpc::Status::OK;
  }

  int executes(const std::string& sql) {
    std::lock_guard lock(mutex_);
    return executes_[sql];
  }
  int clears() const { return clears_.load(); }
  int lagging_refusals() {
    std::lock_guard lock(mutex_);
    return lagging_refusals_;
  }

 private:
  static std::string strategy_of(const grpc::ServerContext* ctx) {
    const auto& metadata = ctx->client_metadata();
    const auto it = metadata.find("strategy");
    return it == metadata.end() ? std::string() : std::string(it->second.data(), it->second.size());
  }
  std::string sql_of(const std::string& id) {
    std::lock_guard lock(mutex_);
    return sql_[id];
  }
  std::atomic<int> sessions_{0};
  std::atomic<bool> green_accepts_{false};
  std::atomic<int> clears_{0};
  std::mutex mutex_;
  int next_query_ = 0;
  std::map<std::string, std::string> sql_;
  std::map<std::string, int> executes_;
  std::map<std::string, int> fetches_;
  int lagging_refusals_ = 0;
};

class QueryFateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port_);
    builder.RegisterService(&backend_);
    server_ = builder.BuildAndStart();
    ASSERT_TRUE(server_);
  }
  void TearDown() override { server_->Shutdown(std::chrono::system_clock::now() + 1s); }

  ConnectionOptions options() const {
    ConnectionOptions o;
    o.host = "127.0.0.1";
    o.port = port_;
    o.username = "u";
    o.password = "p";
    o.cluster_name = "fate-" + std::to_string(port_);  // an endpoint state of its own
    return o;
  }

  ScriptedBackend backend_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
};

// A router that accepts green late: green refuses, so the read is begun on blue (a lag hold),
// and blue finishes draining under it after its first batch. The read was read ahead before its
// first row was handed over, so it runs again on green: every row once, in order, no error.
TEST_F(QueryFateTest, AReadBegunOnARetiringDeploymentLosesNoRowWhenItIsCut) {
  Connection connection(options());
  {
    Cursor announce = connection.cursor();
    announce.execute("SELECT announce");
    EXPECT_EQ(announce.fetchall().size(), 300U);
  }
  ASSERT_EQ(connection.strategy().pending, "green");
  Cursor cursor = connection.cursor();
  cursor.execute("SELECT retiring");
  std::int64_t expected = 0;
  while (auto batch = cursor.next_batch()) {
    for (const auto v : batch->column(0).values<std::int64_t>()) {
      ASSERT_EQ(v, expected) << "a row skipped or repeated";
      ++expected;
    }
  }
  EXPECT_EQ(expected, 300);
  EXPECT_EQ(backend_.executes("SELECT retiring"), 2) << "run again on green";
  const auto s = connection.strategy();
  EXPECT_EQ(s.active, "green");
  EXPECT_EQ(s.counters.lost_queries, 0U);
  EXPECT_EQ(s.counters.reruns, 1U);
}

// Issue #11: a read whose rows were delivered, on a deployment a switch is leaving, has a later
// fetch refused by a router that has not changed everywhere at once (an nginx worker finishing
// its connections with the previous routing). The query still holds that deployment's drain, so
// the refusal cannot mean it drained: the fetch is repeated within the lag window, and the read
// ends complete, in order, run once, instead of being reported lost.
TEST_F(QueryFateTest, ADeliveredReadsFetchRefusedOnTheDeploymentBeingLeftIsNotLost) {
  Connection connection(options());
  Cursor cursor = connection.cursor();
  cursor.execute("SELECT lagging");
  std::int64_t expected = 0;
  while (auto batch = cursor.next_batch()) {
    ASSERT_EQ(connection.strategy().pending, "green") << "announced by the first fetch";
    for (const auto v : batch->column(0).values<std::int64_t>()) {
      ASSERT_EQ(v, expected) << "a row skipped or repeated";
      ++expected;
    }
  }
  EXPECT_EQ(expected, 300);
  EXPECT_EQ(backend_.lagging_refusals(), 3) << "the router refused the second fetch 3 times";
  EXPECT_EQ(backend_.executes("SELECT lagging"), 1);
  const auto s = connection.strategy();
  EXPECT_EQ(s.counters.lost_queries, 0U);
  EXPECT_EQ(s.counters.reruns, 0U);
}

// The first wave executed such a write three times.
TEST_F(QueryFateTest, AWriteRefusedWithAccessDeniedIsSentOnceAndReportedAsOutcomeUnknown) {
  Connection connection(options());
  Cursor cursor = connection.cursor();
  try {
    cursor.execute("INSERT deny");
    FAIL() << "expected QueryError";
  } catch (const QueryError& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kOutcomeUnknown) << e.what();
    EXPECT_FALSE(e.is_retryable());
  }
  EXPECT_EQ(backend_.executes("INSERT deny"), 1);
}

TEST_F(QueryFateTest, AWriteWhoseConnectionBrokeIsSentOnce) {
  Connection connection(options());
  Cursor cursor = connection.cursor();
  try {
    cursor.execute("INSERT broken");
    FAIL() << "expected QueryError";
  } catch (const QueryError& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kOutcomeUnknown) << e.what();
  }
  EXPECT_EQ(backend_.executes("INSERT broken"), 1);
}

TEST_F(QueryFateTest, RouterLookingTextUnderOtherCodesIsTheServersOwnErrorSentOnce) {
  Connection connection(options());
  Cursor cursor = connection.cursor();
  try {
    cursor.execute("INSERT hostile");
    FAIL() << "expected QueryError";
  } catch (const QueryError& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kQuery) << e.what();
    EXPECT_EQ(e.http_status(), 0);
  }
  EXPECT_THROW(cursor.execute("INSERT internal"), Error);
  EXPECT_EQ(backend_.executes("INSERT hostile"), 1);
  EXPECT_EQ(backend_.executes("INSERT internal"), 1);
  // The endpoint kept its strategy: nothing was taken for a router's 456.
  EXPECT_EQ(connection.strategy().counters.recoveries_456, 0u);
  EXPECT_EQ(connection.strategy().active, "blue");
}

TEST_F(QueryFateTest, AWriteTheRouterRefusedInItsExactFormRunsAgain) {
  Connection connection(options());
  Cursor cursor = connection.cursor();
  cursor.execute("INSERT router");
  EXPECT_EQ(backend_.executes("INSERT router"), 2);
}

TEST_F(QueryFateTest, AFetchPastItsDeadlineLeavesThePositionUnknownAndNoRowIsSkipped) {
  Connection connection(options());
  Cursor cursor = connection.cursor();
  cursor.execute("SELECT slow");
  ASSERT_TRUE(cursor.next_batch());  // rows 0..99
  QueryOptions quick;
  quick.timeout = 500ms;
  const auto started = Clock::now();
  EXPECT_THROW((void)cursor.next_batch(quick), TimeoutError);
  EXPECT_LT(Clock::now() - started, 500ms + 250ms) << "the call kept its deadline";
  // The server consumed rows 100..199: the next fetch must not hand over 200..299 as if nothing
  // happened.
  try {
    (void)cursor.next_batch();
    FAIL() << "a fetch after an unknown position went through";
  } catch (const QueryError& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kResultPositionUnknown) << e.what();
  }
  EXPECT_THROW((void)cursor.fetchone(), QueryError);
  // A new statement reads again.
  cursor.execute("SELECT again");
  EXPECT_EQ(cursor.fetchall().size(), 300u);
}

TEST_F(QueryFateTest, AFetchThatBrokeAfterRowsWereSeenIsNotReRunAndRefusesLaterFetches) {
  Connection connection(options());
  Cursor cursor = connection.cursor();
  cursor.execute("SELECT broken");
  ASSERT_TRUE(cursor.next_batch());
  EXPECT_THROW((void)cursor.next_batch(), ConnectionError);
  EXPECT_EQ(backend_.executes("SELECT broken"), 1);
  try {
    (void)cursor.next_batch();
    FAIL();
  } catch (const QueryError& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kResultPositionUnknown);
  }
}

TEST_F(QueryFateTest, EveryCallReturnsByItsDeadline) {
  Connection connection(options());
  Cursor cursor = connection.cursor();
  QueryOptions quick;
  quick.timeout = 700ms;
  const auto started = Clock::now();
  EXPECT_THROW(cursor.execute("SELECT sleepy", quick), TimeoutError);
  EXPECT_LT(Clock::now() - started, 700ms + 250ms);
}

TEST_F(QueryFateTest, ACancellationTokenStopsACallFromAnotherThread) {
  Connection connection(options());
  Cursor cursor = connection.cursor();
  QueryOptions cancellable;
  cancellable.cancel = std::make_shared<CancellationToken>();
  std::thread canceller([&] {
    std::this_thread::sleep_for(300ms);
    cancellable.cancel->cancel();
  });
  const auto started = Clock::now();
  EXPECT_THROW(cursor.execute("SELECT sleepy", cancellable), CancelledError);
  EXPECT_LT(Clock::now() - started, 1500ms);
  canceller.join();
  // A cancelled token stops later calls before they reach the server.
  EXPECT_THROW(cursor.execute("SELECT x", cancellable), CancelledError);
}

TEST_F(QueryFateTest, AKeptCursorIsClearedByItsDestructorWithinTheCleanupBound) {
  Connection connection(options());
  {
    Cursor cursor = connection.cursor();
    cursor.execute("SELECT kept");
    ASSERT_TRUE(cursor.next_batch());
  }
  EXPECT_EQ(backend_.clears(), 1);
}

TEST_F(QueryFateTest, MovedFromAndClosedObjectsThrowUsageError) {
  Connection connection(options());
  Cursor cursor = connection.cursor();
  cursor.execute("SELECT a");
  Cursor moved = std::move(cursor);
  EXPECT_THROW(cursor.execute("SELECT b"), UsageError);  // NOLINT(bugprone-use-after-move)
  EXPECT_THROW((void)cursor.next_batch(), UsageError);   // NOLINT(bugprone-use-after-move)
  EXPECT_THROW((void)cursor.fetchall(), UsageError);     // NOLINT(bugprone-use-after-move)
  EXPECT_THROW((void)cursor.status(), UsageError);       // NOLINT(bugprone-use-after-move)
  EXPECT_THROW((void)cursor.description(), UsageError);  // NOLINT(bugprone-use-after-move)
  EXPECT_THROW(cursor.cancel(), UsageError);             // NOLINT(bugprone-use-after-move)
  EXPECT_THROW((void)cursor.query_id(), UsageError);     // NOLINT(bugprone-use-after-move)
  EXPECT_THROW(cursor.clear(), UsageError);              // NOLINT(bugprone-use-after-move)
  EXPECT_TRUE(moved.next_batch());

  Connection other = std::move(connection);
  EXPECT_FALSE(connection.is_open());                     // NOLINT(bugprone-use-after-move)
  EXPECT_THROW((void)connection.cursor(), UsageError);    // NOLINT(bugprone-use-after-move)
  EXPECT_THROW((void)connection.schemas(), UsageError);   // NOLINT(bugprone-use-after-move)
  EXPECT_THROW((void)connection.strategy(), UsageError);  // NOLINT(bugprone-use-after-move)
  EXPECT_THROW(connection.authenticate(), UsageError);    // NOLINT(bugprone-use-after-move)
  connection.close();  // a no-op                           // NOLINT(bugprone-use-after-move)

  other.close();
  other.close();  // idempotent
  EXPECT_THROW((void)moved.next_batch(), UsageError) << "a cursor of a closed connection";
  EXPECT_THROW(moved.execute("SELECT c"), UsageError);
  moved.clear();  // forgetting is always allowed
}

TEST_F(QueryFateTest, NonUtf8SqlIsRefusedBeforeItIsSent) {
  Connection connection(options());
  Cursor cursor = connection.cursor();
  EXPECT_THROW(cursor.execute(std::string("SELECT '\xff'")), UsageError);
}

TEST_F(QueryFateTest, ABackslashInACatalogLessStringParameterNeedsADeclaredDialect) {
  Connection connection(options());
  Cursor cursor = connection.cursor();
  try {
    cursor.execute("SELECT ?", {Value(std::string_view("a\\' OR 1=1 --"))});
    FAIL();
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("backslash at byte 1"), std::string::npos) << e.what();
  }
  ConnectionOptions declared = options();
  declared.string_literals = "backslash";
  Connection backslash(declared);
  Cursor c2 = backslash.cursor();
  c2.execute("SELECT ?", {Value(std::string_view("a\\' OR 1=1 --"))});  // written for that dialect
}

// ---- Result Batch V2 (PROTOCOL.md §5.3) ----

// A backend that serves both fetch forms from one script per statement. A V2 step lists its
// chunks by row count (0: a valid chunk of size 0; kZeroBytes: a malformed empty element), or a
// failure; rows are numbered 0, 1, 2, ... across the chunks of a query. After the script, every
// V2 fetch ends the stream. V1 serves the same rows in batches of 100, then the empty batch.
//   "SELECT small"     one response: 100 rows and the end (a short query)
//   "SELECT many"      4 + 4 + 2 chunks of 10 rows, the end on the last (with data)
//   "SELECT tail"      3 chunks of 10, then a response with the end and no data
//   "SELECT patient"   two empty responses, then a chunk of size 0 and 10 rows, then the end
//   "SELECT never"     nothing ready, ever
//   "SELECT malformed" 10 rows and a zero-byte element in one response
//   "SELECT broken"    20 rows, then UNAVAILABLE
//   "SELECT fickle"    20 rows, then UNIMPLEMENTED (a V2 server that stops offering V2)
//   "SELECT announce"  blue's prepare announces green, which refuses (456) until...
//   "SELECT retiring"  ...blue's second V2 fetch of it: 456, and green accepts from then on
//   "SELECT stalled"   10 rows, then a fetch that answers only when the client cancels it
//   "SELECT late-break" 40 rows in three responses, then UNAVAILABLE
//   "SELECT big"       8 responses of one chunk of 1,000 rows (9,000 bytes decoded each)
//   "SELECT midswitch" 30 rows in three responses; the second, from blue, announces green
//   "SELECT slowly"    30 rows in three responses; the second answers after 400 ms
//   "SELECT slower"    the same, the second answering after 1,500 ms
//   "SELECT dawdle"    10 rows, then 25 responses with nothing ready, then 10 rows and the end
class V2Backend final : public QueryEngineService::Service {
 public:
  static constexpr int kZeroBytes = -1;
  struct Step {
    std::vector<int> chunks;
    bool end = false;
    grpc::StatusCode failure = grpc::StatusCode::OK;
    bool stall = false;  // answers only once the client cancels the call (or after 10 s)
    std::chrono::milliseconds delay{0};  // answers after this long (unless the client gives up)
  };

  explicit V2Backend(bool offers_v2) : offers_v2_(offers_v2) {}

  grpc::Status authenticate(grpc::ServerContext* ctx, const AuthenticateRequest*,
                            AuthenticateResponse* res) override {
    if (strategy_of(ctx) == "green" && !green_accepts_.load()) {
      return {grpc::StatusCode::UNKNOWN, "status: 456"};
    }
    res->set_sessionid("s" + std::to_string(++sessions_));
    return grpc::Status::OK;
  }
  grpc::Status prepareStatement(grpc::ServerContext* ctx, const PrepareStatementRequest* req,
                                PrepareStatementResponse* res) override {
    ++round_trips_;
    if (req->querystring() == "SELECT announce" && strategy_of(ctx) == "blue") {
      res->set_new_strategy("green");
    }
    std::lock_guard lock(mutex_);
    const std::string id = "q" + std::to_string(++next_query_);
    sql_[id] = req->querystring();
    res->set_queryid(id);
    res->set_engineip("127.0.0.1");
    return grpc::Status::OK;
  }
  grpc::Status executeStatement(grpc::ServerContext*, const ExecuteStatementRequest* req,
                                ExecuteStatementResponse*) override {
    ++round_trips_;
    std::lock_guard lock(mutex_);
    ++executes_[sql_[req->queryid()]];
    return grpc::Status::OK;
  }
  grpc::Status getResultMetadata(grpc::ServerContext*, const GetResultMetadataRequest*,
                                 GetResultMetadataResponse* res) override {
    ++round_trips_;
    ResultSchema schema;
    schema.columns = {{"n", "LONG", "", ""}};
    res->set_resultmetadata(wire::write_result_metadata(schema));
    return grpc::Status::OK;
  }
  grpc::Status getNextResultBatch(grpc::ServerContext*, const GetNextResultBatchRequest* req,
                                  GetNextResultBatchResponse* res) override {
    ++round_trips_;
    ++v1_fetches_;
    std::lock_guard lock(mutex_);
    const int total = total_rows(sql_[req->queryid()]);
    int& next = next_row_[req->queryid()];
    const int n = std::min(100, total - next);
    res->set_resultbatch(n > 0 ? chunk(next, n) : std::string());
    next += std::max(n, 0);
    return grpc::Status::OK;
  }
  grpc::Status getNextResultBatchV2(grpc::ServerContext* ctx, const GetNextResultBatchRequest* req,
                                    GetNextResultBatchV2Response* res) override {
    ++round_trips_;
    {
      std::lock_guard lock(fetch_mutex_);
      ++v2_fetches_;
    }
    fetch_seen_.notify_all();
    if (!offers_v2_) return {grpc::StatusCode::UNIMPLEMENTED, "no such method"};
    if (const auto delay = delay_of(req->queryid()); delay.count() > 0) {
      const auto until = Clock::now() + delay;
      while (!ctx->IsCancelled() && Clock::now() < until) std::this_thread::sleep_for(2ms);
    }
    if (stalls(req->queryid())) {
      // Consumed like any fetch; answers when the client gives up on it.
      const auto until = Clock::now() + 10s;
      while (!ctx->IsCancelled() && Clock::now() < until) std::this_thread::sleep_for(2ms);
      {
        std::lock_guard lock(fetch_mutex_);
        if (ctx->IsCancelled()) ++cancelled_fetches_;
      }
      fetch_seen_.notify_all();
      return {grpc::StatusCode::CANCELLED, "cancelled by the client"};
    }
    std::lock_guard lock(mutex_);
    const std::string sql = sql_[req->queryid()];
    const int n = v2_responses_[req->queryid()]++;  // consumed, whatever happens to the answer
    if (sql == "SELECT retiring" && n == 1 && strategy_of(ctx) == "blue") {
      green_accepts_ = true;
      return {grpc::StatusCode::UNKNOWN, "status: 456"};
    }
    const std::vector<Step> steps = script(sql);
    if (static_cast<std::size_t>(n) >= steps.size()) {
      res->set_endofstream(true);
      return grpc::Status::OK;
    }
    const Step& step = steps[static_cast<std::size_t>(n)];
    if (step.failure != grpc::StatusCode::OK) return {step.failure, "scripted failure"};
    int& next = next_row_[req->queryid()];
    for (const int rows : step.chunks) {
      if (rows == kZeroBytes) {
        res->add_resultbatches(std::string());
        continue;
      }
      res->add_resultbatches(chunk(next, rows));
      next += rows;
    }
    res->set_endofstream(step.end);
    if (sql == "SELECT resession") {
      fetch_sessions_.push_back(req->sessionid());
      if (n == 0) res->set_sessionid("moved-" + req->sessionid());
    }
    if (sql == "SELECT midswitch") {
      if (strategy_of(ctx) != "blue") ++fetches_off_blue_;
      if (n == 1) res->set_new_strategy("green");
    }
    return grpc::Status::OK;
  }
  // Clears are counted apart from the other round trips; hold_clears(true) keeps them unanswered
  // until released (or the client gives up, or 10 s pass).
  grpc::Status clear(grpc::ServerContext* ctx, const ClearRequest* req, ClearResponse*) override {
    {
      std::lock_guard lock(fetch_mutex_);
      ++clears_arrived_;
      clear_sessions_.push_back(req->sessionid());
    }
    fetch_seen_.notify_all();
    const auto until = Clock::now() + 10s;
    while (hold_clears_.load() && !ctx->IsCancelled() && Clock::now() < until) {
      std::this_thread::sleep_for(2ms);
    }
    if (ctx->IsCancelled()) return {grpc::StatusCode::CANCELLED, "cancelled by the client"};
    {
      std::lock_guard lock(fetch_mutex_);
      ++clears_answered_;
    }
    fetch_seen_.notify_all();
    return grpc::Status::OK;
  }
  grpc::Status cancelQuery(grpc::ServerContext*, const CancelQueryRequest*,
                           CancelQueryResponse*) override {
    return grpc::Status::OK;
  }

  void hold_clears(bool hold) { hold_clears_ = hold; }
  std::vector<std::string> fetch_sessions() {
    std::lock_guard lock(mutex_);
    return fetch_sessions_;
  }
  std::vector<std::string> clear_sessions() {
    std::lock_guard lock(fetch_mutex_);
    return clear_sessions_;
  }
  int clears_answered() {
    std::lock_guard lock(fetch_mutex_);
    return clears_answered_;
  }
  bool wait_for_clears(int arrived, int answered, std::chrono::milliseconds within) {
    std::unique_lock lock(fetch_mutex_);
    return fetch_seen_.wait_for(
        lock, within, [&] { return clears_arrived_ >= arrived && clears_answered_ >= answered; });
  }

  int round_trips() const { return round_trips_.load(); }
  int v1_fetches() const { return v1_fetches_.load(); }
  int fetches_off_blue() const { return fetches_off_blue_.load(); }
  int v2_fetches() {
    std::lock_guard lock(fetch_mutex_);
    return v2_fetches_;
  }
  // True once `n` V2 fetches arrived (or `n` stalled fetches were cancelled by the client),
  // false if `within` passed first.
  bool wait_for_fetches(int n, std::chrono::milliseconds within) {
    std::unique_lock lock(fetch_mutex_);
    return fetch_seen_.wait_for(lock, within, [&] { return v2_fetches_ >= n; });
  }
  bool wait_for_cancelled_fetches(int n, std::chrono::milliseconds within) {
    std::unique_lock lock(fetch_mutex_);
    return fetch_seen_.wait_for(lock, within, [&] { return cancelled_fetches_ >= n; });
  }
  int executes(const std::string& sql) {
    std::lock_guard lock(mutex_);
    return executes_[sql];
  }

 private:
  static std::vector<Step> script(const std::string& sql) {
    if (sql == "SELECT small") return {{{100}, true}};
    if (sql == "SELECT many") {
      return {{{10, 10, 10, 10}}, {{10, 10, 10, 10}}, {{10, 10}, true}};
    }
    if (sql == "SELECT tail") return {{{10, 10, 10}}, {{}, true}};
    if (sql == "SELECT patient") return {{}, {}, {{0, 10}}, {{10}, true}};
    if (sql == "SELECT never") return std::vector<Step>(100000);
    if (sql == "SELECT malformed") return {{{10, kZeroBytes}}, {{10}, true}};
    if (sql == "SELECT broken") return {{{20}}, {{}, false, grpc::StatusCode::UNAVAILABLE}};
    if (sql == "SELECT fickle") return {{{20}}, {{}, false, grpc::StatusCode::UNIMPLEMENTED}};
    if (sql == "SELECT stalled") return {{{10}}, {{}, false, grpc::StatusCode::OK, true}};
    if (sql == "SELECT late-break") {
      return {{{10, 10}}, {{10}}, {{10}}, {{}, false, grpc::StatusCode::UNAVAILABLE}};
    }
    if (sql == "SELECT midswitch") return {{{10}}, {{10}}, {{10}, true}};
    if (sql == "SELECT dawdle") {
      std::vector<Step> steps(27);
      steps.front() = Step{{10}};
      steps.back() = Step{{10}, true};
      return steps;
    }
    if (sql == "SELECT slowly" || sql == "SELECT slower") {
      Step second{{10}};
      second.delay = sql == "SELECT slowly" ? 400ms : 1500ms;
      return {{{10}}, second, {{10}, true}};
    }
    if (sql == "SELECT resession") return {{{10}}, {{10}}, {{10}, true}};
    if (sql == "SELECT big") {
      std::vector<Step> steps(8, Step{{1000}});
      steps.back().end = true;
      return steps;
    }
    if (sql == "SELECT retiring" || sql == "SELECT announce") {
      return {{{10, 10}}, {{10, 10}}, {{10}, true}};
    }
    return {{{30}, true}};
  }
  static int total_rows(const std::string& sql) {
    int total = 0;
    for (const Step& step : script(sql)) {
      for (const int rows : step.chunks) total += std::max(rows, 0);
    }
    return total;
  }
  static std::string chunk(int first, int rows) {
    wire::ColumnBuilder column(VectorType::kLong);
    for (int v = first; v < first + rows; ++v) column.append_int64(v);
    wire::BatchBuilder batch;
    batch.add_column(std::move(column).finish());
    return wire::encode_chunk(std::move(batch).finish());
  }
  static std::string strategy_of(const grpc::ServerContext* ctx) {
    const auto& metadata = ctx->client_metadata();
    const auto it = metadata.find("strategy");
    return it == metadata.end() ? std::string() : std::string(it->second.data(), it->second.size());
  }
  // How long the query's next V2 fetch waits before it answers (one fetch in flight per query:
  // the step cannot change meanwhile).
  std::chrono::milliseconds delay_of(const std::string& query_id) {
    std::lock_guard lock(mutex_);
    const std::vector<Step> steps = script(sql_[query_id]);
    const auto n = static_cast<std::size_t>(v2_responses_[query_id]);
    return n < steps.size() ? steps[n].delay : std::chrono::milliseconds(0);
  }
  // The query's next V2 fetch is a stalling step (it is then counted as answered).
  bool stalls(const std::string& query_id) {
    std::lock_guard lock(mutex_);
    const std::vector<Step> steps = script(sql_[query_id]);
    const auto n = static_cast<std::size_t>(v2_responses_[query_id]);
    if (n >= steps.size() || !steps[n].stall) return false;
    ++v2_responses_[query_id];
    return true;
  }

  const bool offers_v2_;
  std::atomic<int> sessions_{0};
  std::atomic<bool> green_accepts_{false};
  std::atomic<int> round_trips_{0};
  std::atomic<int> v1_fetches_{0};
  std::atomic<int> fetches_off_blue_{0};
  std::mutex fetch_mutex_;  // guards the two counts below; fetch_seen_ signals their changes
  std::condition_variable fetch_seen_;
  int v2_fetches_ = 0;
  int cancelled_fetches_ = 0;
  int clears_arrived_ = 0;
  int clears_answered_ = 0;
  std::vector<std::string> clear_sessions_;
  std::atomic<bool> hold_clears_{false};
  std::mutex mutex_;
  int next_query_ = 0;
  std::map<std::string, std::string> sql_;
  std::map<std::string, int> executes_;
  std::map<std::string, int> next_row_;
  std::map<std::string, int> v2_responses_;
  std::vector<std::string> fetch_sessions_;  // the sessions of "SELECT resession"'s fetches
};

class ResultBatchV2Test : public ::testing::Test {
 protected:
  void start(bool offers_v2) {
    backend_ = std::make_unique<V2Backend>(offers_v2);
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port_);
    builder.RegisterService(backend_.get());
    server_ = builder.BuildAndStart();
    ASSERT_TRUE(server_);
  }
  void SetUp() override { start(true); }
  void TearDown() override { server_->Shutdown(std::chrono::system_clock::now() + 1s); }

  ConnectionOptions options(const std::string& v2 = "auto") const {
    ConnectionOptions o;
    o.host = "127.0.0.1";
    o.port = port_;
    o.username = "u";
    o.password = "p";
    o.cluster_name = "v2-" + std::to_string(port_);  // an endpoint state of its own
    o.result_batch_v2 = v2;
    return o;
  }

  // Every row of the statement, checked to be 0, 1, 2, ... (none skipped or repeated).
  static std::int64_t read_in_order(Cursor& cursor) {
    std::int64_t expected = 0;
    while (auto batch = cursor.next_batch()) {
      EXPECT_GT(batch->num_rows(), 0) << "no empty batch is handed over";
      for (const auto v : batch->column(0).values<std::int64_t>()) {
        EXPECT_EQ(v, expected) << "a row skipped or repeated";
        expected = v + 1;
      }
    }
    return expected;
  }

  static constexpr auto kSoonForClears = 5000ms;
  std::unique_ptr<V2Backend> backend_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
};

TEST_F(ResultBatchV2Test, ChunksAreReadInOrderAcrossResponses) {
  Connection connection(options());
  Cursor cursor = connection.cursor();
  cursor.execute("SELECT many");
  EXPECT_EQ(read_in_order(cursor), 100);
  EXPECT_EQ(backend_->v2_fetches(), 3) << "the end came with the last data";
  EXPECT_EQ(backend_->v1_fetches(), 0);
  EXPECT_FALSE(cursor.next_batch()) << "nothing is fetched after the end";
  EXPECT_EQ(backend_->v2_fetches(), 3);
}

TEST_F(ResultBatchV2Test, AnEndWithoutDataEndsTheResult) {
  Connection connection(options());
  Cursor cursor = connection.cursor();
  cursor.execute("SELECT tail");
  EXPECT_EQ(read_in_order(cursor), 30);
  EXPECT_EQ(backend_->v2_fetches(), 2);
}

TEST_F(ResultBatchV2Test, EmptyResponsesAreAskedAgainAndChunksOfSizeZeroDoNotEndTheResult) {
  Connection connection(options());
  Cursor cursor = connection.cursor();
  cursor.execute("SELECT patient");
  EXPECT_EQ(read_in_order(cursor), 20);
  EXPECT_EQ(backend_->v2_fetches(), 4);
}

TEST_F(ResultBatchV2Test, NothingReadyWaitsWithGrowingPausesWithinTheDeadline) {
  Connection connection(options());
  Cursor cursor = connection.cursor();
  cursor.execute("SELECT never");
  QueryOptions quick;
  quick.timeout = 600ms;
  const auto started = Clock::now();
  EXPECT_THROW((void)cursor.next_batch(quick), TimeoutError);
  EXPECT_LT(Clock::now() - started, 600ms + 250ms) << "the wait kept its deadline";
  // 2, 4, ..., 64, then 100 ms pauses: about a dozen fetches in 600 ms, not thousands.
  EXPECT_GE(backend_->v2_fetches(), 5);
  EXPECT_LE(backend_->v2_fetches(), 15);
}

TEST_F(ResultBatchV2Test, AMalformedElementDeliversNothingOfItsResponse) {
  Connection connection(options());
  Cursor cursor = connection.cursor();
  cursor.execute("SELECT malformed");
  EXPECT_THROW((void)cursor.next_batch(), DecodeError);
  try {
    (void)cursor.next_batch();
    FAIL() << "a fetch after a consumed, undecodable response went through";
  } catch (const QueryError& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kResultPositionUnknown) << e.what();
  }
  EXPECT_EQ(backend_->v2_fetches(), 1);
}

TEST_F(ResultBatchV2Test, AFetchThatBrokeAfterRowsWereSeenIsNeverReplayed) {
  Connection connection(options());
  Cursor cursor = connection.cursor();
  cursor.execute("SELECT broken");
  ASSERT_TRUE(cursor.next_batch());
  EXPECT_THROW((void)cursor.next_batch(), ConnectionError);
  EXPECT_EQ(backend_->v2_fetches(), 2) << "the broken fetch was sent once";
  EXPECT_EQ(backend_->executes("SELECT broken"), 1);
  try {
    (void)cursor.next_batch();
    FAIL();
  } catch (const QueryError& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kResultPositionUnknown);
  }
  EXPECT_EQ(backend_->v2_fetches(), 2);
  EXPECT_EQ(backend_->v1_fetches(), 0);
}

TEST_F(ResultBatchV2Test, UnimplementedAfterV2ServedIsAnErrorNotAFallback) {
  Connection connection(options());
  Cursor cursor = connection.cursor();
  cursor.execute("SELECT fickle");
  ASSERT_TRUE(cursor.next_batch());
  EXPECT_THROW((void)cursor.next_batch(), Error);
  EXPECT_EQ(backend_->v1_fetches(), 0) << "V1 would read from an unknown position";
  EXPECT_THROW((void)cursor.next_batch(), QueryError);
}

// A router that accepts green late, with V2: the read begun on the retiring blue is read ahead
// (responses of several chunks) before its first row is handed over; blue's 456 mid-stream makes
// it run again on green, and every row arrives once, in order.
TEST_F(ResultBatchV2Test, A456MidStreamOnARetiringDeploymentLosesNoRow) {
  Connection connection(options());
  {
    Cursor announce = connection.cursor();
    announce.execute("SELECT announce");
    EXPECT_EQ(read_in_order(announce), 50);
  }
  ASSERT_EQ(connection.strategy().pending, "green");
  Cursor cursor = connection.cursor();
  cursor.execute("SELECT retiring");
  EXPECT_EQ(read_in_order(cursor), 50);
  EXPECT_EQ(backend_->executes("SELECT retiring"), 2) << "run again on green";
  EXPECT_EQ(connection.strategy().counters.lost_queries, 0U);
}

TEST_F(ResultBatchV2Test, OffNeverAsksForV2) {
  Connection connection(options("off"));
  Cursor cursor = connection.cursor();
  cursor.execute("SELECT many");
  EXPECT_EQ(read_in_order(cursor), 100);
  EXPECT_EQ(backend_->v2_fetches(), 0);
}

// The round trips of a short query (100 rows), counted at the server, the clear included.
// Before (V1): prepare, execute, metadata, a batch, the empty batch, clear = 6.
// After (V2): prepare, execute, metadata, one response with the rows and the end, clear = 5.
// Round trips on the caller's path per short query (#15 item 4): V2 ends the result in its first
// response (no extra empty fetch), and the clear of a result read to the end is sent off the
// caller's path. The clears are held unanswered at the server while the cursor goes away: were
// the clear the caller's, the cursor's destructor would wait for its answer (10 s here).
TEST_F(ResultBatchV2Test, AShortQueryEndsInItsFirstResponse) {
  int v1 = 0;
  int v2 = 0;
  int clears = 0;
  for (const std::string_view mode : {"off", "auto"}) {
    ConnectionOptions o = options(std::string(mode));
    o.cleanup_timeout = 60s;
    Connection connection(o);
    connection.authenticate();
    backend_->hold_clears(true);
    const int before = backend_->round_trips();
    {
      Cursor cursor = connection.cursor();
      cursor.execute("SELECT small");
      EXPECT_EQ(read_in_order(cursor), 100);
    }
    (mode == "off" ? v1 : v2) = backend_->round_trips() - before;
    EXPECT_EQ(backend_->clears_answered(), clears) << "the caller waited for the clear";
    ++clears;
    EXPECT_TRUE(backend_->wait_for_clears(clears, clears - 1, kSoonForClears))
        << "the clear was sent off the caller's path";
    backend_->hold_clears(false);
    EXPECT_TRUE(backend_->wait_for_clears(clears, clears, kSoonForClears));
  }
  std::printf("round trips on the caller's path per short query: V1 %d, V2 %d (+1 clear each)\n",
              v1, v2);
  EXPECT_EQ(v1, 5);
  EXPECT_EQ(v2, 4);
}

// A non-empty sessionId in a V2 response replaces the session of the query's later fetches and of
// its clear (PROTOCOL.md §5.3), on the caller's path and on the download-ahead's thread alike.
TEST_F(ResultBatchV2Test, AV2ResponseNamingAnotherSessionMovesTheLaterFetchesAndTheClear) {
  for (const int ahead : {0, 2}) {
    ConnectionOptions o = options();
    o.download_ahead = ahead;
    Connection connection(o);
    {
      Cursor cursor = connection.cursor();
      cursor.execute("SELECT resession");
      EXPECT_EQ(read_in_order(cursor), 30);
    }
    connection.close();  // sends the clear handed off by the cursor first
    const auto all = backend_->fetch_sessions();
    ASSERT_EQ(all.size(), ahead == 0 ? 3U : 6U) << "download_ahead " << ahead;
    const std::vector<std::string> fetches(all.end() - 3, all.end());  // this round's
    EXPECT_EQ(fetches[1], "moved-" + fetches[0]) << "download_ahead " << ahead;
    EXPECT_EQ(fetches[2], "moved-" + fetches[0]) << "download_ahead " << ahead;
    const auto clears = backend_->clear_sessions();
    ASSERT_FALSE(clears.empty());
    EXPECT_EQ(clears.back(), "moved-" + fetches[0]) << "download_ahead " << ahead;
  }
}

// Reusing a cursor whose result was read to the end, and closing the connection, send the clear
// too: close() waits for the clears handed off (within the clean-up bound) while the session is
// still its own.
TEST_F(ResultBatchV2Test, ReuseAndCloseClearAResultReadToTheEnd) {
  Connection connection(options());
  Cursor cursor = connection.cursor();
  cursor.execute("SELECT small");
  EXPECT_EQ(read_in_order(cursor), 100);
  cursor.execute("SELECT small");  // the first query is cleared off this path
  EXPECT_TRUE(backend_->wait_for_clears(1, 1, kSoonForClears));
  EXPECT_EQ(read_in_order(cursor), 100);
  cursor.clear();
  connection.close();
  EXPECT_EQ(backend_->clears_answered(), 2) << "close() sent the handed-off clear first";
}

// Download-ahead (#15 item 3): the next responses are fetched while the caller works on the rows
// it has, within a count and a byte budget, one fetch in flight; failures reach the caller at
// their position; cancel, clear, destruction and the call's deadline stop the background fetch.
class DownloadAheadTest : public ResultBatchV2Test {
 protected:
  ConnectionOptions ahead(int responses, std::int64_t bytes = std::int64_t{64} << 20) const {
    ConnectionOptions o = options();
    o.download_ahead = responses;
    o.download_ahead_bytes = bytes;
    return o;
  }
  // How long a fetch that should not happen is given to show up anyway.
  static constexpr auto kQuiet = 300ms;
  static constexpr auto kSoon = 5000ms;
};

TEST_F(DownloadAheadTest, TheNextResponsesAreFetchedWhileTheCallerHoldsItsRows) {
  Connection connection(ahead(2));
  Cursor cursor = connection.cursor();
  cursor.execute("SELECT many");  // three responses
  ASSERT_TRUE(cursor.next_batch());
  // The caller asks for nothing more, and the two other responses arrive at the server.
  EXPECT_TRUE(backend_->wait_for_fetches(3, kSoon));
  std::int64_t expected = 10;
  while (auto batch = cursor.next_batch()) {
    for (const auto v : batch->column(0).values<std::int64_t>()) EXPECT_EQ(v, expected++);
  }
  EXPECT_EQ(expected, 100) << "the rest, in order, after the first 10";
  EXPECT_EQ(backend_->v2_fetches(), 3) << "nothing fetched after the end";
}

TEST_F(DownloadAheadTest, ZeroFetchesOnlyWhenTheCallerAsks) {
  Connection connection(ahead(0));
  Cursor cursor = connection.cursor();
  cursor.execute("SELECT many");
  ASSERT_TRUE(cursor.next_batch());
  EXPECT_FALSE(backend_->wait_for_fetches(2, kQuiet));
  EXPECT_EQ(backend_->v2_fetches(), 1);
}

TEST_F(DownloadAheadTest, TheCountOfResponsesAheadIsABound) {
  Connection connection(ahead(1));
  Cursor cursor = connection.cursor();
  cursor.execute("SELECT big");
  ASSERT_TRUE(cursor.next_batch());
  EXPECT_TRUE(backend_->wait_for_fetches(2, kSoon));
  EXPECT_FALSE(backend_->wait_for_fetches(3, kQuiet)) << "one response ahead at most";
  ASSERT_TRUE(cursor.next_batch());  // takes the response fetched ahead: room for one more
  EXPECT_TRUE(backend_->wait_for_fetches(3, kSoon));
  EXPECT_FALSE(backend_->wait_for_fetches(4, kQuiet));
}

// Each response of "SELECT big" decodes to 9,000 bytes (1,000 LONG values and their null flags).
// With a budget of 20,000 bytes and the caller holding the first response, the query fetches two
// more (9,000 + 9,000 < 20,000, then 27,000 >= 20,000): within the budget plus one response.
TEST_F(DownloadAheadTest, TheByteBudgetHoldsBackTheNextFetch) {
  Connection connection(ahead(10, 20000));
  Cursor cursor = connection.cursor();
  cursor.execute("SELECT big");
  auto first = cursor.next_batch();
  ASSERT_TRUE(first);
  ASSERT_EQ(first->num_rows(), 1000);
  EXPECT_TRUE(backend_->wait_for_fetches(3, kSoon));
  EXPECT_FALSE(backend_->wait_for_fetches(4, kQuiet)) << "the budget is full";
  ASSERT_TRUE(cursor.next_batch());  // the first response is handed over whole: 9,000 freed
  EXPECT_TRUE(backend_->wait_for_fetches(4, kSoon));
  EXPECT_FALSE(backend_->wait_for_fetches(5, kQuiet));
  std::int64_t rows = 2000;
  while (auto batch = cursor.next_batch()) rows += batch->num_rows();
  EXPECT_EQ(rows, 8000);
  EXPECT_EQ(backend_->v2_fetches(), 8);
}

// A fetch that fails in the background is seen where it happened: after every row before it,
// never replayed, and the result's position is unknown from then on.
TEST_F(DownloadAheadTest, AFailureInTheBackgroundReachesTheCallerAtItsPosition) {
  Connection connection(ahead(4));
  Cursor cursor = connection.cursor();
  cursor.execute("SELECT late-break");
  ASSERT_TRUE(cursor.next_batch());
  ASSERT_TRUE(backend_->wait_for_fetches(4, kSoon)) << "the failed fetch was made ahead";
  std::int64_t expected = 10;
  try {
    while (auto batch = cursor.next_batch()) {
      for (const auto v : batch->column(0).values<std::int64_t>()) EXPECT_EQ(v, expected++);
    }
    FAIL() << "the broken fetch was not reported";
  } catch (const ConnectionError&) {
  }
  EXPECT_EQ(expected, 40) << "every row before the failure was delivered first";
  try {
    (void)cursor.next_batch();
    FAIL();
  } catch (const QueryError& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kResultPositionUnknown) << e.what();
  }
  EXPECT_EQ(backend_->v2_fetches(), 4) << "the broken fetch was sent once";
  EXPECT_EQ(backend_->executes("SELECT late-break"), 1);
}

TEST_F(DownloadAheadTest, CancelCutsTheFetchInFlight) {
  Connection connection(ahead(2));
  Cursor cursor = connection.cursor();
  cursor.execute("SELECT stalled");
  ASSERT_TRUE(cursor.next_batch());
  ASSERT_TRUE(backend_->wait_for_fetches(2, kSoon));
  const auto started = Clock::now();
  std::thread([&] { cursor.cancel(); }).join();
  EXPECT_TRUE(backend_->wait_for_cancelled_fetches(1, 2s)) << "the call was cut on the wire";
  EXPECT_LT(Clock::now() - started, 2s);
  EXPECT_THROW((void)cursor.next_batch(), CancelledError);
  EXPECT_EQ(backend_->v2_fetches(), 2);
}

TEST_F(DownloadAheadTest, TheCallersTokenStopsTheWaitForAFetchInFlight) {
  Connection connection(ahead(2));
  Cursor cursor = connection.cursor();
  cursor.execute("SELECT stalled");
  ASSERT_TRUE(cursor.next_batch());
  QueryOptions cancellable;
  cancellable.cancel = std::make_shared<CancellationToken>();
  std::thread canceller([&] {
    (void)backend_->wait_for_fetches(2, kSoon);
    std::this_thread::sleep_for(100ms);  // the caller is waiting by now
    cancellable.cancel->cancel();
  });
  const auto started = Clock::now();
  EXPECT_THROW((void)cursor.next_batch(cancellable), CancelledError);
  canceller.join();
  EXPECT_LT(Clock::now() - started, 2s);
  EXPECT_TRUE(backend_->wait_for_cancelled_fetches(1, 2s));
  EXPECT_THROW((void)cursor.next_batch(), QueryError) << "the cut fetch may have consumed rows";
}

// A token cancelled while no fetch was in flight stops the downloading and consumes nothing: a
// later call without it reads on, every row once, in order.
TEST_F(DownloadAheadTest, AnEarlierCallsTokenLeavesTheResultReadable) {
  Connection connection(ahead(1));
  Cursor cursor = connection.cursor();
  cursor.execute("SELECT big");
  QueryOptions cancellable;
  cancellable.cancel = std::make_shared<CancellationToken>();
  ASSERT_TRUE(cursor.next_batch(cancellable));
  ASSERT_TRUE(backend_->wait_for_fetches(2, kSoon));
  EXPECT_FALSE(backend_->wait_for_fetches(3, kQuiet)) << "one ahead; nothing in flight";
  cancellable.cancel->cancel();
  std::int64_t expected = 1000;
  const auto check = [&](const std::optional<Batch>& batch) {
    ASSERT_TRUE(batch);
    for (const auto v : batch->column(0).values<std::int64_t>()) EXPECT_EQ(v, expected++);
  };
  check(cursor.next_batch(cancellable));  // fetched already: handed over, and nothing more
  EXPECT_FALSE(backend_->wait_for_fetches(3, kQuiet));
  while (auto batch = cursor.next_batch()) check(batch);
  EXPECT_EQ(expected, 8000);
  EXPECT_EQ(backend_->v2_fetches(), 8);
}

TEST_F(DownloadAheadTest, TheCallsDeadlineCutsTheFetchInFlightAndThePositionIsUnknown) {
  Connection connection(ahead(2));
  Cursor cursor = connection.cursor();
  cursor.execute("SELECT stalled");
  ASSERT_TRUE(cursor.next_batch());
  ASSERT_TRUE(backend_->wait_for_fetches(2, kSoon));
  QueryOptions quick;
  quick.timeout = 300ms;
  const auto started = Clock::now();
  EXPECT_THROW((void)cursor.next_batch(quick), TimeoutError);
  EXPECT_LT(Clock::now() - started, 300ms + 700ms) << "the wait kept its deadline";
  EXPECT_TRUE(backend_->wait_for_cancelled_fetches(1, 2s));
  try {
    (void)cursor.next_batch();
    FAIL() << "a fetch after one cut mid-flight went through";
  } catch (const QueryError& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kResultPositionUnknown) << e.what();
  }
  EXPECT_EQ(backend_->v2_fetches(), 2);
}

// The call that started the downloading had a short timeout and ended (the caller works on its
// rows, as the Python package does between batches): the fetches ahead are not cut at that
// timeout, so the result stays readable. Before, the fetch ahead got the first call's 150 ms,
// passed it at the server's 400 ms, and the next next_batch() reported a timeout it never had.
TEST_F(DownloadAheadTest,
       AShortTimeoutOfTheCallThatStartedTheDownloadingDoesNotCutTheFetchesAhead) {
  Connection connection(ahead(2));
  Cursor cursor = connection.cursor();
  cursor.execute("SELECT slowly");
  QueryOptions quick;
  quick.timeout = 150ms;
  std::int64_t expected = 0;
  auto first = cursor.next_batch(quick);
  ASSERT_TRUE(first);
  for (const auto v : first->column(0).values<std::int64_t>()) EXPECT_EQ(v, expected++);
  while (auto batch = cursor.next_batch()) {
    for (const auto v : batch->column(0).values<std::int64_t>()) EXPECT_EQ(v, expected++);
  }
  EXPECT_EQ(expected, 30) << "every row, in order";
  EXPECT_EQ(backend_->v2_fetches(), 3);
}

// A fetch running ahead that passes its own deadline (here the fetches' default, 1 s, against a
// server that answers in 1.5 s) may have consumed rows: the call that finds it reports the
// result's position unknown, not a timeout of its own (its 5 s did not pass).
TEST_F(DownloadAheadTest, AFetchAheadPastItsOwnDeadlineLeavesThePositionUnknownNotATimeout) {
  ConnectionOptions o = ahead(2);
  o.grpc.prepare_timeout = 1s;
  Connection connection(o);
  Cursor cursor = connection.cursor();
  cursor.execute("SELECT slower");
  ASSERT_TRUE(cursor.next_batch());
  QueryOptions patient;
  patient.timeout = 5s;
  const auto started = Clock::now();
  try {
    (void)cursor.next_batch(patient);
    FAIL() << "a fetch past its deadline delivered rows";
  } catch (const QueryError& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kResultPositionUnknown) << e.what();
  }
  EXPECT_LT(Clock::now() - started, 4s);
  try {
    (void)cursor.next_batch();
    FAIL() << "a result whose position is unknown went on";
  } catch (const QueryError& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kResultPositionUnknown) << e.what();
  }
}

// The fetches ahead found nothing ready until their own deadline (1 s here; the server has
// nothing for about 2 s): nothing was consumed, so the call that finds this, with time left of
// its own, reads on within its deadline instead of reporting a timeout it did not have.
TEST_F(DownloadAheadTest, FetchesAheadThatFindNothingReadyUntilTheirDeadlineLeaveTheReadGoingOn) {
  ConnectionOptions o = ahead(2);
  o.grpc.prepare_timeout = 1s;
  Connection connection(o);
  Cursor cursor = connection.cursor();
  cursor.execute("SELECT dawdle");
  std::int64_t expected = 0;
  auto first = cursor.next_batch();  // starts the downloading: the fetches' default, 1 s
  ASSERT_TRUE(first);
  for (const auto v : first->column(0).values<std::int64_t>()) EXPECT_EQ(v, expected++);
  QueryOptions patient;
  patient.timeout = 8s;
  while (auto batch = cursor.next_batch(patient)) {
    for (const auto v : batch->column(0).values<std::int64_t>()) EXPECT_EQ(v, expected++);
  }
  EXPECT_EQ(expected, 20) << "every row, in order";
  EXPECT_EQ(backend_->v2_fetches(), 27) << "each response asked for once";
}

TEST_F(DownloadAheadTest, ClearAndDestructionStopTheFetchInFlightPromptly) {
  Connection connection(ahead(2));
  {
    Cursor cursor = connection.cursor();
    cursor.execute("SELECT stalled");
    ASSERT_TRUE(cursor.next_batch());
    ASSERT_TRUE(backend_->wait_for_fetches(2, kSoon));
    const auto started = Clock::now();
    cursor.clear();
    EXPECT_LT(Clock::now() - started, 1s);
    EXPECT_TRUE(backend_->wait_for_cancelled_fetches(1, 2s));
  }
  const auto started = Clock::now();
  {
    Cursor cursor = connection.cursor();
    cursor.execute("SELECT stalled");
    ASSERT_TRUE(cursor.next_batch());
    ASSERT_TRUE(backend_->wait_for_fetches(4, kSoon));
  }  // destroyed with its fetch in flight
  EXPECT_LT(Clock::now() - started, 2s);
  EXPECT_TRUE(backend_->wait_for_cancelled_fetches(2, 2s));
  EXPECT_EQ(backend_->v2_fetches(), 4);
}

// A switch announced by a response fetched in the background: the query's later fetches still go
// to its own deployment (green refuses every call here), and it finishes there, whole.
TEST_F(DownloadAheadTest, ASwitchAnnouncedMidStreamFinishesOnTheQuerysDeployment) {
  Connection connection(ahead(2));
  Cursor cursor = connection.cursor();
  cursor.execute("SELECT midswitch");
  ASSERT_EQ(connection.strategy().pending, "") << "announced mid-stream, not before";
  EXPECT_EQ(read_in_order(cursor), 30);
  EXPECT_EQ(connection.strategy().pending, "green");
  EXPECT_EQ(backend_->v2_fetches(), 3);
  EXPECT_EQ(backend_->fetches_off_blue(), 0) << "every fetch on the query's deployment";
  EXPECT_EQ(backend_->executes("SELECT midswitch"), 1);
  EXPECT_EQ(connection.strategy().counters.lost_queries, 0U);
}

// V1 responses are fetched ahead the same way (one batch each).
TEST_F(DownloadAheadTest, V1IsFetchedAheadToo) {
  ConnectionOptions o = ahead(3);
  o.result_batch_v2 = "off";
  Connection connection(o);
  Cursor cursor = connection.cursor();
  cursor.execute("SELECT big");
  EXPECT_EQ(read_in_order(cursor), 8000);
  EXPECT_EQ(backend_->v1_fetches(), 81) << "100 rows a batch, then the empty one";
}

class OlderServerTest : public ResultBatchV2Test {
 protected:
  void SetUp() override { start(false); }
};

TEST_F(OlderServerTest, UnimplementedFallsBackToV1OnceForTheDeployment) {
  Connection connection(options());
  for (int i = 0; i < 3; ++i) {
    Cursor cursor = connection.cursor();
    cursor.execute("SELECT many");
    EXPECT_EQ(read_in_order(cursor), 100);
  }
  Connection another(options());  // the same endpoint: the memory is shared
  Cursor cursor = another.cursor();
  cursor.execute("SELECT small");
  EXPECT_EQ(read_in_order(cursor), 100);
  EXPECT_EQ(backend_->v2_fetches(), 1) << "asked once, then remembered";
  EXPECT_EQ(backend_->v1_fetches(), 3 * 2 + 2) << "one batch of 100 rows and the empty one";
}

TEST_F(OlderServerTest, OnMakesUnimplementedAnError) {
  Connection connection(options("on"));
  Cursor cursor = connection.cursor();
  cursor.execute("SELECT small");
  try {
    (void)cursor.next_batch();
    FAIL() << "expected the server's UNIMPLEMENTED";
  } catch (const Error& e) {
    EXPECT_EQ(e.cause(), FailureCause::kUnimplemented) << e.what();
  }
  EXPECT_EQ(backend_->v1_fetches(), 0);
}

}  // namespace
}  // namespace e6data

// The dev server through the generated stubs on 127.0.0.1:0: every client-side RPC of
// PROTOCOL §3 and the ClusterService, with results compared to the same SQL run on SQLite.

#include <atomic>
#include <cmath>
#include <fstream>
#include <thread>

#include "devserver_fixture.hpp"
#include "wire/value_format.hpp"

namespace e6data {
namespace {

using testing::DevServerTest;
using testing::QueryResult;

// Reads `sql` straight from SQLite and requires every cell of `result` to denote the same value.
void expect_matches_sqlite(const std::string& db_path, const std::string& sql,
                           const QueryResult& result) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open_v2(db_path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr), SQLITE_OK)
      << sqlite3_errmsg(db);
  std::size_t batch = 0;
  std::int64_t row = 0;
  std::int64_t compared = 0;
  while (sqlite3_step(stmt) == SQLITE_ROW) {
    while (batch < result.batches.size() && row >= result.batches[batch].num_rows()) {
      ++batch;
      row = 0;
    }
    ASSERT_LT(batch, result.batches.size()) << "the server returned fewer rows than SQLite";
    const Batch& b = result.batches[batch];
    ASSERT_EQ(b.num_columns(), static_cast<std::size_t>(sqlite3_column_count(stmt)));
    for (int c = 0; c < sqlite3_column_count(stmt); ++c) {
      const ColumnView col = b.column(static_cast<std::size_t>(c));
      const bool null = sqlite3_column_type(stmt, c) == SQLITE_NULL;
      ASSERT_EQ(col.is_null(row), null) << sql << " column " << c << " row " << compared;
      if (null) continue;
      const auto* text_ptr = reinterpret_cast<const char*>(sqlite3_column_text(stmt, c));
      const std::string text(text_ptr, static_cast<std::size_t>(sqlite3_column_bytes(stmt, c)));
      switch (col.type()) {
        case VectorType::kLong:
          EXPECT_EQ(col.int64_at(row), sqlite3_column_int64(stmt, c));
          break;
        case VectorType::kInteger:
          EXPECT_EQ(col.int32_at(row), sqlite3_column_int64(stmt, c));
          break;
        case VectorType::kDouble:
          EXPECT_EQ(col.double_at(row), sqlite3_column_double(stmt, c));
          break;
        case VectorType::kBoolean:
          EXPECT_EQ(col.bool_at(row), sqlite3_column_int64(stmt, c) != 0);
          break;
        case VectorType::kBinary:
          EXPECT_EQ(col.string_at(row),
                    std::string_view(static_cast<const char*>(sqlite3_column_blob(stmt, c)),
                                     static_cast<std::size_t>(sqlite3_column_bytes(stmt, c))));
          break;
        case VectorType::kDate:
          EXPECT_EQ(wire::format_date(col.int64_at(row)), text);
          break;
        case VectorType::kDateTime: {
          std::string expected = text;  // stored text may omit the fraction: ...:05Z
          if (expected.size() == 20 && expected.back() == 'Z') expected.insert(19, ".000000");
          EXPECT_EQ(wire::format_timestamp_utc(col.int64_at(row)), expected);
          break;
        }
        case VectorType::kTimestampTz: {
          // Stored as local time with its offset; 'Z' is printed as +00:00 by the formatter.
          const auto value = std::get<TimestampTz>(col.value_at(row));
          std::string expected = text;
          if (!expected.empty() && expected.back() == 'Z') {
            expected.pop_back();
            expected += "+00:00";
          }
          EXPECT_EQ(wire::format_timestamp_at_offset(value.epoch_us, value.offset_seconds),
                    expected);
          EXPECT_EQ(value.zone, text.back() == 'Z' ? "Z" : text.substr(text.size() - 6));
          break;
        }
        case VectorType::kDecimal128: {
          // DECIMAL columns have NUMERIC affinity: SQLite keeps them as INTEGER or REAL. The
          // exact value at the column's scale is the stored number rounded to that scale.
          const Decimal128 d = col.decimal_at(row);
          double scaled = sqlite3_column_double(stmt, c);
          for (int i = 0; i < d.scale; ++i) scaled *= 10;
          EXPECT_EQ(static_cast<std::int64_t>(d.unscaled), std::llround(scaled)) << text;
          break;
        }
        default:
          EXPECT_EQ(col.string_at(row), text);
          break;
      }
    }
    ++row;
    ++compared;
  }
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  EXPECT_EQ(compared, result.rows()) << "the server returned more rows than SQLite for " << sql;
  EXPECT_GT(compared, 0) << sql;
}

std::vector<std::string> metadata_types(const QueryResult& result) {
  std::vector<std::string> types;
  for (const auto& c : result.schema.columns) types.push_back(c.type);
  return types;
}

TEST_F(DevServerTest, AuthenticateRefusesWrongToken) {
  AuthenticateRequest req;
  req.set_user("demo");
  req.set_password("wrong");
  AuthenticateResponse res;
  const grpc::Status st = engine_->authenticate(context().get(), req, &res);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(st.error_message().find("wrong"), std::string::npos) << "the token must not leak";
}

TEST_F(DevServerTest, UnknownSessionIsAccessDenied) {
  PrepareStatementRequest req;
  req.set_sessionid("not-a-session");
  req.set_querystring("SELECT 1");
  PrepareStatementResponse res;
  const grpc::Status st = engine_->prepareStatement(context().get(), req, &res);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INTERNAL);
  EXPECT_NE(st.error_message().find("Access denied"), std::string::npos) << st.error_message();
}

TEST_F(DevServerTest, EveryDemoTableMatchesSqlite) {
  const std::string session = authenticate();
  for (const std::string sql :
       {"SELECT * FROM customers ORDER BY customer_id",
        "SELECT * FROM products ORDER BY product_id", "SELECT * FROM orders ORDER BY order_id",
        "SELECT * FROM line_items ORDER BY order_id, line_no LIMIT 4321",
        "SELECT * FROM order_summary ORDER BY order_id LIMIT 500"}) {
    const QueryResult result = run(session, sql);
    EXPECT_EQ(result.schema.row_count, result.rows()) << sql;
    EXPECT_GT(result.batches.size(), 0u);
    expect_matches_sqlite(server_->database_path(), sql, result);
  }
}

TEST_F(DevServerTest, DeclaredTypesMapToE6dataTypes) {
  const std::string session = authenticate();
  const QueryResult customers = run(session, "SELECT * FROM customers LIMIT 3");
  EXPECT_EQ(metadata_types(customers),
            (std::vector<std::string>{"LONG", "STRING", "STRING", "STRING", "DATE", "BOOLEAN",
                                      "DECIMAL128", "INTEGER", "BINARY"}));
  const QueryResult orders =
      run(session, "SELECT ordered_at, shipped_at, total FROM orders LIMIT 3");
  EXPECT_EQ(metadata_types(orders),
            (std::vector<std::string>{"TIMESTAMP_TZ", "DATETIME", "DECIMAL128"}));
  // Expressions take the storage class of the first row.
  const QueryResult expr =
      run(session, "SELECT count(*), avg(weight_kg), 'x' || name FROM products");
  EXPECT_EQ(metadata_types(expr), (std::vector<std::string>{"LONG", "DOUBLE", "STRING"}));
  expect_matches_sqlite(server_->database_path(),
                        "SELECT count(*), avg(weight_kg), 'x' || name FROM products", expr);
}

TEST_F(DevServerTest, PrepareV2WithCatalogAndParameters) {
  const std::string session = authenticate();
  PrepareStatementV2Request prep;
  prep.set_sessionid(session);
  prep.set_catalog("sqlite");
  prep.set_schema("main");
  prep.set_querystring(
      "SELECT order_id, status FROM orders WHERE customer_id = ? AND status <> ?;");
  PrepareStatementResponse prepared;
  ASSERT_TRUE(engine_->prepareStatementV2(context().get(), prep, &prepared).ok());
  ExecuteStatementV2Request exec;
  exec.set_sessionid(session);
  exec.set_queryid(prepared.queryid());
  auto* p0 = exec.add_params();
  p0->set_index(0);
  p0->set_type("LONG");
  p0->set_value("7");
  auto* p1 = exec.add_params();
  p1->set_index(1);
  p1->set_type("STRING");
  p1->set_value("x'); DROP TABLE orders; --");
  ExecuteStatementResponse executed;
  const grpc::Status st = engine_->executeStatementV2(context().get(), exec, &executed);
  ASSERT_TRUE(st.ok()) << st.error_message();
  const QueryResult result = fetch_all(session, prepared.queryid());
  expect_matches_sqlite(server_->database_path(),
                        "SELECT order_id, status FROM orders WHERE customer_id = 7", result);
  // The hostile parameter stayed a value: the table is still there.
  EXPECT_GT(run(session, "SELECT count(*) FROM orders").rows(), 0);
}

TEST_F(DevServerTest, WrongCatalogIsNotFound) {
  const std::string session = authenticate();
  PrepareStatementV2Request prep;
  prep.set_sessionid(session);
  prep.set_catalog("glue");
  prep.set_querystring("SELECT 1");
  PrepareStatementResponse res;
  EXPECT_EQ(engine_->prepareStatementV2(context().get(), prep, &res).error_code(),
            grpc::StatusCode::NOT_FOUND);
}

TEST_F(DevServerTest, CatalogBrowsingReflectsTheDatabase) {
  const std::string session = authenticate();
  GetSchemaNamesV2Request schemas_req;
  schemas_req.set_sessionid(session);
  schemas_req.set_catalog("sqlite");
  GetSchemaNamesResponse schemas;
  ASSERT_TRUE(engine_->getSchemaNamesV2(context().get(), schemas_req, &schemas).ok());
  EXPECT_EQ(std::vector<std::string>(schemas.schemas().begin(), schemas.schemas().end()),
            std::vector<std::string>{"main"});

  GetTablesRequest tables_req;
  tables_req.set_sessionid(session);
  tables_req.set_schema("main");
  GetTablesResponse tables;
  ASSERT_TRUE(engine_->getTables(context().get(), tables_req, &tables).ok());
  EXPECT_EQ(
      std::vector<std::string>(tables.tables().begin(), tables.tables().end()),
      (std::vector<std::string>{"customers", "line_items", "order_summary", "orders", "products"}));

  GetColumnsV2Request columns_req;
  columns_req.set_sessionid(session);
  columns_req.set_catalog("sqlite");
  columns_req.set_schema("main");
  columns_req.set_table("orders");
  GetColumnsResponse columns;
  ASSERT_TRUE(engine_->getColumnsV2(context().get(), columns_req, &columns).ok());
  std::vector<std::string> described;
  for (const auto& f : columns.fieldinfo())
    described.push_back(f.fieldname() + ":" + f.fieldtype());
  EXPECT_EQ(described, (std::vector<std::string>{"order_id:LONG", "customer_id:LONG",
                                                 "ordered_at:TIMESTAMP_TZ", "shipped_at:DATETIME",
                                                 "status:STRING", "total:DECIMAL128",
                                                 "priority:INTEGER", "note:STRING"}));

  // The V1 forms answer the same.
  GetSchemaNamesRequest schemas_v1;
  schemas_v1.set_sessionid(session);
  GetSchemaNamesResponse schemas_v1_res;
  ASSERT_TRUE(engine_->getSchemaNames(context().get(), schemas_v1, &schemas_v1_res).ok());
  EXPECT_EQ(schemas_v1_res.schemas_size(), 1);
  GetColumnsRequest columns_v1;
  columns_v1.set_sessionid(session);
  columns_v1.set_schema("main");
  columns_v1.set_table("orders");
  GetColumnsResponse columns_v1_res;
  ASSERT_TRUE(engine_->getColumns(context().get(), columns_v1, &columns_v1_res).ok());
  EXPECT_EQ(columns_v1_res.fieldinfo_size(), columns.fieldinfo_size());

  columns_req.set_table("no_such_table");
  EXPECT_EQ(engine_->getColumnsV2(context().get(), columns_req, &columns).error_code(),
            grpc::StatusCode::NOT_FOUND);
  GetTablesV2Request bad_schema;
  bad_schema.set_sessionid(session);
  bad_schema.set_catalog("sqlite");
  bad_schema.set_schema("nope");
  EXPECT_EQ(engine_->getTablesV2(context().get(), bad_schema, &tables).error_code(),
            grpc::StatusCode::NOT_FOUND);
}

TEST_F(DevServerTest, SyntaxErrorReturnsSqliteMessageAndLeavesNothingOpen) {
  const std::string session = authenticate();
  PrepareStatementRequest req;
  req.set_sessionid(session);
  req.set_querystring("SELEC * FROM orders");
  PrepareStatementResponse res;
  const grpc::Status st = engine_->prepareStatement(context().get(), req, &res);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(st.error_message().find("syntax error"), std::string::npos) << st.error_message();
  EXPECT_EQ(server_->status().active_queries, 0);
  req.set_querystring("SELECT * FROM no_such_table");
  EXPECT_NE(
      engine_->prepareStatement(context().get(), req, &res).error_message().find("no such table"),
      std::string::npos);
}

TEST_F(DevServerTest, StatusExplainAndExplainAnalyze) {
  const std::string session = authenticate();
  const std::string id = prepare(session, "SELECT * FROM orders WHERE status = 'shipped'");
  ASSERT_TRUE(execute(session, id).ok());
  StatusRequest status_req;
  status_req.set_sessionid(session);
  status_req.set_queryid(id);
  StatusResponse status;
  ASSERT_TRUE(engine_->status(context().get(), status_req, &status).ok());
  EXPECT_TRUE(status.status());

  ExplainRequest explain_req;
  explain_req.set_sessionid(session);
  explain_req.set_queryid(id);
  ExplainResponse explain;
  ASSERT_TRUE(engine_->explain(context().get(), explain_req, &explain).ok());
  EXPECT_NE(explain.explain().find("SCAN"), std::string::npos) << explain.explain();

  ExplainAnalyzeRequest analyze_req;
  analyze_req.set_sessionid(session);
  analyze_req.set_queryid(id);
  ExplainAnalyzeResponse analyze;
  ASSERT_TRUE(engine_->explainAnalyze(context().get(), analyze_req, &analyze).ok());
  EXPECT_FALSE(analyze.iscached());
  EXPECT_GE(analyze.parsingtime(), 0);
  EXPECT_NE(analyze.explainanalyze().find("rows: " + std::to_string(status.rowcount())),
            std::string::npos)
      << analyze.explainanalyze();
}

TEST_F(DevServerTest, FetchAfterClearIsNotFound) {
  const std::string session = authenticate();
  const std::string id = prepare(session, "SELECT 1");
  ASSERT_TRUE(execute(session, id).ok());
  ClearRequest clear;
  clear.set_sessionid(session);
  clear.set_queryid(id);
  ClearResponse cleared;
  ASSERT_TRUE(engine_->clear(context().get(), clear, &cleared).ok());
  GetNextResultBatchRequest req;
  req.set_sessionid(session);
  req.set_queryid(id);
  GetNextResultBatchResponse res;
  EXPECT_EQ(engine_->getNextResultBatch(context().get(), req, &res).error_code(),
            grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(server_->status().active_queries, 0);
}

TEST_F(DevServerTest, CancelInterruptsARunningQuery) {
  const std::string session = authenticate();
  // Counting this result alone takes minutes: execute blocks until cancelled.
  const std::string id = prepare(session,
                                 "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) "
                                 "SELECT x FROM c LIMIT 5000000000");
  std::atomic<bool> done{false};
  grpc::Status executed;
  std::thread runner([&] {
    executed = execute(session, id);
    done = true;
  });
  CancelQueryRequest cancel;
  cancel.set_sessionid(session);
  cancel.set_queryid(id);
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (!done && std::chrono::steady_clock::now() < give_up) {
    CancelQueryResponse res;
    ASSERT_TRUE(engine_->cancelQuery(context().get(), cancel, &res).ok());
    std::this_thread::yield();
  }
  runner.join();
  EXPECT_EQ(executed.error_code(), grpc::StatusCode::CANCELLED) << executed.error_message();
  ClearOrCancelQueryRequest clear;
  clear.set_sessionid(session);
  clear.set_queryid(id);
  ClearOrCancelQueryResponse cleared;
  EXPECT_TRUE(engine_->clearOrCancelQuery(context().get(), clear, &cleared).ok());
  EXPECT_EQ(server_->status().active_queries, 0);
}

TEST_F(DevServerTest, DryRunValidatesWithoutRunning) {
  const std::string session = authenticate();
  DryRunRequest req;
  req.set_sessionid(session);
  req.set_querystring("DELETE FROM orders");
  DryRunResponse res;
  ASSERT_TRUE(engine_->dryRun(context().get(), req, &res).ok());
  EXPECT_EQ(res.dryrunvalue(), R"({"valid":true})");
  EXPECT_GT(run(session, "SELECT count(*) FROM orders").batches.at(0).column(0).int64_at(0), 0);
  req.set_querystring("SELECT FROM");
  ASSERT_TRUE(engine_->dryRun(context().get(), req, &res).ok());
  EXPECT_NE(res.dryrunvalue().find(R"("valid":false)"), std::string::npos) << res.dryrunvalue();
  DryRunRequestV2 v2;
  v2.set_sessionid(session);
  v2.set_catalog("sqlite");
  v2.set_querystring("SELECT * FROM customers");
  ASSERT_TRUE(engine_->dryRunV2(context().get(), v2, &res).ok());
  EXPECT_EQ(res.dryrunvalue(), R"({"valid":true})");
}

TEST_F(DevServerTest, ClusterServiceReportsActive) {
  ClusterStatusRequest req;
  req.set_user("demo");
  req.set_password("demo");
  ClusterStatusResponse res;
  ASSERT_TRUE(cluster_->status(context().get(), req, &res).ok());
  EXPECT_EQ(res.status(), "active");
  ResumeRequest resume;
  resume.set_user("demo");
  resume.set_password("demo");
  ResumeResponse resumed;
  ASSERT_TRUE(cluster_->resume(context().get(), resume, &resumed).ok());
  EXPECT_EQ(resumed.status(), "active");
  SuspendRequest suspend;
  suspend.set_user("demo");
  suspend.set_password("demo");
  SuspendResponse suspended;
  EXPECT_EQ(cluster_->suspend(context().get(), suspend, &suspended).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  req.set_password("nope");
  EXPECT_EQ(cluster_->status(context().get(), req, &res).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
}

TEST_F(DevServerTest, DrainingStampsNewStrategyOnResponses) {
  const std::string session = authenticate();
  const std::string id = prepare(session, "SELECT 1");
  devserver::SetDrainingRequest drain;
  drain.set_toward("green");
  devserver::AdminStatus admin_status;
  ASSERT_TRUE(admin_->SetDraining(context().get(), drain, &admin_status).ok());
  EXPECT_EQ(admin_status.draining_toward(), "green");
  EXPECT_EQ(admin_status.active_queries(), 1);
  EXPECT_EQ(admin_status.active_sessions(), 1);

  ExecuteStatementRequest req;
  req.set_sessionid(session);
  req.set_queryid(id);
  ExecuteStatementResponse res;
  ASSERT_TRUE(engine_->executeStatement(context().get(), req, &res).ok());
  EXPECT_TRUE(res.has_new_strategy());
  EXPECT_EQ(res.new_strategy(), "green");

  drain.set_toward("blue");  // a deployment cannot drain toward itself
  EXPECT_EQ(admin_->SetDraining(context().get(), drain, &admin_status).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  drain.set_toward("");
  ASSERT_TRUE(admin_->SetDraining(context().get(), drain, &admin_status).ok());
  ASSERT_TRUE(engine_->executeStatement(context().get(), req, &res).ok());
  EXPECT_FALSE(res.has_new_strategy());
}

TEST_F(DevServerTest, HealthCheckAnswers) {
  HealthCheckRequest req;
  HealthCheckResponse res;
  EXPECT_TRUE(engine_->healthCheck(context().get(), req, &res).ok());
}

TEST_F(DevServerTest, EnormousSqlIsRefusedAndServerKeepsServing) {
  const std::string session = authenticate();
  PrepareStatementRequest req;
  req.set_sessionid(session);
  req.set_querystring("SELECT '" + std::string(2u << 20, 'x') + "'");
  PrepareStatementResponse res;
  const grpc::Status st = engine_->prepareStatement(context().get(), req, &res);
  EXPECT_FALSE(st.ok());
  EXPECT_TRUE(st.error_code() == grpc::StatusCode::INVALID_ARGUMENT ||
              st.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED)
      << st.error_code() << " " << st.error_message();
  EXPECT_EQ(run(session, "SELECT 42").batches.at(0).column(0).int64_at(0), 42);
}

TEST_F(DevServerTest, ClientThatDisappearsMidStreamDoesNotDisturbOthers) {
  {
    auto channel = grpc::CreateChannel("127.0.0.1:" + std::to_string(server_->port()),
                                       grpc::InsecureChannelCredentials());
    auto stub = QueryEngineService::NewStub(channel);
    AuthenticateRequest auth;
    auth.set_user("demo");
    auth.set_password("demo");
    AuthenticateResponse session;
    ASSERT_TRUE(stub->authenticate(context().get(), auth, &session).ok());
    PrepareStatementRequest prep;
    prep.set_sessionid(session.sessionid());
    prep.set_querystring("SELECT * FROM line_items");
    PrepareStatementResponse prepared;
    ASSERT_TRUE(stub->prepareStatement(context().get(), prep, &prepared).ok());
    ExecuteStatementRequest exec;
    exec.set_sessionid(session.sessionid());
    exec.set_queryid(prepared.queryid());
    ExecuteStatementResponse executed;
    ASSERT_TRUE(stub->executeStatement(context().get(), exec, &executed).ok());
    GetNextResultBatchRequest fetch;
    fetch.set_sessionid(session.sessionid());
    fetch.set_queryid(prepared.queryid());
    GetNextResultBatchResponse batch;
    ASSERT_TRUE(stub->getNextResultBatch(context().get(), fetch, &batch).ok());
  }  // the client goes away with its query open
  const std::string session = authenticate();
  const QueryResult result = run(session, "SELECT * FROM products ORDER BY product_id");
  expect_matches_sqlite(server_->database_path(), "SELECT * FROM products ORDER BY product_id",
                        result);
}

TEST_F(DevServerTest, ThirtyTwoSessionsRunMixedQueriesAtOnce) {
  const std::vector<std::string> queries = {
      "SELECT * FROM customers ORDER BY customer_id",
      "SELECT order_id, ordered_at, total FROM orders ORDER BY order_id",
      "SELECT * FROM line_items ORDER BY order_id, line_no LIMIT 3000",
      "SELECT category, count(*), sum(weight_kg) FROM products GROUP BY category ORDER BY "
      "category"};
  std::vector<QueryResult> results(32);
  std::vector<std::thread> workers;
  for (int i = 0; i < 32; ++i) {
    workers.emplace_back([&, i] {
      const std::string session = authenticate();
      results[static_cast<std::size_t>(i)] =
          run(session, queries[static_cast<std::size_t>(i) % queries.size()]);
    });
  }
  for (auto& w : workers) w.join();
  for (std::size_t i = 0; i < results.size(); ++i) {
    expect_matches_sqlite(server_->database_path(), queries[i % queries.size()], results[i]);
  }
  EXPECT_EQ(server_->status().active_sessions, 32);
  EXPECT_EQ(server_->status().active_queries, 0);
}

TEST_F(DevServerTest, StreamsAMillionRows) {
  const std::string session = authenticate();
  const std::string sql =
      "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c LIMIT 1000000) "
      "SELECT x, printf('row-%08d', x), x * 0.5 FROM c";
  const std::string id = prepare(session, sql);
  ASSERT_TRUE(execute(session, id).ok());
  std::int64_t rows = 0;
  std::int64_t sum = 0;
  std::size_t batches = 0;
  for (;;) {
    GetNextResultBatchRequest req;
    req.set_sessionid(session);
    req.set_queryid(id);
    GetNextResultBatchResponse res;
    ASSERT_TRUE(engine_->getNextResultBatch(context().get(), req, &res).ok());
    const Batch batch = decode_result_batch(res.resultbatch(), {.expected_columns = 3});
    if (batch.is_end_of_results()) break;
    for (const std::int64_t x : batch.column(0).values<std::int64_t>()) sum += x;
    char expected[32];
    std::snprintf(expected, sizeof expected, "row-%08lld", static_cast<long long>(rows + 1));
    ASSERT_EQ(batch.column(1).string_at(0), expected);
    rows += batch.num_rows();
    ++batches;
  }
  EXPECT_EQ(rows, 1'000'000);
  EXPECT_EQ(sum, 500'000'500'000);
  EXPECT_EQ(batches, 1000u);  // 1,000 rows per batch in this fixture: streamed, not at once
}

}  // namespace
}  // namespace e6data

namespace e6data {
namespace {

// A user's own SQLite file and users file.
class OwnDatabaseTest : public testing::DevServerTest {
 protected:
  void SetUp() override {
    own_dir_ = testing::scratch_dir("own");
    db_path_ = own_dir_ + "/shop.db";
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(db_path_.c_str(), &db), SQLITE_OK);
    ASSERT_EQ(
        sqlite3_exec(
            db,
            "CREATE TABLE items(id INTEGER PRIMARY KEY, label VARCHAR(20), "
            "price NUMERIC(8,3), seen TIMESTAMP, payload BLOB);"
            "INSERT INTO items VALUES (1, 'first', 1.5, '2024-01-02T03:04:05Z', x'00ff');"
            "INSERT INTO items VALUES (2, NULL, 2.125, NULL, NULL);"
            "INSERT INTO items VALUES (3, 'ünïcode', -0.001, '1969-12-31T23:59:59.999999Z', x'');",
            nullptr, nullptr, nullptr),
        SQLITE_OK);
    sqlite3_close(db);
    {
      std::ofstream users(own_dir_ + "/users");
      users << "# name token\nalice s3cret-token\nbob:another\n";
    }
    auto options = default_options();
    options.db_path = db_path_;
    options.users_file = own_dir_ + "/users";
    options.catalog = "shop";
    start(options);
  }
  void TearDown() override {
    DevServerTest::TearDown();
    std::filesystem::remove_all(own_dir_);
  }
  std::string own_dir_;
  std::string db_path_;
};

TEST_F(OwnDatabaseTest, ServesTheFileToItsUsers) {
  AuthenticateRequest req;
  req.set_user("demo");
  req.set_password("demo");
  AuthenticateResponse res;
  EXPECT_EQ(engine_->authenticate(context().get(), req, &res).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);  // the demo user exists only without --users
  const std::string session = authenticate("bob", "another");
  const std::string sql = "SELECT * FROM items ORDER BY id";
  const QueryResult result = run(session, sql);
  EXPECT_EQ(metadata_types(result),
            (std::vector<std::string>{"LONG", "STRING", "DECIMAL128", "DATETIME", "BINARY"}));
  expect_matches_sqlite(db_path_, sql, result);
  EXPECT_EQ(result.batches.at(0).column(2).decimal_at(2).to_string(), "-0.001");
  EXPECT_EQ(server_->database_path(), db_path_);
}

TEST_F(OwnDatabaseTest, WritesArePersistedToTheFile) {
  const std::string session = authenticate("alice", "s3cret-token");
  const std::string id = prepare(session, "INSERT INTO items(id, label) VALUES (4, 'new')");
  ASSERT_TRUE(execute(session, id).ok());
  StatusRequest status_req;
  status_req.set_sessionid(session);
  status_req.set_queryid(id);
  StatusResponse status;
  ASSERT_TRUE(engine_->status(context().get(), status_req, &status).ok());
  EXPECT_EQ(status.rowcount(), 1);  // rows changed
  expect_matches_sqlite(db_path_, "SELECT * FROM items WHERE id = 4",
                        run(session, "SELECT * FROM items WHERE id = 4"));
}

// ---- Result Batch V2 (PROTOCOL.md §5.3) ----

class ResultBatchV2Test : public DevServerTest {
 protected:
  static devserver::DevServerOptions v2_options() {
    auto options = default_options();
    options.batch.max_rows = 10;
    options.v2_chunks_per_response = 3;
    return options;
  }
  void SetUp() override { start(v2_options()); }

  // A query of `rows` rows numbered from 0, executed and described.
  std::string numbers(const std::string& session, int rows) {
    const std::string id =
        prepare(session,
                "WITH RECURSIVE n(v) AS (SELECT 0 UNION ALL SELECT v + 1 FROM n WHERE v + "
                "1 < " +
                    std::to_string(rows) + ") SELECT v FROM n WHERE v < " + std::to_string(rows));
    EXPECT_TRUE(execute(session, id).ok());
    GetResultMetadataRequest meta_req;
    meta_req.set_sessionid(session);
    meta_req.set_queryid(id);
    GetResultMetadataResponse meta;
    EXPECT_TRUE(engine_->getResultMetadata(context().get(), meta_req, &meta).ok());
    return id;
  }

  grpc::Status fetch_v2(const std::string& session, const std::string& id,
                        GetNextResultBatchV2Response& res) {
    GetNextResultBatchRequest req;
    req.set_sessionid(session);
    req.set_queryid(id);
    res.Clear();
    return engine_->getNextResultBatchV2(context().get(), req, &res);
  }

  // The rows of each chunk of `res`, in order, appended to `values`; returns the chunk sizes.
  static std::vector<std::int64_t> read_chunks(const GetNextResultBatchV2Response& res,
                                               std::vector<std::int64_t>& values) {
    std::vector<std::int64_t> sizes;
    for (const auto& chunk : res.resultbatches()) {
      const Batch batch = decode_result_batch(chunk, {.expected_columns = 1});
      sizes.push_back(batch.num_rows());
      for (std::int64_t r = 0; r < batch.num_rows(); ++r) {
        values.push_back(batch.column(0).int64_at(r));
      }
    }
    return sizes;
  }

  std::int64_t result_fetches() {
    devserver::GetStatusRequest req;
    devserver::AdminStatus st;
    EXPECT_TRUE(admin_->GetStatus(context().get(), req, &st).ok());
    return st.result_fetches();
  }
};

TEST_F(ResultBatchV2Test, PacksChunksInOrderAndMarksTheLastResponse) {
  const std::string session = authenticate();
  const std::string id = numbers(session, 45);
  std::vector<std::int64_t> values;
  GetNextResultBatchV2Response res;
  ASSERT_TRUE(fetch_v2(session, id, res).ok());
  EXPECT_EQ(read_chunks(res, values), (std::vector<std::int64_t>{10, 10, 10}));
  EXPECT_FALSE(res.endofstream());
  EXPECT_EQ(res.sessionid(), session);
  ASSERT_TRUE(fetch_v2(session, id, res).ok());
  EXPECT_EQ(read_chunks(res, values), (std::vector<std::int64_t>{10, 5}));
  EXPECT_TRUE(res.endofstream()) << "the last response carries data and the end";
  ASSERT_EQ(values.size(), 45U);
  for (std::size_t i = 0; i < values.size(); ++i) EXPECT_EQ(values[i], static_cast<int>(i));
  EXPECT_EQ(result_fetches(), 2);
}

TEST_F(ResultBatchV2Test, ASmallResultEndsInItsFirstResponse) {
  const std::string session = authenticate();
  const std::string id = numbers(session, 7);
  std::vector<std::int64_t> values;
  GetNextResultBatchV2Response res;
  ASSERT_TRUE(fetch_v2(session, id, res).ok());
  EXPECT_EQ(read_chunks(res, values), (std::vector<std::int64_t>{7}));
  EXPECT_TRUE(res.endofstream());
  EXPECT_EQ(result_fetches(), 1);
}

TEST_F(ResultBatchV2Test, AResultThatFillsItsLastResponseExactlyEndsThere) {
  const std::string session = authenticate();
  const std::string id = numbers(session, 30);  // three full chunks: one full response
  std::vector<std::int64_t> values;
  GetNextResultBatchV2Response res;
  ASSERT_TRUE(fetch_v2(session, id, res).ok());
  EXPECT_EQ(read_chunks(res, values), (std::vector<std::int64_t>{10, 10, 10}));
  EXPECT_TRUE(res.endofstream()) << "no further fetch of nothing";
}

TEST_F(ResultBatchV2Test, AnEmptyResultEndsWithNoChunks) {
  const std::string session = authenticate();
  const std::string id = numbers(session, 0);
  GetNextResultBatchV2Response res;
  ASSERT_TRUE(fetch_v2(session, id, res).ok());
  EXPECT_EQ(res.resultbatches_size(), 0);
  EXPECT_TRUE(res.endofstream());
}

TEST_F(ResultBatchV2Test, ResponsesCarryNewStrategyWhileDraining) {
  const std::string session = authenticate();
  const std::string id = numbers(session, 45);
  GetNextResultBatchV2Response res;
  ASSERT_TRUE(fetch_v2(session, id, res).ok());
  EXPECT_FALSE(res.has_new_strategy());
  server_->set_draining("green");
  ASSERT_TRUE(fetch_v2(session, id, res).ok());
  EXPECT_TRUE(res.has_new_strategy());
  EXPECT_EQ(res.new_strategy(), "green");
}

TEST_F(ResultBatchV2Test, AServerWithoutV2AnswersUnimplementedAndServesV1) {
  server_->shutdown(std::chrono::milliseconds(0));
  server_.reset();  // its demo database file goes with it, before the next one is made
  auto options = v2_options();
  options.result_batch_v2 = false;
  start(options);
  const std::string session = authenticate();
  const std::string id = numbers(session, 15);
  GetNextResultBatchV2Response res;
  EXPECT_EQ(fetch_v2(session, id, res).error_code(), grpc::StatusCode::UNIMPLEMENTED);
  EXPECT_EQ(result_fetches(), 0);
  const QueryResult result = fetch_all(session, id);  // nothing was consumed
  EXPECT_EQ(result.rows(), 15);
}

}  // namespace
}  // namespace e6data

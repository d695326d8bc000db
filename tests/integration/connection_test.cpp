// The connector against the dev server on 127.0.0.1:0: Connection and Cursor end to end.
#include "e6data/connection.hpp"

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>

#include "devserver_fixture.hpp"
#include "e6data/logging.hpp"

namespace e6data {
namespace {

class ConnectorTest : public testing::DevServerTest {
 protected:
  ConnectionOptions options(const std::string& catalog = "sqlite") const {
    ConnectionOptions o;
    o.host = "127.0.0.1";
    o.port = server_->port();
    o.username = "demo";
    o.password = "demo";
    o.catalog = catalog;
    o.database = "main";
    return o;
  }
};

TEST_F(ConnectorTest, ExecuteAndFetchMatchTheServerRowCount) {
  Connection connection(options());
  Cursor cursor = connection.cursor();
  cursor.execute("SELECT customer_id, name, credit_limit FROM customers ORDER BY customer_id;");
  ASSERT_EQ(cursor.description().size(), 3u);
  EXPECT_EQ(cursor.description()[0].name, "customer_id");
  EXPECT_EQ(cursor.description()[2].type, "DECIMAL128");
  const auto first = cursor.fetchone();
  ASSERT_TRUE(first);
  EXPECT_EQ(std::get<std::int64_t>((*first)[0]), 1);
  const auto some = cursor.fetchmany(10);
  EXPECT_EQ(some.size(), 10u);
  const auto rest = cursor.fetchall();
  EXPECT_EQ(static_cast<std::int64_t>(1 + some.size() + rest.size()), cursor.rowcount());
  EXPECT_FALSE(cursor.fetchone());
}

TEST_F(ConnectorTest, BatchesAreColumnarAndZeroCopy) {
  Connection connection(options(""));  // V1 calls
  Cursor cursor = connection.cursor();
  cursor.execute("SELECT order_id FROM orders ORDER BY order_id");
  std::int64_t rows = 0;
  std::int64_t expected = 1;
  while (auto batch = cursor.next_batch()) {
    for (const std::int64_t id : batch->column(0).values<std::int64_t>()) EXPECT_EQ(id, expected++);
    rows += batch->num_rows();
  }
  EXPECT_EQ(rows, cursor.rowcount());
}

// Pieces of SQL syntax, quotes, escapes, control characters and multi-byte UTF-8, glued at
// random: whatever the value, it must come back unchanged and never act as SQL.
std::vector<std::string> hostile_strings(unsigned seed, int count) {
  const std::vector<std::string> pieces = {"'",
                                           "\"",
                                           ";",
                                           "--",
                                           "/*",
                                           "*/",
                                           "\\",
                                           "%",
                                           "_",
                                           "?",
                                           ":a",
                                           "::",
                                           "$1",
                                           ")",
                                           "(",
                                           "\n",
                                           "\r",
                                           "\t",
                                           "\x01",
                                           "a",
                                           "Z",
                                           "0",
                                           " ",
                                           "\xC3\xA9",
                                           "\xF0\x9F\x98\x80",
                                           "''",
                                           "DROP TABLE customers;",
                                           "' OR '1'='1"};
  std::mt19937 rng(seed);
  std::vector<std::string> out;
  for (int trial = 0; trial < count; ++trial) {
    std::string hostile;
    for (std::size_t i = rng() % 40; i > 0; --i) hostile += pieces[rng() % pieces.size()];
    out.push_back(std::move(hostile));
  }
  return out;
}

// With a catalog: typed server-side parameters (V2). Without: SQL literals in the text (V1).
class HostileParameters : public ConnectorTest,
                          public ::testing::WithParamInterface<const char*> {};

// The dev server reads string literals as SQLite does (ANSI: '' inside quotes); the V1 path
// writes them for the dialect the connection declares, and refuses backslashes without one.
ConnectionOptions declared_ansi(ConnectionOptions o) {
  o.string_literals = "ansi";
  return o;
}

TEST_P(HostileParameters, PositionalValuesComeBackUnchanged) {
  Connection connection(declared_ansi(options(GetParam())));
  Cursor cursor = connection.cursor();
  const auto strings = hostile_strings(5, 150);
  for (std::size_t trial = 0; trial < strings.size(); ++trial) {
    const auto n = static_cast<std::int64_t>(trial) - 75;
    cursor.execute("SELECT ? AS echoed, ? AS n /* ? */ -- ?",
                   {std::string_view(strings[trial]), n});
    const auto row = cursor.fetchone();
    ASSERT_TRUE(row);
    EXPECT_EQ(std::get<std::string_view>((*row)[0]), strings[trial]);
    EXPECT_EQ(std::get<std::int64_t>((*row)[1]), n);
    EXPECT_FALSE(cursor.fetchone());
  }
  cursor.execute("SELECT count(*) FROM customers WHERE name = ?",
                 {std::string_view("x' OR '1'='1")});
  EXPECT_EQ(std::get<std::int64_t>((*cursor.fetchone())[0]), 0);
  cursor.execute("SELECT count(*) FROM customers");
  EXPECT_GT(std::get<std::int64_t>((*cursor.fetchone())[0]), 0);  // nothing was dropped
}

TEST_P(HostileParameters, NamedValuesComeBackUnchanged) {
  Connection connection(declared_ansi(options(GetParam())));
  Cursor cursor = connection.cursor();
  for (const auto& hostile : hostile_strings(11, 60)) {
    cursor.execute("SELECT :v AS a, :n AS n, :v AS b, CAST(:n AS TEXT) AS c",
                   NamedParameters{{"v", std::string_view(hostile)}, {"n", std::int64_t{-7}}});
    const auto row = cursor.fetchone();
    ASSERT_TRUE(row);
    EXPECT_EQ(std::get<std::string_view>((*row)[0]), hostile);
    EXPECT_EQ(std::get<std::int64_t>((*row)[1]), -7);
    EXPECT_EQ(std::get<std::string_view>((*row)[2]), hostile);
  }
  EXPECT_THROW(cursor.execute("SELECT :a, :b", NamedParameters{{"a", std::int64_t{1}}}),
               UsageError);
  EXPECT_THROW(cursor.execute("SELECT ?", {std::int64_t{1}, std::int64_t{2}}), UsageError);
}

INSTANTIATE_TEST_SUITE_P(V1AndV2, HostileParameters, ::testing::Values("", "sqlite"),
                         [](const auto& param_info) {
                           return std::string(*param_info.param == 0 ? "V1Literals" : "V2Typed");
                         });

TEST_F(ConnectorTest, NonUtf8StringParameterIsAUsageError) {
  Connection connection(options());
  Cursor cursor = connection.cursor();
  EXPECT_THROW(cursor.execute("SELECT ?", {std::string_view("a\xFF")}), UsageError);
}

TEST_F(ConnectorTest, LogsJsonLinesWithStructuredFieldsToAFile) {
  const auto path = std::filesystem::temp_directory_path() /
                    ("e6data-log-" + std::to_string(::getpid()) + ".jsonl");
  std::filesystem::remove(path);
  {
    auto o = options();
    o.cluster_name = "logging-test";  // an endpoint of its own, so detection runs and logs
    o.logging.format = LogFormat::kJson;
    o.logging.output = path.string();
    configure_logging(o.logging);  // the program owns logging
    Connection connection(o);
    Cursor cursor = connection.cursor();
    cursor.execute("SELECT 1");
    ASSERT_TRUE(cursor.fetchone());
  }
  configure_logging(LoggingOptions{});  // back to text on stderr for the other tests
  std::ifstream in(path);
  std::string line;
  int lines = 0;
  bool saw_detection = false;
  while (std::getline(in, line)) {
    const auto j = nlohmann::json::parse(line);
    ++lines;
    EXPECT_TRUE(j.contains("ts") && j.contains("level") && j.contains("logger") &&
                j.contains("message"))
        << line;
    EXPECT_EQ(line.find("demo\"password"), std::string::npos);
    if (j["logger"] == "e6data.strategy" && j.value("strategy", "") == "blue") saw_detection = true;
  }
  EXPECT_GT(lines, 0);
  EXPECT_TRUE(saw_detection);
  std::filesystem::remove(path);
}

TEST_F(ConnectorTest, UnwritableLogOutputIsAUsageError) {
  LoggingOptions o;
  o.output = "/dev/null/e6data.log";  // under a file: cannot be created
  EXPECT_THROW(configure_logging(o), UsageError);
}

// The library never reconfigures the program's logging behind its back: a connection whose
// options name another output writes nothing there.
TEST_F(ConnectorTest, AConnectionDoesNotReconfigureTheProgramsLogging) {
  const auto path = std::filesystem::temp_directory_path() /
                    ("e6data-log-other-" + std::to_string(::getpid()) + ".log");
  std::filesystem::remove(path);
  configure_logging(LoggingOptions{});
  auto o = options();
  o.cluster_name = "logging-untouched";
  o.logging.output = path.string();
  Connection connection(o);
  Cursor cursor = connection.cursor();
  cursor.execute("SELECT 1");
  ASSERT_TRUE(cursor.fetchone());
  EXPECT_FALSE(std::filesystem::exists(path));
}

TEST_F(ConnectorTest, UnknownTableIsAQueryErrorNamingIt) {
  Connection connection(options());
  Cursor cursor = connection.cursor();
  try {
    cursor.execute("SELECT * FROM no_such_table");
    FAIL() << "an unknown table was accepted";
  } catch (const QueryError& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kQuery);
    EXPECT_NE(e.server_message().find("no_such_table"), std::string::npos) << e.what();
  }
  cursor.execute("SELECT 1");  // the cursor is usable afterwards
  EXPECT_TRUE(cursor.fetchone());
}

TEST_F(ConnectorTest, RowRangeIteratesEveryRow) {
  Connection connection(options(""));
  Cursor cursor = connection.cursor();
  cursor.execute("SELECT count(*) FROM orders");
  const auto expected = std::get<std::int64_t>((*cursor.fetchone())[0]);
  cursor.execute("SELECT order_id FROM orders");
  std::int64_t n = 0;
  for (const Row& row : cursor.rows()) {
    EXPECT_EQ(row.size(), 1U);
    ++n;
  }
  EXPECT_EQ(n, expected);
}

TEST_F(ConnectorTest, BadSqlIsAQueryErrorWithTheServerMessage) {
  Connection connection(options());
  Cursor cursor = connection.cursor();
  try {
    cursor.execute("SELEC 1");
    FAIL();
  } catch (const QueryError& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kQuery);
    EXPECT_NE(e.server_message().find("syntax error"), std::string::npos) << e.what();
  }
  EXPECT_THROW(cursor.execute("SELECT * FROM no_such_table"), QueryError);
  cursor.execute("SELECT 1");  // the cursor is still usable
  EXPECT_EQ(std::get<std::int64_t>((*cursor.fetchone())[0]), 1);
}

TEST_F(ConnectorTest, WrongTokenIsAnAuthenticationError) {
  ConnectionOptions o = options();
  o.password = "not-the-token";
  try {
    Connection::open(o);
    FAIL();
  } catch (const AuthenticationError& e) {
    EXPECT_FALSE(e.is_retryable());
    EXPECT_EQ(std::string(e.what()).find("not-the-token"), std::string::npos);
  }
}

TEST_F(ConnectorTest, InvalidOptionsAreRefusedBeforeDialing) {
  ConnectionOptions o;
  EXPECT_THROW(Connection{o}, UsageError);
}

TEST_F(ConnectorTest, CatalogBrowsing) {
  Connection connection(options());
  EXPECT_EQ(connection.schemas("sqlite"), std::vector<std::string>{"main"});
  EXPECT_EQ(connection.schemas(), std::vector<std::string>{"main"});
  const auto tables = connection.tables("sqlite", "main");
  EXPECT_NE(std::find(tables.begin(), tables.end(), "orders"), tables.end());
  const auto columns = connection.columns("sqlite", "main", "customers");
  ASSERT_FALSE(columns.empty());
  EXPECT_EQ(columns[0].name, "customer_id");
  EXPECT_EQ(columns[0].type, "LONG");
  EXPECT_THROW(connection.columns("sqlite", "main", "nope"), QueryError);
  EXPECT_EQ(connection.dry_run("SELECT 1;"), R"({"valid":true})");
}

TEST_F(ConnectorTest, StatusExplainCancelAndClear) {
  Connection connection(options());
  Cursor cursor = connection.cursor();
  cursor.execute("SELECT * FROM orders WHERE status = 'shipped'");
  EXPECT_TRUE(cursor.status().finished);
  EXPECT_EQ(cursor.status().row_count, cursor.rowcount());
  EXPECT_NE(cursor.explain().find("SCAN"), std::string::npos);
  const auto analyzed = cursor.explain_analyze();
  EXPECT_FALSE(analyzed.is_cached);
  EXPECT_NE(analyzed.plan.find("rows:"), std::string::npos);
  cursor.cancel();
  EXPECT_THROW(cursor.next_batch(), CancelledError);
  cursor.clear();
  EXPECT_TRUE(cursor.query_id().empty());
  EXPECT_THROW(cursor.next_batch(), UsageError);
  EXPECT_EQ(server_->status().active_queries, 0);
}

TEST_F(ConnectorTest, DestroyedCursorReleasesItsQuery) {
  Connection connection(options());
  {
    Cursor cursor = connection.cursor();
    cursor.execute("SELECT * FROM line_items");
    (void)cursor.next_batch();
    EXPECT_EQ(server_->status().active_queries, 1);
  }
  EXPECT_EQ(server_->status().active_queries, 0);
}

TEST_F(ConnectorTest, ReauthenticatesWhenTheServerForgotTheSession) {
  Connection connection(options());
  Cursor cursor = connection.cursor();
  cursor.execute("SELECT 1");
  cursor.clear();
  // A new server on the same port knows none of the old sessions: "Access denied".
  const int port = server_->port();
  server_->shutdown(std::chrono::milliseconds(0));
  server_.reset();
  auto again = default_options();
  again.port = port;
  again.data_dir = dir_;
  server_ = std::make_unique<devserver::DevServer>(again);
  server_->start();
  cursor.execute("SELECT 2");
  EXPECT_EQ(std::get<std::int64_t>((*cursor.fetchone())[0]), 2);
}

TEST_F(ConnectorTest, ServerGoneIsAConnectionError) {
  Connection connection(options());
  Cursor cursor = connection.cursor();
  server_->shutdown(std::chrono::milliseconds(0));
  server_.reset();
  try {
    cursor.execute("SELECT 1");
    FAIL();
  } catch (const ConnectionError& e) {
    EXPECT_TRUE(e.is_retryable());
  }
}

TEST_F(ConnectorTest, ClosedConnectionRefusesUse) {
  Connection connection(options());
  connection.close();
  connection.close();  // idempotent
  EXPECT_FALSE(connection.is_open());
  EXPECT_THROW(connection.schemas(), UsageError);
  EXPECT_THROW(connection.cursor(), UsageError);
}

// Result Batch V2 against the real dev server: batches of 50 rows, 8 per response. The orders
// table's rows arrive in order, in far fewer fetches than batches; a server without V2 is read
// with V1 after one refused ask.
TEST_F(ConnectorTest, ResultBatchV2ReadsEveryRowInFewerFetches) {
  for (const bool server_offers_v2 : {true, false}) {
    server_->shutdown(std::chrono::milliseconds(0));
    server_.reset();  // its demo database file goes with it, before the next one is made
    auto server_options = default_options();
    server_options.result_batch_v2 = server_offers_v2;
    server_options.batch.max_rows = 50;  // 1000 orders: 20 batches
    start(server_options);
    ConnectionOptions o = options("");
    o.result_batch_v2 = "auto";
    Connection connection(o);
    std::int64_t batches = 0;
    for (int round = 0; round < 2; ++round) {
      Cursor cursor = connection.cursor();
      cursor.execute("SELECT order_id FROM orders ORDER BY order_id");
      std::int64_t expected = 1;
      while (auto batch = cursor.next_batch()) {
        for (const std::int64_t id : batch->column(0).values<std::int64_t>()) {
          ASSERT_EQ(id, expected++);
        }
        ++batches;
      }
      EXPECT_EQ(expected - 1, cursor.rowcount());
    }
    const std::int64_t fetches = server_->status().result_fetches;
    ASSERT_GT(batches, 16) << "the test needs results of several V2 responses";
    if (server_offers_v2) {
      EXPECT_LE(fetches, 2 * ((batches / 2 + 7) / 8)) << "several chunks per fetch";
    } else {
      EXPECT_EQ(fetches, batches + 2) << "V1: a batch per fetch and the empty one";
    }
  }
}

// Download-ahead against the real dev server, with both fetch forms and a byte budget smaller
// than one response: every row once, in order, and no more fetches than the blocking path makes.
TEST_F(ConnectorTest, DownloadAheadReadsEveryRowInOrderWithEitherFetchForm) {
  server_->shutdown(std::chrono::milliseconds(0));
  server_.reset();
  auto server_options = default_options();
  server_options.batch.max_rows = 50;  // 1000 orders: 20 batches
  start(server_options);
  for (const char* form : {"off", "on"}) {
    std::int64_t fetches[2] = {0, 0};
    for (const int ahead : {0, 2}) {
      ConnectionOptions o = options("");
      o.result_batch_v2 = form;
      o.download_ahead = ahead;
      o.download_ahead_bytes = 1024;
      Connection connection(o);
      const std::int64_t before = server_->status().result_fetches;
      Cursor cursor = connection.cursor();
      cursor.execute("SELECT order_id FROM orders ORDER BY order_id");
      std::int64_t expected = 1;
      while (auto batch = cursor.next_batch()) {
        for (const std::int64_t id : batch->column(0).values<std::int64_t>()) {
          ASSERT_EQ(id, expected++) << form << ", download_ahead " << ahead;
        }
      }
      EXPECT_EQ(expected - 1, 1000) << form << ", download_ahead " << ahead;
      fetches[ahead == 0 ? 0 : 1] = server_->status().result_fetches - before;
    }
    EXPECT_EQ(fetches[1], fetches[0]) << form << ": the same fetches, made earlier";
  }
}

}  // namespace
}  // namespace e6data

// Cursor::batches() against the dev server on 127.0.0.1:0: every row once and in order, with
// download-ahead on and off and either fetch form; errors from the iterator's increment; misuse
// refused loudly.
#include <memory>
#include <string>
#include <tuple>
#include <vector>

#include "devserver_fixture.hpp"
#include "e6data/connection.hpp"

namespace e6data {
namespace {

// 10,000 line items in batches of 50: 200 batches, 25 V2 responses of 8 chunks. Far more than
// download-ahead holds (2 responses), so a failure part-way is met by a real fetch.
constexpr std::int64_t kRowsPerBatch = 50;
constexpr const char* kLineItems =
    "SELECT order_id, line_no, quantity, unit_price, discount, ship_date, returned "
    "FROM line_items ORDER BY order_id, line_no";

class BatchRangeTest : public testing::DevServerTest {
 protected:
  void SetUp() override {
    auto server_options = default_options();
    server_options.batch.max_rows = kRowsPerBatch;
    start(server_options);
  }

  ConnectionOptions options(int download_ahead, const char* result_batch_v2 = "auto") const {
    ConnectionOptions o;
    o.host = "127.0.0.1";
    o.port = server_->port();
    o.username = "demo";
    o.password = "demo";
    o.catalog = "sqlite";
    o.database = "main";
    o.download_ahead = download_ahead;
    o.result_batch_v2 = result_batch_v2;
    return o;
  }
};

// Parameters: download_ahead (responses) and result_batch_v2.
class BatchRangeReads : public BatchRangeTest,
                        public ::testing::WithParamInterface<std::tuple<int, const char*>> {
 protected:
  ConnectionOptions param_options() const {
    return options(std::get<0>(GetParam()), std::get<1>(GetParam()));
  }
};

TEST_P(BatchRangeReads, YieldsEveryRowOnceInOrderAsFetchallDoes) {
  Connection connection(param_options());
  Cursor expected_cursor = connection.cursor();
  expected_cursor.execute(kLineItems);
  const std::vector<Row> expected = expected_cursor.fetchall();
  ASSERT_GT(expected.size(), 20U * static_cast<std::size_t>(kRowsPerBatch));

  Cursor cursor = connection.cursor();
  cursor.execute(kLineItems);
  std::vector<Batch> kept;  // copies outlive the loop and the cursor's later reads
  for (const Batch& batch : cursor.batches()) {
    ASSERT_GT(batch.num_rows(), 0);
    ASSERT_EQ(batch.num_columns(), cursor.description().size());
    kept.push_back(batch);
  }
  EXPECT_FALSE(cursor.next_batch()) << "the range read the result to its end";
  EXPECT_TRUE(cursor.batches().begin() == cursor.batches().end()) << "nothing is left";

  EXPECT_GT(kept.size(), 20U);
  std::size_t i = 0;
  for (const Batch& batch : kept) {
    for (const RowView row : batch.rows()) {
      ASSERT_LT(i, expected.size()) << "more rows than fetchall()";
      for (std::size_t c = 0; c < row.size(); ++c) {
        ASSERT_EQ(row.to_string(c), expected[i].to_string(c)) << "row " << i << ", column " << c;
      }
      ++i;
    }
  }
  EXPECT_EQ(i, expected.size());
}

TEST_P(BatchRangeReads, AnEmptyResultYieldsNoBatch) {
  Connection connection(param_options());
  Cursor cursor = connection.cursor();
  cursor.execute("SELECT order_id, total FROM orders WHERE order_id < 0");
  int batches = 0;
  for (const Batch& batch : cursor.batches()) {
    (void)batch;
    ++batches;
  }
  EXPECT_EQ(batches, 0);
  EXPECT_EQ(cursor.description().size(), 2U);
}

// The caller's token, cancelled after the first batch: the batches already at hand come out,
// then the increment throws CancelledError; the loop never reaches the end of the result.
TEST_P(BatchRangeReads, ACancelledTokenIsACancelledErrorFromTheIncrement) {
  Connection connection(param_options());
  Cursor cursor = connection.cursor();
  cursor.execute(kLineItems);
  QueryOptions cancellable;
  cancellable.cancel = std::make_shared<CancellationToken>();
  auto range = cursor.batches(cancellable);
  auto it = range.begin();
  ASSERT_NE(it, range.end());
  cancellable.cancel->cancel();
  std::int64_t rows = it->num_rows();
  try {
    for (++it; it != range.end(); ++it) rows += it->num_rows();
    FAIL() << "the loop ended without an error after " << rows << " rows";
  } catch (const CancelledError& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kCancelled) << e.what();
  }
  EXPECT_LT(rows, 10 * kRowsPerBatch * 8) << "at most the responses at hand";
  cursor.execute("SELECT 1");  // the cursor is usable afterwards
  EXPECT_TRUE(cursor.fetchone());
}

// Connection::close() after the first batch: the next step is refused, batches at hand or not.
TEST_P(BatchRangeReads, AClosedConnectionIsAUsageErrorFromTheIncrement) {
  Connection connection(param_options());
  Cursor cursor = connection.cursor();
  cursor.execute(kLineItems);
  auto range = cursor.batches();
  auto it = range.begin();
  ASSERT_NE(it, range.end());
  connection.close();
  EXPECT_THROW(++it, UsageError);
  EXPECT_THROW((void)cursor.batches(), UsageError);
}

// The server goes away part-way: the failure of a fetch reaches the loop as a typed error once the
// rows before it were handed over, and later steps say the position is unknown.
TEST_P(BatchRangeReads, AServerGonePartWayIsATypedErrorFromTheIncrement) {
  ConnectionOptions o = param_options();
  o.cleanup_timeout = std::chrono::milliseconds(0);  // nothing to clear on a stopped server
  Connection connection(o);
  Cursor cursor = connection.cursor();
  cursor.execute(kLineItems);
  auto range = cursor.batches();
  auto it = range.begin();
  ASSERT_NE(it, range.end());
  server_->shutdown(std::chrono::milliseconds(0));
  server_.reset();
  std::int64_t rows = it->num_rows();
  try {
    for (++it; it != range.end(); ++it) rows += it->num_rows();
    FAIL() << "the loop ended without an error after " << rows << " rows";
  } catch (const Error& e) {
    // No server to reach: ConnectionError. A fetch in flight when the server stopped is cut by
    // the server, which answers CANCELLED: CancelledError.
    EXPECT_TRUE(e.kind() == ErrorKind::kConnection || e.kind() == ErrorKind::kCancelled)
        << to_string(e.kind()) << ": " << e.what();
  }
  EXPECT_LT(rows, 10 * kRowsPerBatch * 8);
  try {
    ++it;
    FAIL() << "a step after a fetch that may have consumed rows went through";
  } catch (const QueryError& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kResultPositionUnknown) << e.what();
  }
}

INSTANTIATE_TEST_SUITE_P(
    DownloadAheadAndFetchForm, BatchRangeReads,
    ::testing::Combine(::testing::Values(0, 2), ::testing::Values("off", "on")),
    [](const auto& param_info) {
      return std::string("Ahead") + std::to_string(std::get<0>(param_info.param)) + "V2" +
             (std::string(std::get<1>(param_info.param)) == "on" ? "On" : "Off");
    });

TEST_F(BatchRangeTest, AMovedFromCursorIsAUsageError) {
  Connection connection(options(2));
  Cursor cursor = connection.cursor();
  cursor.execute(kLineItems);
  auto range = cursor.batches();  // taken before the move: it still refers to `cursor`
  Cursor moved = std::move(cursor);
  EXPECT_THROW((void)cursor.batches(), UsageError);  // NOLINT(bugprone-use-after-move)
  EXPECT_THROW((void)range.begin(), UsageError);
  std::int64_t rows = 0;
  for (const Batch& batch : moved.batches()) rows += batch.num_rows();
  EXPECT_EQ(rows, moved.rowcount()) << "the result moved with the cursor";
}

// A batch begun by fetchone() still holds unread rows: the range would hand over the batches
// after it first, so it is refused; once those rows are read, the range reads on.
TEST_F(BatchRangeTest, UnreadRowsOfAFetchoneBatchAreAUsageError) {
  Connection connection(options(2));
  Cursor cursor = connection.cursor();
  cursor.execute("SELECT order_id FROM orders ORDER BY order_id");
  ASSERT_TRUE(cursor.fetchone());
  try {
    (void)cursor.batches();
    FAIL() << "expected UsageError";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find(std::to_string(kRowsPerBatch - 1) + " row(s)"),
              std::string::npos)
        << e.what();
  }
  EXPECT_EQ(cursor.fetchmany(kRowsPerBatch - 1).size(),
            static_cast<std::size_t>(kRowsPerBatch - 1));
  std::int64_t next = kRowsPerBatch + 1;
  for (const Batch& batch : cursor.batches()) {
    for (const std::int64_t id : batch.column(0).values<std::int64_t>()) ASSERT_EQ(id, next++);
  }
  EXPECT_EQ(next - 1, cursor.rowcount());
}

}  // namespace
}  // namespace e6data

#pragma once
/// \file
/// \brief Cursor: runs statements and reads their results.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "e6data/batch.hpp"
#include "e6data/schema.hpp"
#include "e6data/values.hpp"

namespace e6data {

namespace detail {
struct ConnectionState;
}

/// \brief Values for the `:name` placeholders of a statement, in any order.
using NamedParameters = std::vector<std::pair<std::string, Value>>;

/// \brief One row that keeps its batch alive (the owning form of RowView).
class Row {
 public:
  Row(Batch batch, std::int64_t index) : batch_(std::move(batch)), index_(index) {}
  /// \brief Number of cells.
  std::size_t size() const noexcept { return batch_.num_columns(); }
  /// \brief Cell `column`. \throws UsageError if out of range.
  /// \warning string views in the Value are valid while this Row (or its batch) lives.
  Value operator[](std::size_t column) const { return batch_.row(index_)[column]; }
  /// \brief Display text of cell `column`.
  std::string to_string(std::size_t column) const { return batch_.row(index_).to_string(column); }

 private:
  Batch batch_;
  std::int64_t index_;
};

/// \brief The status of a query.
struct QueryStatus {
  bool finished = false;  ///< the query has finished executing
  std::int64_t row_count = 0;
};

/// \brief What explain_analyze() reports.
struct ExplainAnalyzeResult {
  std::string plan;
  bool is_cached = false;
  std::int64_t parsing_time_ms = 0;
  std::int64_t queueing_time_ms = 0;
};

/// \brief Runs one statement at a time on a Connection's session and reads its result.
///
/// execute() prepares, executes and reads the result metadata; the result is then read batch by
/// batch (next_batch(), zero-copy) or row by row (fetchone/fetchmany/fetchall). A cursor
/// destroyed with a query still open releases it on the server (best effort).
/// \warning Thread safety: a Cursor is used by one thread at a time; cancel() is the exception
/// and may be called from another thread.
class Cursor {
 public:
  Cursor(std::shared_ptr<detail::ConnectionState> connection, std::string catalog,
         std::string database);
  ~Cursor();
  Cursor(Cursor&&) noexcept;
  Cursor& operator=(Cursor&&) noexcept;
  Cursor(const Cursor&) = delete;
  Cursor& operator=(const Cursor&) = delete;

  /// \brief Runs `sql` (a trailing semicolon is removed). `parameters` bind to the `?` of the
  /// statement in order. With a catalog they are sent as typed values with the V2 calls; without
  /// one (the V1 calls carry no parameters) each becomes a SQL literal that denotes exactly the
  /// value and cannot end early (quotes doubled; NUL bytes, invalid UTF-8 and NaN refused).
  /// Clears the previous query of this cursor first.
  ///
  /// During a blue-green switch the query runs on the deployment it was prepared on. If that
  /// deployment (or its session) goes away before the caller has seen a row of a read, the
  /// statement is run again on the new deployment without the caller noticing; otherwise the
  /// call throws QueryError with kind kStrategyChanged. A statement that may write is never run
  /// twice unless it is known not to have run.
  /// \throws QueryError (bad SQL, kStrategyChanged...), AuthenticationError, ConnectionError,
  /// TimeoutError, ClusterSuspendedError; UsageError for a placeholder count mismatch or a value
  /// that has no literal
  void execute(std::string_view sql, const std::vector<Value>& parameters = {});
  /// \brief Runs `sql` with `:name` placeholders (`::` casts are left alone); each name may
  /// appear several times. As execute() above.
  /// \throws UsageError naming a placeholder without a value or a value without a placeholder
  void execute(std::string_view sql, const NamedParameters& parameters);

  /// \brief The result's columns (name and type), from the result metadata.
  const std::vector<ColumnInfo>& description() const;
  /// \brief The row count the server reported for the result (-1 when unknown).
  std::int64_t rowcount() const;

  /// \brief The next batch of the result, or nullopt once exhausted.
  std::optional<Batch> next_batch();
  /// \brief The next row, or nullopt once exhausted.
  std::optional<Row> fetchone();
  /// \brief Up to `n` more rows.
  std::vector<Row> fetchmany(std::size_t n);
  /// \brief All remaining rows.
  std::vector<Row> fetchall();

  /// \brief Reads the remaining rows one by one: `for (const Row& row : cursor.rows())`.
  class RowRange {
   public:
    class iterator {
     public:
      using iterator_category = std::input_iterator_tag;
      using value_type = Row;
      using difference_type = std::ptrdiff_t;
      using pointer = const Row*;
      using reference = const Row&;
      iterator() = default;
      explicit iterator(Cursor* cursor) : cursor_(cursor) { ++*this; }
      const Row& operator*() const { return *row_; }
      const Row* operator->() const { return &*row_; }
      iterator& operator++() {
        row_ = cursor_->fetchone();
        if (!row_) cursor_ = nullptr;
        return *this;
      }
      friend bool operator==(const iterator& a, const iterator& b) {
        return a.cursor_ == b.cursor_;
      }

     private:
      Cursor* cursor_ = nullptr;
      std::optional<Row> row_;
    };
    explicit RowRange(Cursor* cursor) : cursor_(cursor) {}
    iterator begin() { return iterator(cursor_); }
    iterator end() { return iterator(); }

   private:
    Cursor* cursor_;
  };
  /// \brief The remaining rows as a range (input iterators that call fetchone()).
  RowRange rows() { return RowRange(this); }

  /// \brief The server's status of the query.
  QueryStatus status();
  /// \brief The query plan.
  std::string explain();
  /// \brief Plan and timings of the query run to completion.
  ExplainAnalyzeResult explain_analyze();
  /// \brief Asks the server to cancel the query (may be called from another thread).
  void cancel();
  /// \brief Releases the query on the server. Idempotent.
  void clear();
  /// \brief The server's id of the current query (empty when none): for logs and support.
  const std::string& query_id() const noexcept;

 private:
  struct State;
  std::unique_ptr<State> s_;
};

}  // namespace e6data

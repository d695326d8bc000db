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
#include "e6data/query_options.hpp"
#include "e6data/schema.hpp"
#include "e6data/values.hpp"

namespace e6data {

namespace detail {
struct ConnectionState;
class Query;
}  // namespace detail

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
  /// \brief Clears the open query on the server, best effort, within the connection's
  /// cleanup_timeout; never throws.
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
  /// A statement whose execute failed after it may have reached a deployment (the connection or
  /// session broke under it) throws QueryError kOutcomeUnknown and is never sent again.
  /// \param options the call's deadline (default: grpc.prepare_timeout) and cancellation
  /// \throws QueryError (bad SQL, kStrategyChanged, kOutcomeUnknown...), AuthenticationError,
  /// ConnectionError, TimeoutError, CancelledError, ClusterSuspendedError; UsageError for a
  /// placeholder count mismatch, a value that has no literal, a closed connection or a
  /// moved-from cursor
  void execute(std::string_view sql, const std::vector<Value>& parameters = {},
               const QueryOptions& options = {});
  /// \brief Runs `sql` without parameters, with per-call options. As execute() above.
  void execute(std::string_view sql, const QueryOptions& options) {
    execute(sql, std::vector<Value>{}, options);
  }
  /// \brief Runs `sql` with `:name` placeholders (`::` casts are left alone); each name may
  /// appear several times. As execute() above.
  /// \throws UsageError naming a placeholder without a value or a value without a placeholder
  void execute(std::string_view sql, const NamedParameters& parameters,
               const QueryOptions& options = {});

  /// \brief The result's columns (name and type), from the result metadata.
  [[nodiscard]] const std::vector<ColumnInfo>& description() const;
  /// \brief The row count the server reported for the result (-1 when unknown).
  [[nodiscard]] std::int64_t rowcount() const;

  /// \brief The next batch of the result, or nullopt once exhausted.
  ///
  /// A fetch that fails in a way that may have consumed rows on the server (a deadline, a broken
  /// connection, an undecodable batch...) throws its error; later fetches then throw QueryError
  /// kResultPositionUnknown without a call, so no row is ever skipped silently. A read whose rows
  /// were not yet seen is run again instead when its deployment or session went away.
  /// \param options the call's deadline (default: grpc.prepare_timeout) and cancellation
  /// \throws as execute(); QueryError kResultPositionUnknown as above
  [[nodiscard]] std::optional<Batch> next_batch(const QueryOptions& options = {});
  /// \brief The next row, or nullopt once exhausted. \throws as next_batch()
  [[nodiscard]] std::optional<Row> fetchone(const QueryOptions& options = {});
  /// \brief Up to `n` more rows. \throws as next_batch()
  [[nodiscard]] std::vector<Row> fetchmany(std::size_t n, const QueryOptions& options = {});
  /// \brief All remaining rows. \throws as next_batch()
  [[nodiscard]] std::vector<Row> fetchall(const QueryOptions& options = {});

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

  /// \brief Reads the remaining batches one by one: `for (const Batch& batch : cursor.batches())`.
  ///
  /// Each step of the iterator is one next_batch() with the range's QueryOptions; batches
  /// without rows are passed over, so every batch it yields has at least one row and an empty
  /// result yields none.
  /// \warning The iterators hold a pointer to the Cursor: it must outlive them and not move
  /// while they are in use.
  class BatchRange {
   public:
    /// \brief An input iterator over the remaining batches; equal to end() once exhausted.
    class iterator {
     public:
      using iterator_category = std::input_iterator_tag;
      using value_type = Batch;
      using difference_type = std::ptrdiff_t;
      using pointer = const Batch*;
      using reference = const Batch&;
      iterator() = default;
      /// \brief Reads the first batch. \throws as Cursor::next_batch()
      iterator(Cursor* cursor, QueryOptions options)
          : cursor_(cursor), options_(std::move(options)) {
        ++*this;
      }
      /// \brief The current batch (cheap to copy: copies share its storage).
      const Batch& operator*() const { return *batch_; }
      const Batch* operator->() const { return &*batch_; }
      /// \brief Reads the next batch. \throws as Cursor::next_batch(); the iterator is then
      /// unchanged (still at the batch before), and the cursor's rules after a failed fetch hold
      iterator& operator++() {
        std::optional<Batch> next;
        do {
          next = cursor_->next_batch(options_);
        } while (next && next->num_rows() == 0);
        batch_ = std::move(next);
        if (!batch_) cursor_ = nullptr;
        return *this;
      }
      friend bool operator==(const iterator& a, const iterator& b) {
        return a.cursor_ == b.cursor_;
      }

     private:
      Cursor* cursor_ = nullptr;
      QueryOptions options_;
      std::optional<Batch> batch_;
    };
    BatchRange(Cursor* cursor, QueryOptions options)
        : cursor_(cursor), options_(std::move(options)) {}
    /// \brief Reads the first batch. \throws as Cursor::next_batch()
    iterator begin() { return iterator(cursor_, options_); }
    iterator end() { return iterator(); }

   private:
    Cursor* cursor_;
    QueryOptions options_;
  };
  /// \brief The remaining batches of the result as a range: the fast path for bulk reads.
  ///
  /// `for (const e6data::Batch& batch : cursor.batches()) { ... }` reads the whole result batch by
  /// batch. Columns are zero-copy (ColumnView::values<T>() spans over the decoded storage), and
  /// with download-ahead on (ConnectionOptions::download_ahead, e.g. 2) the next responses are
  /// fetched and decoded in the background while the loop body works on the current batch, within
  /// download_ahead_bytes of memory. Prefer it to fetchall() or rows() for large results: no
  /// per-row objects, no copy of the values.
  ///
  /// Each step calls next_batch(options), so its errors and rules are next_batch()'s: a failed
  /// fetch throws its typed error from the iterator's increment (or from begin() for the first
  /// batch), and later fetches then throw QueryError kResultPositionUnknown where rows may have
  /// been consumed. Every batch has at least one row; an empty result yields none. A Batch the
  /// loop keeps (a copy) stays valid after the loop and after the cursor moves on.
  /// \param options each fetch's deadline (default: grpc.prepare_timeout) and cancellation; a
  /// cancelled token ends the loop with CancelledError once the batches already at hand are read
  /// \return an input range; begin() reads the first batch
  /// \throws UsageError on a moved-from cursor, a closed connection, or when rows of a batch begun
  /// by fetchone()/fetchmany() are still unread (the range would hand over later rows first)
  /// \warning The range and its iterators refer to this Cursor: it must outlive them, and stay in
  /// place (not moved) while they are used. One thread at a time, as the Cursor.
  [[nodiscard]] BatchRange batches(const QueryOptions& options = {});

  /// \brief The server's status of the query. \param options default deadline: call_timeout
  /// \throws the typed errors; UsageError without a query
  [[nodiscard]] QueryStatus status(const QueryOptions& options = {});
  /// \brief The query plan. \throws as status()
  [[nodiscard]] std::string explain(const QueryOptions& options = {});
  /// \brief Plan and timings of the query run to completion. \throws as status()
  [[nodiscard]] ExplainAnalyzeResult explain_analyze(const QueryOptions& options = {});
  /// \brief Asks the server to cancel the query and releases its claim on its deployment; wins
  /// over a transparent re-run in progress. May be called from another thread.
  /// \throws UsageError when no statement was ever executed; the call's typed errors
  void cancel(const QueryOptions& options = {});
  /// \brief Releases the query on the server. Idempotent.
  /// \throws the call's typed errors (the query is forgotten either way)
  void clear(const QueryOptions& options = {});
  /// \brief The server's id of the current query (empty when none): for logs and support.
  /// \throws UsageError on a moved-from cursor
  [[nodiscard]] const std::string& query_id() const;
  /// \brief The deployment ("blue" or "green") the current query runs on; empty when there is
  /// no query. For inspectors (e6data's query-to-strategy map).
  /// \throws UsageError on a moved-from cursor
  [[nodiscard]] std::string deployment() const;

 private:
  friend class Connection;
  Cursor(std::shared_ptr<detail::ConnectionState> connection, std::string catalog,
         std::string database);
  detail::Query& usable(const char* operation) const;

  std::unique_ptr<detail::Query> q_;
  std::optional<Batch> current_;  // the batch being read row by row
  std::int64_t next_row_ = 0;
};

}  // namespace e6data

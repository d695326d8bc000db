#pragma once
// One query of the dev server: prepared on its own SQLite connection, executed, then streamed
// batch by batch straight from the SQLite statement (never materialised whole).
//
// Thread safety: every method may be called from any thread; they serialise on the query's
// mutex, except cancel(), which interrupts a running step from another thread.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "devserver/database.hpp"
#include "devserver/sql_types.hpp"
#include "e6data/schema.hpp"

namespace e6data::devserver {

// A parameter of executeStatementV2 (ParameterValue: index, type, value as text).
struct Parameter {
  std::int32_t index = 0;  // 0-based position among the statement's parameters
  std::string type;        // LONG, INTEGER, DOUBLE, FLOAT, BOOLEAN, STRING, DATE, ..., NULL
  std::string value;
};

struct BatchLimits {
  std::size_t max_rows = 8192;
  std::size_t max_bytes = 4u << 20;  // approximate encoded size
};

struct ExplainAnalyze {
  std::string plan;
  std::int64_t parsing_time_ms = 0;
  std::int64_t rows = 0;
  double execution_ms = 0;
};

class Query {
 public:
  // Compiles `sql` on a new connection. Throws EngineError(kInvalidArgument) with SQLite's
  // message for bad SQL or several statements; nothing stays open on failure.
  Query(std::string id, const Database& database, std::string sql);
  ~Query();
  Query(const Query&) = delete;
  Query& operator=(const Query&) = delete;

  const std::string& id() const { return id_; }

  // Binds the parameters, counts the result rows and reads the first row (which fixes the
  // column types of the whole result). Statements without a result run to completion.
  void execute(const std::vector<Parameter>& parameters);
  // Row count and columns. Throws kFailedPrecondition before execute().
  ResultSchema metadata();
  // The next encoded Chunk; empty once the result is exhausted.
  std::string next_batch(const BatchLimits& limits);
  // True once every row of the result was handed out by next_batch() (or there was none); false
  // before execute().
  bool drained();
  // True once executed (the status RPC's "finished executing").
  bool executed();
  std::int64_t row_count();
  // EXPLAIN QUERY PLAN as text.
  std::string explain();
  // Runs the statement to completion on a separate statement and reports timings.
  ExplainAnalyze explain_analyze();
  // Interrupts a running step; later fetches fail with kCancelled.
  void cancel();
  // Cancels the query because its session expired: a running call then fails with "Access
  // denied", as a call with that session would.
  void end_with_session();

 private:
  void require_executed(const char* operation) const;
  void bind(sqlite3_stmt* stmt, const std::vector<Parameter>& parameters) const;
  [[noreturn]] void fail_sqlite(const std::string& what) const;
  bool step();  // true when a row is ready

  std::string id_;
  std::string sql_;
  SqliteConnection db_;
  sqlite3_stmt* stmt_ = nullptr;
  std::mutex mutex_;
  std::atomic<bool> cancelled_{false};
  std::atomic<bool> session_gone_{false};
  void throw_if_cancelled() const;
  std::vector<Parameter> parameters_;
  bool executed_ = false;
  bool has_row_ = false;  // a row is stepped and not yet sent
  bool exhausted_ = false;
  std::int64_t row_count_ = 0;
  std::vector<ColumnType> types_;
  std::vector<std::string> names_;
  std::chrono::microseconds prepare_time_{0};
};

}  // namespace e6data::devserver

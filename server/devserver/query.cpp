#include "devserver/query.hpp"

#include <charconv>
#include <limits>
#include <map>
#include <utility>

#include "devserver/errors.hpp"
#include "wire/chunk_encoder.hpp"
#include "wire/column_builder.hpp"

namespace e6data::devserver {
namespace {

// The SQL as it will be compiled: trailing semicolons and blanks removed, so that the text can
// also be wrapped in the row-count query.
std::string trimmed_sql(std::string sql) {
  while (!sql.empty() &&
         (sql.back() == ';' || std::isspace(static_cast<unsigned char>(sql.back())))) {
    sql.pop_back();
  }
  return sql;
}

bool only_blanks(const char* text) {
  for (; *text != '\0'; ++text) {
    if (!std::isspace(static_cast<unsigned char>(*text)) && *text != ';') return false;
  }
  return true;
}

struct StatementCloser {
  void operator()(sqlite3_stmt* stmt) const noexcept { sqlite3_finalize(stmt); }
};
using Statement = std::unique_ptr<sqlite3_stmt, StatementCloser>;

Statement prepare(sqlite3* db, const std::string& sql) {
  sqlite3_stmt* raw = nullptr;
  const char* tail = nullptr;
  const int rc = sqlite3_prepare_v2(db, sql.c_str(), static_cast<int>(sql.size()), &raw, &tail);
  Statement stmt(raw);
  if (rc != SQLITE_OK) throw EngineError(EngineErrorCode::kInvalidArgument, sqlite3_errmsg(db));
  if (!stmt) throw EngineError(EngineErrorCode::kInvalidArgument, "the SQL text has no statement");
  if (tail != nullptr && !only_blanks(tail)) {
    throw EngineError(EngineErrorCode::kInvalidArgument,
                      "the SQL text holds more than one statement; send one at a time");
  }
  return stmt;
}

std::string_view column_text(sqlite3_stmt* stmt, int col) {
  const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt, col));
  return text ? std::string_view(text, static_cast<std::size_t>(sqlite3_column_bytes(stmt, col)))
              : std::string_view();
}

}  // namespace

Query::Query(std::string id, const Database& database, std::string sql)
    : id_(std::move(id)), sql_(trimmed_sql(std::move(sql))), db_(database.connect()) {
  const auto start = std::chrono::steady_clock::now();
  stmt_ = prepare(db_.get(), sql_).release();
  prepare_time_ = std::chrono::duration_cast<std::chrono::microseconds>(
      std::chrono::steady_clock::now() - start);
}

Query::~Query() {
  sqlite3_finalize(stmt_);
}

void Query::fail_sqlite(const std::string& what) const {
  throw_if_cancelled();
  throw EngineError(EngineErrorCode::kInternal, what + ": " + sqlite3_errmsg(db_.get()));
}

void Query::bind(sqlite3_stmt* stmt, const std::vector<Parameter>& parameters) const {
  const int count = sqlite3_bind_parameter_count(stmt);
  for (const Parameter& p : parameters) {
    if (p.index < 0 || p.index >= count) {
      throw EngineError(EngineErrorCode::kInvalidArgument,
                        "parameter index " + std::to_string(p.index) + " is out of range: the " +
                            "statement has " + std::to_string(count) + " parameters");
    }
    const int slot = p.index + 1;  // SQLite numbers parameters from 1
    std::string type = p.type;
    for (char& c : type) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    int rc = SQLITE_OK;
    auto bad_value = [&] {
      return EngineError(
          EngineErrorCode::kInvalidArgument,
          "parameter " + std::to_string(p.index) + ": '" + p.value + "' is not a " + type);
    };
    if (type == "NULL") {
      rc = sqlite3_bind_null(stmt, slot);
    } else if (type == "LONG" || type == "INTEGER" || type == "INT" || type == "SHORT" ||
               type == "BYTE") {
      std::int64_t v = 0;
      const auto [end, ec] = std::from_chars(p.value.data(), p.value.data() + p.value.size(), v);
      if (ec != std::errc() || end != p.value.data() + p.value.size()) throw bad_value();
      rc = sqlite3_bind_int64(stmt, slot, v);
    } else if (type == "DOUBLE" || type == "FLOAT") {
      char* end = nullptr;
      const double v = std::strtod(p.value.c_str(), &end);
      if (p.value.empty() || end != p.value.c_str() + p.value.size()) throw bad_value();
      rc = sqlite3_bind_double(stmt, slot, v);
    } else if (type == "BOOLEAN") {
      if (p.value != "true" && p.value != "false" && p.value != "1" && p.value != "0") {
        throw bad_value();
      }
      rc = sqlite3_bind_int(stmt, slot, p.value == "true" || p.value == "1" ? 1 : 0);
    } else if (type == "STRING" || type == "CHAR" || type == "DATE" || type == "DATETIME" ||
               type == "TIMESTAMP" || type == "TIMESTAMP_TZ" || type == "DECIMAL128" ||
               type == "DECIMAL") {
      rc = sqlite3_bind_text(stmt, slot, p.value.data(), static_cast<int>(p.value.size()),
                             SQLITE_TRANSIENT);
    } else if (type == "BINARY") {
      rc = sqlite3_bind_blob(stmt, slot, p.value.data(), static_cast<int>(p.value.size()),
                             SQLITE_TRANSIENT);
    } else {
      throw EngineError(EngineErrorCode::kInvalidArgument,
                        "parameter " + std::to_string(p.index) + ": unknown type '" + p.type + "'");
    }
    if (rc != SQLITE_OK) fail_sqlite("binding parameter " + std::to_string(p.index));
  }
}

bool Query::step() {
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) {
    exhausted_ = true;
    return false;
  }
  fail_sqlite("query " + id_);
}

void Query::execute(const std::vector<Parameter>& parameters) {
  std::lock_guard lock(mutex_);
  throw_if_cancelled();
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
  bind(stmt_, parameters);
  parameters_ = parameters;
  has_row_ = false;
  exhausted_ = false;
  const int columns = sqlite3_column_count(stmt_);
  if (columns == 0) {
    // INSERT, UPDATE, DDL...: run now; the "result" is the number of changed rows.
    while (step()) {
    }
    row_count_ = sqlite3_changes64(db_.get());
    types_.clear();
    names_.clear();
    executed_ = true;
    return;
  }
  // The row count of the metadata, without materialising the result: count on the side.
  row_count_ = -1;
  try {
    Statement count = prepare(db_.get(), "SELECT count(*) FROM (" + sql_ + ")");
    bind(count.get(), parameters);
    if (sqlite3_step(count.get()) == SQLITE_ROW) row_count_ = sqlite3_column_int64(count.get(), 0);
  } catch (const EngineError&) {
    // Statements that cannot be a subquery (PRAGMA, EXPLAIN, ...) report -1: unknown.
  }
  // A cancel that interrupted the count must not be mistaken for "count unknown".
  throw_if_cancelled();
  has_row_ = step();
  types_.assign(static_cast<std::size_t>(columns), ColumnType{});
  names_.assign(static_cast<std::size_t>(columns), std::string());
  for (int c = 0; c < columns; ++c) {
    const char* name = sqlite3_column_name(stmt_, c);
    names_[static_cast<std::size_t>(c)] = name ? name : "";
    const char* declared = sqlite3_column_decltype(stmt_, c);
    auto type = declared ? column_type_from_declared(declared) : std::nullopt;
    if (!type) {
      type = column_type_from_storage(has_row_ ? sqlite3_column_type(stmt_, c) : SQLITE_NULL);
    }
    types_[static_cast<std::size_t>(c)] = *type;
  }
  executed_ = true;
}

void Query::require_executed(const char* operation) const {
  if (!executed_) {
    throw EngineError(EngineErrorCode::kFailedPrecondition,
                      std::string(operation) + ": query " + id_ + " has not been executed");
  }
}

ResultSchema Query::metadata() {
  std::lock_guard lock(mutex_);
  require_executed("getResultMetadata");
  ResultSchema schema;
  schema.row_count = row_count_;
  for (std::size_t c = 0; c < types_.size(); ++c) {
    schema.columns.push_back({names_[c], types_[c].metadata_type(), "", ""});
  }
  return schema;
}

std::string Query::next_batch(const BatchLimits& limits) {
  std::lock_guard lock(mutex_);
  require_executed("getNextResultBatch");
  throw_if_cancelled();
  if (!has_row_) return {};

  std::vector<wire::ColumnBuilder> columns;
  columns.reserve(types_.size());
  for (const ColumnType& type : types_) {
    columns.emplace_back(type.vector_type);
    if (type.vector_type == VectorType::kDecimal128)
      columns.back().set_decimal_scale(type.decimal_scale);
  }
  std::size_t rows = 0;
  std::size_t bytes = 0;
  while (has_row_ && rows < limits.max_rows && (rows == 0 || bytes < limits.max_bytes)) {
    for (std::size_t c = 0; c < types_.size(); ++c) {
      const int col = static_cast<int>(c);
      bytes += append_cell(columns[c], types_[c], stmt_, col, names_[c]);
    }
    ++rows;
    has_row_ = step();
  }
  wire::BatchBuilder batch;
  for (auto& column : columns) batch.add_column(std::move(column).finish());
  return wire::encode_chunk(std::move(batch).finish());
}

bool Query::drained() {
  std::lock_guard lock(mutex_);
  return executed_ && !has_row_;
}

bool Query::executed() {
  std::lock_guard lock(mutex_);
  return executed_;
}

std::int64_t Query::row_count() {
  std::lock_guard lock(mutex_);
  return row_count_;
}

std::string Query::explain() {
  std::lock_guard lock(mutex_);
  Statement plan = prepare(db_.get(), "EXPLAIN QUERY PLAN " + sql_);
  // Rows are (id, parent, notused, detail); indent each under its parent.
  std::map<int, int> depth_of;
  std::string out;
  int rc = SQLITE_OK;
  while ((rc = sqlite3_step(plan.get())) == SQLITE_ROW) {
    const int id = sqlite3_column_int(plan.get(), 0);
    const int parent = sqlite3_column_int(plan.get(), 1);
    const int depth = depth_of.count(parent) ? depth_of[parent] + 1 : 0;
    depth_of[id] = depth;
    out += std::string(static_cast<std::size_t>(depth) * 2, ' ');
    out += std::string(column_text(plan.get(), 3));
    out += '\n';
  }
  if (rc != SQLITE_DONE) fail_sqlite("explain");
  return out;
}

ExplainAnalyze Query::explain_analyze() {
  ExplainAnalyze result;
  result.plan = explain();
  std::lock_guard lock(mutex_);
  const auto start = std::chrono::steady_clock::now();
  Statement run = prepare(db_.get(), sql_);
  const auto prepared = std::chrono::steady_clock::now();
  bind(run.get(), parameters_);
  int rc = SQLITE_OK;
  while ((rc = sqlite3_step(run.get())) == SQLITE_ROW) ++result.rows;
  if (rc != SQLITE_DONE) fail_sqlite("explainAnalyze");
  const auto done = std::chrono::steady_clock::now();
  result.parsing_time_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(prepared - start + prepare_time_)
          .count();
  result.execution_ms = std::chrono::duration<double, std::milli>(done - prepared).count();
  result.plan += "rows: " + std::to_string(result.rows) +
                 ", execution: " + std::to_string(result.execution_ms) + " ms\n";
  return result;
}

void Query::throw_if_cancelled() const {
  if (!cancelled_) return;
  // A query whose session went away reports what the session lookup would have reported.
  if (session_gone_) {
    throw EngineError(EngineErrorCode::kAccessDenied,
                      "Access denied: the session of query " + id_ + " expired");
  }
  throw EngineError(EngineErrorCode::kCancelled, "query " + id_ + " was cancelled");
}

void Query::end_with_session() {
  session_gone_ = true;
  cancel();
}

void Query::cancel() {
  cancelled_ = true;
  sqlite3_interrupt(db_.get());  // thread-safe; stops a step in progress on this connection
}

}  // namespace e6data::devserver

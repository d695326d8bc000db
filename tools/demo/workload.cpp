#include "demo/workload.hpp"

#include <sqlite3.h>

#include <cctype>
#include <random>
#include <stdexcept>

#include "e6data/logging.hpp"

namespace e6data::demo {
namespace {

constexpr int kCustomers = 200;  // short queries pick among these customers

std::string long_query(int rows) {
  return "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < " +
         std::to_string(rows) + ") SELECT i, i * 3 AS triple FROM n";
}

std::string short_query(int customer) {
  return "SELECT count(*), coalesce(sum(priority), 0) FROM orders WHERE customer_id = " +
         std::to_string(customer);
}

// "query q42 was lost" -> "query q# was lost".
std::string without_query_ids(const std::string& text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const bool starts_word = i == 0 || std::isalnum(static_cast<unsigned char>(text[i - 1])) == 0;
    std::size_t j = i + 1;
    while (j < text.size() && std::isdigit(static_cast<unsigned char>(text[j])) != 0) ++j;
    if (starts_word && text[i] == 'q' && j > i + 1 &&
        (j == text.size() || std::isalnum(static_cast<unsigned char>(text[j])) == 0)) {
      out += "q#";
      i = j - 1;
    } else {
      out += text[i];
    }
  }
  return out;
}

}  // namespace

bool is_allowed_failure(const Error& e) {
  return e.kind() == ErrorKind::kStrategyChanged;
}

Workload::Workload(WorkloadOptions options) : options_(std::move(options)) {
  // The expected answers, straight from SQLite.
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(options_.db_path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    const std::string why = db ? sqlite3_errmsg(db) : "out of memory";
    sqlite3_close(db);
    throw std::runtime_error("cannot open " + options_.db_path + ": " + why);
  }
  sqlite3_stmt* stmt = nullptr;
  sqlite3_prepare_v2(
      db, "SELECT count(*), coalesce(sum(priority), 0) FROM orders WHERE customer_id = ?", -1,
      &stmt, nullptr);
  for (int c = 1; c <= kCustomers; ++c) {
    sqlite3_bind_int(stmt, 1, c);
    if (sqlite3_step(stmt) != SQLITE_ROW) {
      sqlite3_finalize(stmt);
      sqlite3_close(db);
      throw std::runtime_error("cannot compute the expected answers from " + options_.db_path);
    }
    expected_.push_back({sqlite3_column_int64(stmt, 0), sqlite3_column_int64(stmt, 1)});
    sqlite3_reset(stmt);
  }
  sqlite3_finalize(stmt);
  sqlite3_close(db);
}

Workload::~Workload() {
  stop();
}

void Workload::set_phase(std::string phase) {
  std::lock_guard lock(mutex_);
  phase_ = std::move(phase);
}

void Workload::start(std::chrono::steady_clock::time_point epoch) {
  // The demo (and the soak test) is the program here: it owns the connector's logging.
  configure_logging(options_.connection.logging, options_.connection.debug);
  epoch_ = epoch;
  stopping_ = false;
  cancels_.assign(static_cast<std::size_t>(options_.own_connection_workers +
                                           options_.shared_connection_workers),
                  nullptr);
  for (int i = 0; i < options_.own_connection_workers; ++i) {
    connections_.push_back(std::make_unique<Connection>(options_.connection));
  }
  if (options_.shared_connection_workers > 0) {
    connections_.push_back(std::make_unique<Connection>(options_.connection));
  }
  std::uint32_t seed = options_.seed;
  int worker = 0;
  for (int i = 0; i < options_.own_connection_workers; ++i) {
    threads_.emplace_back(
        [this, i, s = seed++, w = worker++] { run_worker(*connections_[i], s, w); });
  }
  for (int i = 0; i < options_.shared_connection_workers; ++i) {
    threads_.emplace_back(
        [this, s = seed++, w = worker++] { run_worker(*connections_.back(), s, w); });
  }
}

bool Workload::pause(std::chrono::milliseconds limit) {
  std::unique_lock lock(mutex_);
  paused_ = true;
  // An interrupt ends the wait too: its cancelled queries end soon, and no new one starts.
  return changed_.wait_for(lock, limit, [this] { return running_ == 0 || stopping_; });
}

void Workload::resume() {
  std::lock_guard lock(mutex_);
  paused_ = false;
  changed_.notify_all();
}

void Workload::interrupt() {
  std::lock_guard lock(mutex_);
  stopping_ = true;
  paused_ = false;
  changed_.notify_all();
  for (const auto& cancel : cancels_) {
    if (cancel) cancel->cancel();
  }
}

void Workload::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    paused_ = false;
    changed_.notify_all();
  }
  for (auto& t : threads_) t.join();
  threads_.clear();
}

void Workload::run_worker(Connection& connection, std::uint32_t seed, int worker) {
  std::mt19937 rng(seed);
  const auto slot = static_cast<std::size_t>(worker);
  while (!stopping_) {
    const bool is_long = options_.long_every > 0 && rng() % options_.long_every == 0;
    const int customer = static_cast<int>(rng() % kCustomers) + 1;
    QueryRecord r;
    r.kind = is_long ? "long" : "short";
    r.worker = worker;
    r.sql = is_long ? long_query(options_.long_rows) : short_query(customer);
    QueryOptions call;
    call.cancel = std::make_shared<CancellationToken>();
    {
      // Checked and registered under one lock: interrupt() either sees this query's token or
      // this worker sees stopping_.
      std::unique_lock lock(mutex_);
      changed_.wait(lock, [this] { return !paused_ || stopping_; });
      if (stopping_) break;
      ++running_;
      r.phase = phase_;
      cancels_[slot] = call.cancel;
    }
    const auto started = std::chrono::steady_clock::now();
    r.start_s = std::chrono::duration<double>(started - epoch_).count();
    std::string failure;
    bool allowed = false;
    bool wrong = false;
    try {
      Cursor cursor = connection.cursor();
      if (is_long) {
        cursor.execute(r.sql, call);
        std::int64_t rows = 0;
        std::int64_t sum = 0;
        std::int64_t triple_sum = 0;
        while (auto batch = cursor.next_batch(call)) {
          const auto i = batch->column(0);
          const auto t = batch->column(1);
          for (std::int64_t k = 0; k < batch->num_rows(); ++k) {
            sum += i.int64_at(k);
            triple_sum += t.int64_at(k);
          }
          rows += batch->num_rows();
        }
        const std::int64_t n = options_.long_rows;
        wrong = rows != n || sum != n * (n + 1) / 2 || triple_sum != 3 * sum;
        if (wrong) failure = "wrong result: long query rows=" + std::to_string(rows);
      } else {
        cursor.execute(r.sql, call);
        const auto row = cursor.fetchone(call);
        const Expected& e = expected_[static_cast<std::size_t>(customer - 1)];
        wrong = !row || std::get<std::int64_t>((*row)[0]) != e.count ||
                std::get<std::int64_t>((*row)[1]) != e.sum;
        if (wrong) failure = "wrong result: customer " + std::to_string(customer);
      }
    } catch (const Error& e) {
      allowed = is_allowed_failure(e);
      r.error_kind = to_string(e.kind());
      failure = r.error_kind + ": " + e.what();
    } catch (const std::exception& e) {
      r.error_kind = "untyped exception";
      failure = std::string("untyped exception: ") + e.what();
    }
    if (wrong) r.error_kind = "wrong result";
    r.end_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - epoch_).count();
    // A query the demo itself cancelled was abandoned, not failed; a wrong result stays wrong.
    r.interrupted = !failure.empty() && !wrong && call.cancel->is_cancelled();
    r.ok = failure.empty();
    r.error = failure;
    if (r.interrupted) failure.clear();
    record(std::move(r), failure, allowed, wrong);
  }
}

void Workload::record(QueryRecord r, const std::string& failure, bool allowed, bool wrong) {
  std::lock_guard lock(mutex_);
  --running_;
  if (r.worker >= 0) cancels_[static_cast<std::size_t>(r.worker)].reset();
  changed_.notify_all();
  if (r.interrupted) {
    ++totals_.interrupted;
  } else if (failure.empty()) {
    ++totals_.ok;
  } else {
    ++totals_.failed;
    if (allowed) ++totals_.allowed;
    if (wrong) ++totals_.wrong;
    // Query ids differ between occurrences of one cause: count them under one name.
    ++failures_[without_query_ids(failure.substr(0, 200))];
  }
  records_.push_back(std::move(r));
}

Workload::Totals Workload::totals() const {
  std::lock_guard lock(mutex_);
  return totals_;
}

std::vector<QueryRecord> Workload::records() const {
  std::lock_guard lock(mutex_);
  return records_;
}

std::map<std::string, std::uint64_t> Workload::failures() const {
  std::lock_guard lock(mutex_);
  return failures_;
}

StrategySnapshot Workload::strategy() const {
  return connections_.empty() ? StrategySnapshot{} : connections_.front()->strategy();
}

}  // namespace e6data::demo

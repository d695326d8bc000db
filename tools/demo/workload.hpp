#pragma once
// A realistic query workload against an e6data endpoint, with every result checked: the demo's
// main job and the soak test's load. Workers with a connection each, plus workers sharing one
// connection, run short queries (checked against answers computed with SQLite directly from the
// same database file) and long multi-batch reads (checked by row count and checksum). Every
// query is recorded (start, end, phase, outcome) for the report.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "demo/demo_report.hpp"
#include "e6data/connection.hpp"

namespace e6data::demo {

struct WorkloadOptions {
  ConnectionOptions connection;
  std::string db_path;  // the database both deployments serve (for expected answers)
  int own_connection_workers = 16;
  int shared_connection_workers = 8;
  int long_rows = 100000;  // rows of a long query (multi-batch)
  int long_every = 10;     // one query in this many is long
  std::uint32_t seed = 1;
};

// A query the rules allow to fail: lost with its deployment after rows were delivered.
bool is_allowed_failure(const Error& e);

class Workload {
 public:
  explicit Workload(WorkloadOptions options);
  ~Workload();  // stop()
  Workload(const Workload&) = delete;
  Workload& operator=(const Workload&) = delete;

  // Starts the workers; `epoch` is time 0 of the records.
  void start(std::chrono::steady_clock::time_point epoch);
  // Stops the workers (each finishes its current query) and joins them.
  void stop();
  // Asks the workers to stop now, from any thread, without waiting: no new query starts and the
  // running ones are cancelled (QueryOptions::cancel). A query that ends in an error because of
  // this is recorded as interrupted, not failed; one that completes anyway counts as ok. Call
  // stop() afterwards to join the workers.
  void interrupt();
  // The label given to queries that start from now on.
  void set_phase(std::string phase);
  // Holds new queries back and waits (up to `limit`) until none is running: the cluster goes
  // idle, as before an auto-suspend. Returns false if queries were still running at the limit.
  bool pause(std::chrono::milliseconds limit);
  // Lets the workers go on.
  void resume();

  struct Totals {
    std::uint64_t ok = 0;
    std::uint64_t failed = 0;       // every failure, allowed ones included
    std::uint64_t allowed = 0;      // failures the zero-downtime rules must report
    std::uint64_t wrong = 0;        // results that did not match SQLite
    std::uint64_t interrupted = 0;  // abandoned by interrupt(): neither ok nor failed
  };
  Totals totals() const;
  std::vector<QueryRecord> records() const;
  // Distinct failure messages and how often each happened.
  std::map<std::string, std::uint64_t> failures() const;
  // The strategy state shared by every connection of the workload.
  StrategySnapshot strategy() const;

 private:
  struct Expected {
    std::int64_t count;
    std::int64_t sum;
  };
  void run_worker(Connection& connection, std::uint32_t seed, int worker);
  void record(QueryRecord r, const std::string& failure, bool allowed, bool wrong);

  WorkloadOptions options_;
  std::vector<Expected> expected_;  // per customer id 1..N
  std::chrono::steady_clock::time_point epoch_;
  std::atomic<bool> stopping_{false};
  std::condition_variable changed_;  // with mutex_: paused_ and running_
  bool paused_ = false;
  int running_ = 0;
  std::vector<std::unique_ptr<Connection>> connections_;
  std::vector<std::thread> threads_;
  mutable std::mutex mutex_;  // guards everything below
  std::string phase_;
  // The running query's cancellation, per worker (empty between queries): interrupt() cancels.
  std::vector<std::shared_ptr<CancellationToken>> cancels_;
  std::vector<QueryRecord> records_;
  std::map<std::string, std::uint64_t> failures_;
  Totals totals_;
};

}  // namespace e6data::demo

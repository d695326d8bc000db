#pragma once
// e6data-devserver as a library: the QueryEngineService and ClusterService of PROTOCOL.md over a
// SQLite database, plus the local admin control (proto/devserver_admin.proto). Tests start it
// in-process on 127.0.0.1:0; the program in server/devserver_main.cpp is a thin wrapper.

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "devserver/query.hpp"
#include "devserver/sql_literals.hpp"

namespace e6data::devserver {

struct DevServerOptions {
  std::string host = "127.0.0.1";  // loopback unless asked otherwise
  int port = 0;                    // 0: pick a free port
  int admin_port = 0;              // the admin control, always on 127.0.0.1; 0: pick one
  std::string db_path;             // serve this SQLite file; empty: the demo dataset
  int scale = 1;                   // demo dataset size: ~10,000 x scale line items
  std::string data_dir;            // where the demo database file is made; empty: $TMPDIR or /tmp
  std::string users_file;          // empty: the demo user (demo / demo)
  std::string deployment = "blue";
  std::string catalog = "sqlite";  // the one catalog name V2 calls may use
  std::chrono::milliseconds session_idle_timeout = std::chrono::minutes(30);
  // A query no call touched for this long is dropped (e6data's planner query lifetime).
  std::chrono::milliseconds query_idle_timeout = std::chrono::seconds(900);
  BatchLimits batch;
  // Result Batch V2 (PROTOCOL.md §5.3): served unless false (then UNIMPLEMENTED, as an older
  // server answers), with at most this many chunks per response (e6data's stated bound: 8).
  bool result_batch_v2 = true;
  std::size_t v2_chunks_per_response = 8;
  // Each result fetch (V1 or V2) waits this long before it answers, off the CPU: the round trip
  // and executor latency of a remote cluster, which a server on the client's own machine lacks.
  // For measurements (bench/result_fetch_bench.cpp); 0, the default, adds nothing.
  std::chrono::microseconds fetch_latency{0};
  std::size_t max_sql_bytes = 1u << 20;
  // How string literals in SQL text are read (sql_literals.hpp): SQLite's ANSI rule, or
  // backslash escapes as e6data's Python connector writes its parameters.
  StringLiterals string_literals = StringLiterals::kAnsi;
};

struct DevServerStatus {
  std::string deployment;
  std::string draining_toward;  // empty when not draining
  std::int64_t active_queries = 0;
  std::int64_t active_sessions = 0;
  std::int64_t queries_served = 0;
  std::int64_t result_fetches = 0;  // getNextResultBatch and getNextResultBatchV2 calls answered
};

class DevServer {
 public:
  // Opens (or generates) the database and loads the users; does not listen yet.
  // Throws std::runtime_error / EngineError with a message naming what is wrong.
  explicit DevServer(DevServerOptions options);
  ~DevServer();  // stops at once if still running
  DevServer(const DevServer&) = delete;
  DevServer& operator=(const DevServer&) = delete;

  // Listens; port() and admin_port() are valid once it returns.
  void start();
  int port() const;
  int admin_port() const;
  // From now on every response with new_strategy carries `toward` ("" stops draining).
  void set_draining(const std::string& toward);
  DevServerStatus status() const;
  // The SQLite file being served (the generated demo file, or --db).
  const std::string& database_path() const;
  // Finishes in-flight calls for up to `grace`, then cancels the rest and returns.
  void shutdown(std::chrono::milliseconds grace);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace e6data::devserver

#include "devserver/database.hpp"

#include <unistd.h>

#include <filesystem>

#include "devserver/demo_dataset.hpp"
#include "devserver/errors.hpp"

namespace e6data::devserver {
namespace {

SqliteConnection open_connection(const std::string& path, int flags) {
  sqlite3* raw = nullptr;
  // NOMUTEX: each connection is used by one thread at a time (a Query serialises on its own
  // mutex; catalog calls open their own), and only sqlite3_interrupt(), which SQLite documents as
  // safe from any thread, reaches it from another. FULLMUTEX took a lock per sqlite3_column_*()
  // call: 30 % of the server's CPU while it streams a result (perf, docs/performance.md).
  const int rc = sqlite3_open_v2(path.c_str(), &raw, flags | SQLITE_OPEN_NOMUTEX, nullptr);
  SqliteConnection db(raw);
  if (rc != SQLITE_OK) {
    throw EngineError(EngineErrorCode::kInternal,
                      "cannot open SQLite database " + path + ": " +
                          (raw ? sqlite3_errmsg(raw) : sqlite3_errstr(rc)));
  }
  // Concurrent queries may meet a writer: wait for locks instead of failing at once.
  sqlite3_busy_timeout(db.get(), 5000);
  return db;
}

}  // namespace

Database Database::open_file(const std::string& path) {
  if (!std::filesystem::is_regular_file(path)) {
    throw EngineError(EngineErrorCode::kNotFound, "no SQLite database file at " + path);
  }
  open_connection(path, SQLITE_OPEN_READWRITE);  // fails early on a file that is not a database
  Database db(path, false);
  auto probe = db.connect();
  char* error = nullptr;
  if (sqlite3_exec(probe.get(), "SELECT count(*) FROM sqlite_schema", nullptr, nullptr, &error) !=
      SQLITE_OK) {
    std::string message = error ? error : "unknown error";
    sqlite3_free(error);
    throw EngineError(EngineErrorCode::kInvalidArgument,
                      path + " is not a SQLite database: " + message);
  }
  return db;
}

Database Database::create_demo(const std::string& directory, int scale) {
  std::filesystem::create_directories(directory);
  const std::string path =
      (std::filesystem::path(directory) / ("demo-" + std::to_string(::getpid()) + ".db")).string();
  std::filesystem::remove(path);
  Database db(path, true);
  auto conn = open_connection(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  // WAL: readers of other connections never block on each other or on the generator.
  sqlite3_exec(conn.get(), "PRAGMA journal_mode=WAL", nullptr, nullptr, nullptr);
  create_demo_dataset(conn.get(), scale);
  return db;
}

Database::Database(Database&& other) noexcept
    : path_(std::move(other.path_)), owned_(other.owned_) {
  other.owned_ = false;
}

Database::~Database() {
  if (!owned_) return;
  std::error_code ignored;
  for (const char* suffix : {"", "-wal", "-shm", "-journal"}) {
    std::filesystem::remove(path_ + suffix, ignored);
  }
}

SqliteConnection Database::connect() const {
  return open_connection(path_, SQLITE_OPEN_READWRITE);
}

}  // namespace e6data::devserver

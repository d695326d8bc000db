#pragma once
// Where the dev server's data lives, and how connections to it are opened: every query gets its
// own connection, so queries run concurrently (SQLite allows many readers) and one query can be
// interrupted without touching the others.

#include <sqlite3.h>

#include <memory>
#include <string>

namespace e6data::devserver {

struct SqliteCloser {
  void operator()(sqlite3* db) const noexcept { sqlite3_close_v2(db); }
};
using SqliteConnection = std::unique_ptr<sqlite3, SqliteCloser>;

class Database {
 public:
  // Serves an existing SQLite file (opened read-write; it must exist).
  static Database open_file(const std::string& path);
  // Creates the demo dataset in a new file under `directory` (removed by the destructor).
  static Database create_demo(const std::string& directory, int scale);

  Database(Database&& other) noexcept;
  Database& operator=(Database&&) = delete;
  ~Database();

  // A new connection with a busy timeout. Throws EngineError(kInternal) on failure.
  SqliteConnection connect() const;
  const std::string& path() const { return path_; }

 private:
  Database(std::string path, bool owned) : path_(std::move(path)), owned_(owned) {}
  std::string path_;
  bool owned_ = false;  // a generated demo file, deleted on destruction
};

}  // namespace e6data::devserver

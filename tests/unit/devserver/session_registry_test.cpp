// Sessions expire on an injected clock: no sleeps.
#include "devserver/session_registry.hpp"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <filesystem>
#include <set>

#include "devserver/errors.hpp"

namespace e6data::devserver {
namespace {

struct FakeClock {
  std::chrono::steady_clock::time_point now{};
  SessionRegistry::Clock fn() {
    return [this] { return now; };
  }
};

EngineErrorCode code_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const EngineError& e) {
    return e.code();
  }
  ADD_FAILURE() << "no EngineError";
  return EngineErrorCode::kInternal;
}

TEST(SessionRegistry, UnknownSessionIsAccessDenied) {
  FakeClock clock;
  SessionRegistry sessions(std::chrono::seconds(10), clock.fn());
  EXPECT_EQ(code_of([&] { sessions.touch("nope"); }), EngineErrorCode::kAccessDenied);
}

TEST(SessionRegistry, IdleSessionExpiresAndUseKeepsItAlive) {
  FakeClock clock;
  SessionRegistry sessions(std::chrono::seconds(10), clock.fn());
  const std::string a = sessions.create("demo");
  const std::string b = sessions.create("demo");
  EXPECT_NE(a, b);
  EXPECT_EQ(a.size(), 32u);
  clock.now += std::chrono::seconds(8);
  sessions.touch(a);
  clock.now += std::chrono::seconds(8);  // b idle 16 s, a idle 8 s
  EXPECT_EQ(sessions.expire_idle(), 1u);
  EXPECT_NO_THROW(sessions.touch(a));
  EXPECT_EQ(code_of([&] { sessions.touch(b); }), EngineErrorCode::kAccessDenied);
  clock.now += std::chrono::seconds(11);
  // Found expired on use even before the janitor runs.
  EXPECT_EQ(code_of([&] { sessions.user_of(a); }), EngineErrorCode::kAccessDenied);
  EXPECT_EQ(sessions.session_count(), 0);
}

TEST(SessionRegistry, UnknownQueryIsNotFound) {
  FakeClock clock;
  SessionRegistry sessions(std::chrono::seconds(10), clock.fn());
  const std::string s = sessions.create("demo");
  EXPECT_EQ(code_of([&] { sessions.find_query(s, "q1"); }), EngineErrorCode::kNotFound);
  EXPECT_EQ(sessions.remove_query(s, "q1"), nullptr);
  EXPECT_EQ(sessions.user_of(s), "demo");
}

// An empty SQLite file to prepare queries on; removed with the fixture.
class QueryLifetime : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = (std::filesystem::temp_directory_path() /
             ("e6data-registry-" + std::to_string(::getpid()) + ".db"))
                .string();
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
    sqlite3_close(db);
    database_ = std::make_unique<Database>(Database::open_file(path_));
  }
  void TearDown() override {
    database_.reset();
    std::filesystem::remove(path_);
  }
  std::shared_ptr<Query> query(const std::string& id) {
    return std::make_shared<Query>(id, *database_, "SELECT 1");
  }
  std::string path_;
  std::unique_ptr<Database> database_;
};

TEST_F(QueryLifetime, IdleQueryIsDroppedAndAnswersLikeAnUnknownOne) {
  FakeClock clock;
  SessionRegistry sessions(std::chrono::hours(1), clock.fn(), std::chrono::seconds(900));
  const std::string s = sessions.create("demo");
  sessions.add_query(s, query("used"));
  sessions.add_query(s, query("idle"));
  EXPECT_EQ(sessions.query_count(), 2);
  clock.now += std::chrono::seconds(600);
  sessions.find_query(s, "used");          // a call touches it
  clock.now += std::chrono::seconds(400);  // "idle": 1000 s untouched; "used": 400 s
  EXPECT_EQ(sessions.query_count(), 1) << "an idle query no longer counts for a drain";
  EXPECT_NE(sessions.find_query(s, "used"), nullptr);
  EXPECT_EQ(code_of([&] { sessions.find_query(s, "idle"); }), EngineErrorCode::kNotFound);
  EXPECT_EQ(sessions.remove_query(s, "idle"), nullptr) << "already gone";
  EXPECT_NO_THROW(sessions.touch(s)) << "the session itself lives on";
}

TEST_F(QueryLifetime, JanitorDropsIdleQueries) {
  FakeClock clock;
  SessionRegistry sessions(std::chrono::hours(1), clock.fn(), std::chrono::seconds(10));
  const std::string s = sessions.create("demo");
  sessions.add_query(s, query("a"));
  sessions.add_query(s, query("b"));
  clock.now += std::chrono::seconds(6);
  sessions.find_query(s, "b");
  clock.now += std::chrono::seconds(6);
  EXPECT_EQ(sessions.expire_idle_queries(), 1u);
  EXPECT_EQ(sessions.query_count(), 1);
  EXPECT_EQ(code_of([&] { sessions.find_query(s, "a"); }), EngineErrorCode::kNotFound);
  // Idle within the bound: a later clear still finds it.
  EXPECT_NE(sessions.remove_query(s, "b"), nullptr);
}

TEST_F(QueryLifetime, ExpiredSessionsQueriesDoNotCount) {
  FakeClock clock;
  SessionRegistry sessions(std::chrono::seconds(10), clock.fn(), std::chrono::seconds(900));
  const std::string s = sessions.create("demo");
  sessions.add_query(s, query("a"));
  clock.now += std::chrono::seconds(11);  // before the janitor runs
  EXPECT_EQ(sessions.query_count(), 0);
  EXPECT_EQ(sessions.session_count(), 0);
}

TEST(RandomId, IsUniqueAndHex) {
  std::set<std::string> ids;
  for (int i = 0; i < 100'000; ++i) {
    const std::string id = random_id();
    ASSERT_EQ(id.size(), 32u);
    ASSERT_EQ(id.find_first_not_of("0123456789abcdef"), std::string::npos);
    ids.insert(id);
  }
  EXPECT_EQ(ids.size(), 100'000u);
}

}  // namespace
}  // namespace e6data::devserver

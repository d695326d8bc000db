// Sessions expire on an injected clock: no sleeps.
#include "devserver/session_registry.hpp"

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace e6data::devserver

// The connection pool: reuse, limits, waiting, eviction by a fake clock, and lifetime of handles.
// Connections are real but never used: constructing one does no network I/O, and nothing here
// calls a method that would dial (127.0.0.1:1 would refuse anyway).
#include "e6data/connection_pool.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "e6data/errors.hpp"
#include "strategy/endpoint_registry.hpp"

namespace e6data {
namespace {

using namespace std::chrono_literals;
using TimePoint = std::chrono::steady_clock::time_point;

ConnectionOptions test_options(int max_connections, int min_connections) {
  ConnectionOptions o;
  o.host = "127.0.0.1";
  o.port = 1;
  o.username = "u";
  o.password = "p";
  o.pool.max_connections = max_connections;
  o.pool.min_connections = min_connections;
  o.pool.connection_timeout = 5s;
  o.pool.idle_timeout = 60s;
  o.pool.max_lifetime = 3600s;
  return o;
}

// Time that moves only when a test says so; safe to read from any thread.
class FakeClock {
 public:
  ConnectionPool::Clock function() const {
    return [ticks = ticks_] { return TimePoint(TimePoint::duration(ticks->load())); };
  }
  void advance(std::chrono::steady_clock::duration d) { ticks_->fetch_add(d.count()); }

 private:
  // Starts well after the epoch so that "created at" never looks like a default time point.
  std::shared_ptr<std::atomic<TimePoint::rep>> ticks_ =
      std::make_shared<std::atomic<TimePoint::rep>>(std::chrono::nanoseconds(1h).count());
};

// Makes real (lazy) connections and counts them.
class CountingFactory {
 public:
  ConnectionPool::Factory function() const {
    return [made = made_](const ConnectionOptions& options) {
      made->fetch_add(1);
      return Connection(options);
    };
  }
  int made() const { return made_->load(); }

 private:
  std::shared_ptr<std::atomic<int>> made_ = std::make_shared<std::atomic<int>>(0);
};

// Waits (without sleeping) until `count` threads are blocked in acquire().
void wait_for_waiters(const ConnectionPool& pool, int count) {
  while (pool.stats().waiting < count) std::this_thread::yield();
}

TEST(ConnectionPool, StartsWithMinConnectionsIdle) {
  CountingFactory factory;
  FakeClock clock;
  ConnectionPool pool(test_options(4, 2), clock.function(), factory.function());
  const auto s = pool.stats();
  EXPECT_EQ(s.open, 2);
  EXPECT_EQ(s.idle, 2);
  EXPECT_EQ(s.in_use, 0);
  EXPECT_EQ(s.waiting, 0);
  EXPECT_EQ(s.created, 2u);
  EXPECT_EQ(factory.made(), 2);
}

TEST(ConnectionPool, ReusesAReturnedConnection) {
  CountingFactory factory;
  FakeClock clock;
  ConnectionPool pool(test_options(4, 0), clock.function(), factory.function());

  auto first = pool.acquire();
  Connection* const address = &*first;
  EXPECT_EQ(first.operator->(), address);
  EXPECT_EQ(pool.stats().in_use, 1);
  first.release();
  EXPECT_FALSE(first);
  EXPECT_EQ(pool.stats().idle, 1);

  auto second = pool.acquire();
  EXPECT_EQ(&*second, address);
  EXPECT_EQ(factory.made(), 1);
  EXPECT_EQ(pool.stats().created, 1u);
}

TEST(ConnectionPool, ReusesTheMostRecentlyReturnedFirst) {
  CountingFactory factory;
  FakeClock clock;
  ConnectionPool pool(test_options(4, 0), clock.function(), factory.function());

  auto a = pool.acquire();
  auto b = pool.acquire();
  Connection* const a_address = &*a;
  Connection* const b_address = &*b;
  ASSERT_NE(a_address, b_address);
  a.release();
  clock.advance(1s);
  b.release();

  auto warm = pool.acquire();
  EXPECT_EQ(&*warm, b_address);
  auto next = pool.acquire();
  EXPECT_EQ(&*next, a_address);
  EXPECT_EQ(factory.made(), 2);
}

TEST(ConnectionPool, ReturnsOnDestructionAndMove) {
  CountingFactory factory;
  FakeClock clock;
  ConnectionPool pool(test_options(4, 0), clock.function(), factory.function());
  {
    auto a = pool.acquire();
    PooledConnection moved = std::move(a);
    EXPECT_FALSE(a);  // NOLINT(bugprone-use-after-move): moved-from is documented as empty
    EXPECT_TRUE(moved);
    EXPECT_THROW(*a, UsageError);
    EXPECT_EQ(pool.stats().in_use, 1);

    PooledConnection other = pool.acquire();
    EXPECT_EQ(pool.stats().in_use, 2);
    other = std::move(moved);  // gives back what `other` held
    EXPECT_EQ(pool.stats().in_use, 1);
    EXPECT_EQ(pool.stats().idle, 1);
  }
  const auto s = pool.stats();
  EXPECT_EQ(s.in_use, 0);
  EXPECT_EQ(s.idle, 2);
}

TEST(ConnectionPool, NeverLendsMoreThanMaxConnectionsUnderContention) {
  constexpr int kMax = 3;
  constexpr int kThreads = 16;
  constexpr int kRounds = 200;
  CountingFactory factory;
  FakeClock clock;
  ConnectionPool pool(test_options(kMax, 1), clock.function(), factory.function());

  std::atomic<int> current{0};
  std::atomic<int> peak{0};
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kRounds; ++i) {
        try {
          auto connection = pool.acquire(10s);
          const int now = current.fetch_add(1) + 1;
          int seen = peak.load();
          while (now > seen && !peak.compare_exchange_weak(seen, now)) {
          }
          if (!connection->is_open()) failures.fetch_add(1);
          std::this_thread::yield();
          current.fetch_sub(1);
          if (i % 7 == 0) connection.discard();  // also exercise freed slots
        } catch (const std::exception&) {
          failures.fetch_add(1);
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();

  EXPECT_EQ(failures.load(), 0);
  EXPECT_LE(peak.load(), kMax);
  EXPECT_GE(peak.load(), 1);
  const auto s = pool.stats();
  EXPECT_EQ(s.in_use, 0);
  EXPECT_EQ(s.waiting, 0);
  EXPECT_LE(s.open, kMax);
  EXPECT_EQ(s.timeouts, 0u);
  EXPECT_EQ(s.created, static_cast<std::uint64_t>(factory.made()));
}

TEST(ConnectionPool, TimesOutWhenAllConnectionsAreOut) {
  CountingFactory factory;
  FakeClock clock;
  ConnectionPool pool(test_options(1, 0), clock.function(), factory.function());
  auto held = pool.acquire();

  // The one real wait of these tests: 30 ms on the steady clock.
  const auto started = std::chrono::steady_clock::now();
  try {
    (void)pool.acquire(30ms);
    FAIL() << "acquire() returned while the only connection was out";
  } catch (const TimeoutError& e) {
    EXPECT_GE(std::chrono::steady_clock::now() - started, 30ms);
    EXPECT_EQ(e.kind(), ErrorKind::kTimeout);
    EXPECT_TRUE(e.is_retryable());
    const std::string message = e.what();
    EXPECT_NE(message.find("max_connections"), std::string::npos) << message;
    EXPECT_NE(message.find("all 1 connections"), std::string::npos) << message;
    EXPECT_NE(message.find("30 ms timeout"), std::string::npos) << message;
  }
  // A zero timeout does not wait at all.
  EXPECT_THROW((void)pool.acquire(0ms), TimeoutError);

  const auto s = pool.stats();
  EXPECT_EQ(s.timeouts, 2u);
  EXPECT_EQ(s.waiting, 0);
  EXPECT_EQ(s.in_use, 1);
  EXPECT_EQ(factory.made(), 1);
}

TEST(ConnectionPool, AWaiterGetsTheConnectionThatComesBack) {
  CountingFactory factory;
  FakeClock clock;
  ConnectionPool pool(test_options(1, 0), clock.function(), factory.function());
  auto held = pool.acquire();
  Connection* const address = &*held;

  std::atomic<Connection*> received{nullptr};
  std::thread waiter([&] {
    auto connection = pool.acquire(10s);
    received = &*connection;
  });
  wait_for_waiters(pool, 1);
  held.release();
  waiter.join();

  EXPECT_EQ(received.load(), address);
  EXPECT_EQ(factory.made(), 1);
  EXPECT_EQ(pool.stats().timeouts, 0u);
}

TEST(ConnectionPool, AWaiterGetsTheSlotOfADiscardedConnection) {
  CountingFactory factory;
  FakeClock clock;
  ConnectionPool pool(test_options(1, 0), clock.function(), factory.function());
  auto held = pool.acquire();

  std::atomic<bool> got{false};
  std::thread waiter([&] {
    auto connection = pool.acquire(10s);
    got = static_cast<bool>(connection);
  });
  wait_for_waiters(pool, 1);
  held.discard();
  waiter.join();

  EXPECT_TRUE(got.load());
  EXPECT_EQ(factory.made(), 2);
}

TEST(ConnectionPool, ClosesIdleConnectionsAfterIdleTimeoutKeepingMinConnections) {
  CountingFactory factory;
  FakeClock clock;
  ConnectionPool pool(test_options(5, 1), clock.function(), factory.function());
  auto a = pool.acquire();  // the one made up front
  auto b = pool.acquire();
  auto c = pool.acquire();
  Connection* const c_address = &*c;
  a.release();
  b.release();
  c.release();  // returned last: the warmest
  ASSERT_EQ(pool.stats().idle, 3);

  clock.advance(59s);
  auto still = pool.acquire();  // not idle long enough yet
  EXPECT_EQ(pool.stats().closed_idle, 0u);
  EXPECT_EQ(&*still, c_address);
  still.release();  // returned again: its idle time starts over

  clock.advance(2s);  // a and b idle 61 s, c 2 s
  auto warm = pool.acquire();
  EXPECT_EQ(&*warm, c_address);
  auto s = pool.stats();
  EXPECT_EQ(s.closed_idle, 2u);
  EXPECT_EQ(s.open, 1);
  EXPECT_EQ(s.idle, 0);
  warm.release();

  // Long idle (but within max_lifetime), and min_connections = 1 keeps the last one.
  clock.advance(30min);
  auto kept = pool.acquire();
  EXPECT_EQ(&*kept, c_address);
  s = pool.stats();
  EXPECT_EQ(s.closed_idle, 2u);
  EXPECT_EQ(s.open, 1);
  EXPECT_EQ(factory.made(), 3);
}

TEST(ConnectionPool, IdleEvictionAlsoRunsWhenAConnectionComesBack) {
  CountingFactory factory;
  FakeClock clock;
  ConnectionPool pool(test_options(5, 0), clock.function(), factory.function());
  auto a = pool.acquire();
  auto b = pool.acquire();
  a.release();
  clock.advance(61s);
  b.release();  // a has been idle 61 s: closed now; b just came back
  const auto s = pool.stats();
  EXPECT_EQ(s.closed_idle, 1u);
  EXPECT_EQ(s.idle, 1);
  EXPECT_EQ(s.open, 1);
}

TEST(ConnectionPool, ReplacesConnectionsPastMaxLifetime) {
  CountingFactory factory;
  FakeClock clock;
  auto options = test_options(5, 1);
  options.pool.max_lifetime = 120s;
  options.pool.idle_timeout = 3600s;
  ConnectionPool pool(options, clock.function(), factory.function());

  // Found idle past its lifetime: closed, even below min_connections, and replaced lazily.
  clock.advance(121s);
  EXPECT_EQ(pool.stats().closed_lifetime, 0u);  // nothing happens until the pool is used
  auto fresh = pool.acquire();
  auto s = pool.stats();
  EXPECT_EQ(s.closed_lifetime, 1u);
  EXPECT_EQ(s.created, 2u);
  EXPECT_EQ(s.open, 1);

  // Returned past its lifetime: closed instead of kept.
  clock.advance(121s);
  fresh.release();
  s = pool.stats();
  EXPECT_EQ(s.closed_lifetime, 2u);
  EXPECT_EQ(s.open, 0);
  EXPECT_EQ(s.idle, 0);

  auto next = pool.acquire();
  EXPECT_EQ(pool.stats().created, 3u);
  EXPECT_EQ(factory.made(), 3);
}

TEST(ConnectionPool, DiscardClosesInsteadOfReturning) {
  CountingFactory factory;
  FakeClock clock;
  ConnectionPool pool(test_options(2, 0), clock.function(), factory.function());
  auto a = pool.acquire();
  a.discard();
  EXPECT_FALSE(a);
  EXPECT_THROW(*a, UsageError);
  EXPECT_THROW((void)a.operator->(), UsageError);
  a.discard();  // idempotent
  a.release();

  auto s = pool.stats();
  EXPECT_EQ(s.open, 0);
  EXPECT_EQ(s.idle, 0);
  EXPECT_EQ(s.in_use, 0);

  auto b = pool.acquire();
  EXPECT_EQ(factory.made(), 2);
}

TEST(ConnectionPool, DropsAConnectionReturnedClosed) {
  CountingFactory factory;
  FakeClock clock;
  ConnectionPool pool(test_options(2, 0), clock.function(), factory.function());
  auto a = pool.acquire();
  a->close();
  a.release();

  const auto s = pool.stats();
  EXPECT_EQ(s.open, 0);
  EXPECT_EQ(s.idle, 0);

  auto b = pool.acquire();
  EXPECT_TRUE(b->is_open());
  EXPECT_EQ(factory.made(), 2);
}

TEST(ConnectionPool, CloseRefusesLaterAcquiresAndClosesReturns) {
  CountingFactory factory;
  FakeClock clock;
  ConnectionPool pool(test_options(3, 2), clock.function(), factory.function());
  auto borrowed = pool.acquire();
  Connection& connection = *borrowed;

  pool.close();
  pool.close();  // idempotent
  auto s = pool.stats();
  EXPECT_EQ(s.idle, 0);
  EXPECT_EQ(s.in_use, 1);
  EXPECT_TRUE(connection.is_open());  // borrowed connections are left to their borrowers

  try {
    (void)pool.acquire();
    FAIL() << "acquire() after close()";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("closed"), std::string::npos) << e.what();
  }
  EXPECT_THROW((void)pool.acquire(0ms), UsageError);

  borrowed.release();
  s = pool.stats();
  EXPECT_EQ(s.open, 0);
  EXPECT_EQ(s.in_use, 0);
}

TEST(ConnectionPool, CloseWakesWaiters) {
  CountingFactory factory;
  FakeClock clock;
  ConnectionPool pool(test_options(1, 0), clock.function(), factory.function());
  auto held = pool.acquire();

  std::atomic<bool> refused{false};
  std::thread waiter([&] {
    try {
      (void)pool.acquire(10s);
    } catch (const UsageError&) {
      refused = true;
    }
  });
  wait_for_waiters(pool, 1);
  pool.close();
  waiter.join();
  EXPECT_TRUE(refused.load());
  EXPECT_EQ(pool.stats().timeouts, 0u);
}

TEST(ConnectionPool, APooledConnectionMayOutliveItsPool) {
  CountingFactory factory;
  FakeClock clock;
  auto pool =
      std::make_optional<ConnectionPool>(test_options(2, 1), clock.function(), factory.function());
  auto borrowed = pool->acquire();
  auto other = pool->acquire();
  pool.reset();

  EXPECT_TRUE(borrowed);
  EXPECT_TRUE(borrowed->is_open());  // still usable until given back
  borrowed.release();                // to a pool that is gone: closed, not kept
  EXPECT_FALSE(borrowed);
  other.discard();
  EXPECT_FALSE(other);
}

TEST(ConnectionPool, AFailingFactoryGivesItsSlotBack) {
  FakeClock clock;
  std::atomic<bool> fail{true};
  std::atomic<int> made{0};
  ConnectionPool pool(test_options(1, 0), clock.function(),
                      [&](const ConnectionOptions& options) -> Connection {
                        if (fail) throw std::runtime_error("factory failed");
                        made.fetch_add(1);
                        return Connection(options);
                      });
  EXPECT_THROW((void)pool.acquire(), std::runtime_error);
  auto s = pool.stats();
  EXPECT_EQ(s.open, 0);
  EXPECT_EQ(s.in_use, 0);
  EXPECT_EQ(s.created, 0u);

  fail = false;
  auto connection = pool.acquire(0ms);  // the slot is free again: no wait
  EXPECT_TRUE(connection);
  EXPECT_EQ(made.load(), 1);
}

TEST(ConnectionPool, RejectsInvalidOptionsListingEveryProblem) {
  auto options = test_options(2, 5);  // min > max
  options.host.clear();
  try {
    ConnectionPool pool(options);
    FAIL() << "invalid options accepted";
  } catch (const UsageError& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("host"), std::string::npos) << message;
    EXPECT_NE(message.find("min_connections"), std::string::npos) << message;
  }

  auto zero = test_options(2, 0);
  zero.pool.max_connections = 0;
  EXPECT_THROW(ConnectionPool{zero}, UsageError);
}

TEST(ConnectionPool, RejectsMissingSeamsAndNegativeTimeouts) {
  FakeClock clock;
  CountingFactory factory;
  EXPECT_THROW(ConnectionPool(test_options(2, 0), nullptr, factory.function()), UsageError);
  EXPECT_THROW(ConnectionPool(test_options(2, 0), clock.function(), nullptr), UsageError);

  ConnectionPool pool(test_options(2, 0), clock.function(), factory.function());
  EXPECT_THROW((void)pool.acquire(-1ms), UsageError);
  EXPECT_EQ(factory.made(), 0);
}

TEST(ConnectionPool, DefaultConstructorMakesRealLazyConnections) {
  ConnectionPool pool(test_options(2, 1));
  auto connection = pool.acquire();
  EXPECT_TRUE(connection->is_open());
  EXPECT_EQ(connection->options().host, "127.0.0.1");
  EXPECT_EQ(pool.stats().created, 1u);
}

TEST(ConnectionPool, AMovedFromPoolRefusesWork) {
  FakeClock clock;
  CountingFactory factory;
  ConnectionPool pool(test_options(2, 1), clock.function(), factory.function());
  ConnectionPool moved(std::move(pool));
  EXPECT_EQ(moved.stats().idle, 1);
  EXPECT_THROW((void)pool.acquire(), UsageError);  // NOLINT(bugprone-use-after-move)
  EXPECT_EQ(pool.stats().open, 0);
  pool.close();
}

// --- HikariCP-level rules (Settings), all on the fake clock ---

// Counts the checks a pool makes and fails them on request.
struct CountingValidator {
  std::shared_ptr<std::atomic<int>> calls = std::make_shared<std::atomic<int>>(0);
  std::shared_ptr<std::atomic<bool>> fail = std::make_shared<std::atomic<bool>>(false);
  ConnectionPool::Validator function() const {
    return [calls = calls, fail = fail](Connection&, std::chrono::milliseconds) {
      calls->fetch_add(1);
      if (fail->load()) throw ConnectionError(ErrorKind::kConnection, "validation refused");
    };
  }
};

ConnectionPool::Settings checked_settings(const CountingValidator& validator) {
  auto settings = ConnectionPool::Settings::passive();
  settings.validate_on_borrow = true;
  settings.validation_bypass = 500ms;
  settings.validate = validator.function();
  return settings;
}

TEST(ConnectionPool, SkipsValidationWithinTheBypassWindow) {
  CountingValidator validator;
  FakeClock clock;
  ConnectionPool pool(test_options(2, 1), clock.function(), CountingFactory().function(),
                      checked_settings(validator));
  pool.acquire().release();  // made just now: alive within the window
  clock.advance(499ms);
  pool.acquire().release();  // used 499 ms ago: no call
  EXPECT_EQ(validator.calls->load(), 0);
  clock.advance(500ms);
  pool.acquire().release();  // used 500 ms ago: checked
  EXPECT_EQ(validator.calls->load(), 1);
  EXPECT_EQ(pool.stats().validations, 1u);
  pool.acquire().release();  // just checked and returned: no call
  EXPECT_EQ(validator.calls->load(), 1);
}

TEST(ConnectionPool, ReplacesAConnectionThatFailsValidationWithoutFailingTheBorrower) {
  CountingValidator validator;
  CountingFactory factory;
  FakeClock clock;
  ConnectionPool pool(test_options(1, 1), clock.function(), factory.function(),
                      checked_settings(validator));
  Connection* before = nullptr;
  {
    auto c = pool.acquire();
    before = &*c;
  }
  clock.advance(1s);
  validator.fail->store(true);
  auto c = pool.acquire();
  EXPECT_NE(&*c, before);
  EXPECT_TRUE(c->is_open());
  const auto s = pool.stats();
  EXPECT_EQ(s.validation_failures, 1u);
  EXPECT_EQ(s.open, 1);
  EXPECT_EQ(s.created, 2u);
  EXPECT_EQ(factory.made(), 2);
}

TEST(ConnectionPool, KeepaliveChecksIdleConnectionsOncePerIntervalWithJitter) {
  CountingValidator validator;
  FakeClock clock;
  auto settings = ConnectionPool::Settings::passive();
  settings.keepalive_interval = 100s;
  settings.keepalive_jitter = 0.2;
  settings.jitter_seed = 17;
  settings.validate = validator.function();
  auto options = test_options(8, 8);
  options.pool.idle_timeout = 3600s;
  ConnectionPool pool(options, clock.function(), CountingFactory().function(), settings);

  clock.advance(80s - 1ms);
  pool.maintain();
  EXPECT_EQ(validator.calls->load(), 0);  // no check earlier than interval * (1 - jitter)

  // Step through the jitter window: the 8 checks spread over it instead of coming at once.
  int steps_with_checks = 0;
  for (int i = 0; i <= 20; ++i) {
    const int before = validator.calls->load();
    pool.maintain();
    if (validator.calls->load() != before) ++steps_with_checks;
    clock.advance(1s);
  }
  EXPECT_EQ(validator.calls->load(), 8);
  EXPECT_GT(steps_with_checks, 1);
  EXPECT_EQ(pool.stats().keepalives, 8u);

  // A failed keepalive closes the idle connection; the next borrow makes a new one.
  validator.fail->store(true);
  clock.advance(100s);
  pool.maintain();
  const auto s = pool.stats();
  EXPECT_EQ(s.keepalive_failures, 8u);
  EXPECT_EQ(s.idle, 0);
}

TEST(ConnectionPool, ReportsALeakOnceWithTheBorrowersTagAndThread) {
  FakeClock clock;
  auto settings = ConnectionPool::Settings::passive();
  settings.leak_threshold = 10s;
  auto reports = std::make_shared<std::vector<ConnectionPool::LeakReport>>();
  settings.on_leak = [reports](const ConnectionPool::LeakReport& r) { reports->push_back(r); };
  ConnectionPool pool(test_options(2, 0), clock.function(), CountingFactory().function(), settings);

  PooledConnection held;
  std::thread::id borrower;
  std::thread([&] {
    borrower = std::this_thread::get_id();
    held = pool.acquire(1s, "nightly-report");
  }).join();
  auto quick = pool.acquire(1s, "quick");

  clock.advance(9s);
  pool.maintain();
  quick.release();  // held 9 s: never reported
  EXPECT_TRUE(reports->empty());
  clock.advance(1s);
  pool.maintain();
  pool.maintain();  // reported once per loan
  ASSERT_EQ(reports->size(), 1u);
  EXPECT_EQ((*reports)[0].tag, "nightly-report");
  EXPECT_EQ((*reports)[0].thread, borrower);
  EXPECT_EQ((*reports)[0].held, std::chrono::steady_clock::duration(10s));
  EXPECT_EQ(pool.stats().leaks, 1u);
  held.release();
  EXPECT_EQ(pool.stats().in_use, 0);
}

TEST(ConnectionPool, SoftEvictClosesIdleConnectionsNowAndBorrowedOnesOnReturn) {
  FakeClock clock;
  CountingFactory factory;
  ConnectionPool pool(test_options(4, 2), clock.function(), factory.function());
  auto borrowed = pool.acquire();
  Connection& connection = *borrowed;
  pool.soft_evict();
  auto s = pool.stats();
  EXPECT_EQ(s.idle, 0);
  EXPECT_EQ(s.in_use, 1);
  EXPECT_EQ(s.soft_evicted, 1u);
  EXPECT_TRUE(connection.is_open());  // the borrower is not failed

  auto after = pool.acquire();  // a loan made after the eviction is kept on return
  borrowed.release();
  after.release();
  s = pool.stats();
  EXPECT_EQ(s.soft_evicted, 2u);
  EXPECT_EQ(s.idle, 1);
  EXPECT_EQ(factory.made(), 3);
}

TEST(ConnectionPool, PauseHoldsBorrowersUntilUnpauseOrTheirDeadline) {
  FakeClock clock;
  ConnectionPool pool(test_options(2, 1), clock.function(), CountingFactory().function());
  pool.pause();
  EXPECT_TRUE(pool.stats().paused);
  try {
    (void)pool.acquire(0ms);
    FAIL() << "acquire() while paused";
  } catch (const TimeoutError& e) {
    EXPECT_NE(std::string(e.what()).find("paused"), std::string::npos) << e.what();
  }

  std::atomic<bool> got{false};
  std::thread waiter([&] {
    auto c = pool.acquire(10s);
    got = static_cast<bool>(c);
  });
  wait_for_waiters(pool, 1);
  EXPECT_FALSE(got.load());
  pool.unpause();
  waiter.join();
  EXPECT_TRUE(got.load());
  EXPECT_FALSE(pool.stats().paused);
  EXPECT_EQ(pool.stats().timeouts, 1u);
}

TEST(ConnectionPool, ServesWaitersInArrivalOrder) {
  constexpr int kWaiters = 6;
  FakeClock clock;
  ConnectionPool pool(test_options(1, 0), clock.function(), CountingFactory().function());
  auto held = pool.acquire();

  std::mutex order_mutex;
  std::vector<int> order;
  std::vector<std::thread> waiters;
  for (int i = 0; i < kWaiters; ++i) {
    waiters.emplace_back([&, i] {
      auto c = pool.acquire(10s);
      std::lock_guard lock(order_mutex);
      order.push_back(i);
    });
    wait_for_waiters(pool, i + 1);  // waiter i is queued before waiter i + 1 starts
  }
  // A borrower arriving now queues behind them instead of taking the connection first.
  std::thread late([&] {
    auto c = pool.acquire(10s);
    std::lock_guard lock(order_mutex);
    order.push_back(kWaiters);
  });
  wait_for_waiters(pool, kWaiters + 1);
  held.release();
  for (auto& w : waiters) w.join();
  late.join();
  std::vector<int> expected(kWaiters + 1);
  for (int i = 0; i <= kWaiters; ++i) expected[static_cast<std::size_t>(i)] = i;
  EXPECT_EQ(order, expected);
}

TEST(ConnectionPool, NoBorrowerIsOvertakenMoreThanTheQueueAheadOfIt) {
  // The fairness measure (Stats::most_loans_while_waiting): while one borrower waits, how many
  // loans go to others. First come, first served bounds it by the borrowers queued ahead of it
  // (at most kThreads - 1); an unfair pool lets a fast thread take loan after loan meanwhile.
  constexpr int kMax = 2;
  constexpr int kThreads = 16;
  constexpr int kRounds = 150;
  FakeClock clock;
  ConnectionPool pool(test_options(kMax, 0), clock.function(), CountingFactory().function());
  std::atomic<int> failures{0};
  std::atomic<long> worst_wait_us{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kRounds; ++i) {
        try {
          const auto started = std::chrono::steady_clock::now();
          auto c = pool.acquire(30s);
          const long waited =
              static_cast<long>(std::chrono::duration_cast<std::chrono::microseconds>(
                                    std::chrono::steady_clock::now() - started)
                                    .count());
          long seen = worst_wait_us.load();
          while (waited > seen && !worst_wait_us.compare_exchange_weak(seen, waited)) {
          }
          std::this_thread::yield();
        } catch (const std::exception&) {
          failures.fetch_add(1);
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(failures.load(), 0);
  const auto s = pool.stats();
  EXPECT_LE(s.most_loans_while_waiting, static_cast<std::uint64_t>(kThreads - 1));
  EXPECT_GT(s.most_loans_while_waiting, 0u);  // there was contention to measure
  std::printf(
      "fairness: %d threads, %d connections, %d loans each: at most %llu loans to "
      "others during one wait (bound %d), longest wait %ld us\n",
      kThreads, kMax, kRounds, static_cast<unsigned long long>(s.most_loans_while_waiting),
      kThreads - 1, worst_wait_us.load());
}

TEST(ConnectionPool, CloseWaitsForBorrowedConnectionsToComeBack) {
  FakeClock clock;
  auto settings = ConnectionPool::Settings::passive();
  settings.close_timeout = 30s;
  ConnectionPool pool(test_options(2, 0), clock.function(), CountingFactory().function(), settings);
  auto borrowed = pool.acquire();
  std::atomic<bool> released{false};
  std::atomic<bool> closed_after_release{false};
  std::thread closer([&] {
    pool.close();
    closed_after_release = released.load();
  });
  // Wait (without sleeping) until close() has begun: acquire() then refuses with UsageError.
  for (;;) {
    try {
      (void)pool.acquire(0ms);
    } catch (const UsageError&) {
      break;
    } catch (const TimeoutError&) {
    }
    std::this_thread::yield();
  }
  released = true;
  borrowed.release();
  closer.join();
  EXPECT_TRUE(closed_after_release.load());
  EXPECT_EQ(pool.stats().open, 0);
}

TEST(ConnectionPool, CloseGivesUpWaitingAfterItsBound) {
  FakeClock clock;
  auto settings = ConnectionPool::Settings::passive();
  settings.close_timeout = 20ms;  // a real wait: the bound itself is what is tested
  ConnectionPool pool(test_options(2, 0), clock.function(), CountingFactory().function(), settings);
  auto borrowed = pool.acquire();
  const auto started = std::chrono::steady_clock::now();
  pool.close();
  EXPECT_LT(std::chrono::steady_clock::now() - started, 5s);
  EXPECT_EQ(pool.stats().in_use, 1);
  EXPECT_TRUE(borrowed->is_open());
  Connection& connection = *borrowed;
  (void)connection;
  borrowed.release();  // closed on return
  EXPECT_EQ(pool.stats().open, 0);
}

TEST(ConnectionPool, RejectsSettingsOutOfRange) {
  FakeClock clock;
  auto settings = ConnectionPool::Settings::passive();
  settings.keepalive_jitter = 2.0;
  settings.warm_concurrency = 0;
  settings.leak_threshold = -1ms;
  try {
    ConnectionPool pool(test_options(2, 0), clock.function(), CountingFactory().function(),
                        settings);
    FAIL() << "accepted bad settings";
  } catch (const UsageError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("keepalive_jitter"), std::string::npos) << what;
    EXPECT_NE(what.find("warm_concurrency"), std::string::npos) << what;
    EXPECT_NE(what.find("leak_threshold"), std::string::npos) << what;
  }
}

// --- switches ---

// Options whose endpoint state no other test shares (the registry keys on host:port/cluster).
ConnectionOptions switch_options(int max_connections, int min_connections, const char* cluster) {
  auto o = test_options(max_connections, min_connections);
  o.cluster_name = cluster;
  return o;
}

struct CountingWarmer {
  std::shared_ptr<std::atomic<int>> calls = std::make_shared<std::atomic<int>>(0);
  std::shared_ptr<std::atomic<int>> current = std::make_shared<std::atomic<int>>(0);
  std::shared_ptr<std::atomic<int>> peak = std::make_shared<std::atomic<int>>(0);
  ConnectionPool::Warmer function() const {
    return [calls = calls, current = current, peak = peak](Connection&) {
      const int now = current->fetch_add(1) + 1;
      int seen = peak->load();
      while (now > seen && !peak->compare_exchange_weak(seen, now)) {
      }
      for (int i = 0; i < 200; ++i) std::this_thread::yield();  // overlap with other workers
      calls->fetch_add(1);
      current->fetch_sub(1);
    };
  }
};

TEST(ConnectionPool, WarmsIdleConnectionsWhenASwitchIsAnnouncedAndAgainWhenItCompletes) {
  FakeClock clock;
  CountingWarmer warmer;
  auto settings = ConnectionPool::Settings::passive();
  settings.warm_on_switch = true;
  settings.warm_concurrency = 2;
  settings.warm = warmer.function();
  const auto options = switch_options(8, 6, "pool-warm-unit");
  const auto endpoint = strategy::endpoint_state_for(options);
  endpoint->confirm(strategy::Deployment::kBlue);
  ConnectionPool pool(options, clock.function(), CountingFactory().function(), settings);

  pool.maintain();
  EXPECT_EQ(warmer.calls->load(), 0);  // nothing announced

  // Borrowed connections are warmed too (under load every connection may be out); a Connection
  // may serve the borrower and the warming at once.
  auto borrowed = pool.acquire();
  endpoint->observe_new_strategy(strategy::Deployment::kBlue, "green");
  pool.maintain();
  EXPECT_EQ(warmer.calls->load(), 6);
  EXPECT_LE(warmer.peak->load(), 2);
  EXPECT_EQ(pool.stats().warmed, 6u);
  pool.maintain();
  EXPECT_EQ(warmer.calls->load(), 6);  // once per change

  endpoint->confirm(strategy::Deployment::kGreen);  // the new side served; nothing bound: done
  ASSERT_EQ(endpoint->word().active, strategy::Deployment::kGreen);
  borrowed.release();
  pool.maintain();  // drops the retired side's sessions (the warmer routes again)
  EXPECT_EQ(warmer.calls->load(), 12);
}

TEST(ConnectionPool, WarmsInTheBackgroundWhenASwitchIsAnnounced) {
  FakeClock clock;
  CountingWarmer warmer;
  auto settings = ConnectionPool::Settings::passive();
  settings.warm_on_switch = true;
  settings.background = true;
  settings.housekeeping_period = 3600s;  // only the announcement wakes the thread
  settings.warm = warmer.function();
  const auto options = switch_options(4, 4, "pool-warm-background-unit");
  const auto endpoint = strategy::endpoint_state_for(options);
  endpoint->confirm(strategy::Deployment::kGreen);
  ConnectionPool pool(options, clock.function(), CountingFactory().function(), settings);
  endpoint->observe_new_strategy(strategy::Deployment::kGreen, "blue");
  const auto limit = std::chrono::steady_clock::now() + 30s;
  while (pool.stats().warmed < 4u && std::chrono::steady_clock::now() < limit) {
    std::this_thread::yield();
  }
  EXPECT_EQ(pool.stats().warmed, 4u);
  pool.close();
}

}  // namespace
}  // namespace e6data

// The pool through blue-green switches on the real topology (nginx + blue + green dev servers):
// 32 borrowers on 8 connections through 5 switches and an idle suspend, zero failed queries, and
// the p99 of acquire + first query across a switch with and without pre-warming (issue #17 item
// 2; the numbers are in docs/performance.md).
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "bluegreen_fixture.hpp"
#include "e6data/connection_pool.hpp"

namespace e6data {
namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

constexpr int kBorrowers = 32;
constexpr int kConnections = 8;
constexpr int kSwitches = 5;

struct Sample {
  Clock::time_point started;
  std::chrono::microseconds took;
};

double p99_ms(std::vector<std::chrono::microseconds> v) {
  if (v.empty()) return 0.0;
  std::sort(v.begin(), v.end());
  const auto at = static_cast<std::size_t>(static_cast<double>(v.size() - 1) * 0.99);
  return static_cast<double>(v[at].count()) / 1000.0;
}

class PoolSwitchTest : public testing::BlueGreenTest, public ::testing::WithParamInterface<bool> {
 protected:
  ConnectionOptions options() const {
    ConnectionOptions o;
    o.host = "127.0.0.1";
    o.port = controller_->port();
    o.username = "demo";
    o.password = "demo";
    o.cluster_name = std::string("pool-switch-") + (GetParam() ? "warm" : "cold");
    o.auto_resume_timeout = 60s;
    o.pool.max_connections = kConnections;
    o.pool.min_connections = kConnections;
    o.pool.connection_timeout = 60s;
    return o;
  }
};

TEST_P(PoolSwitchTest, ThirtyTwoBorrowersOnEightConnectionsThroughSwitchesLoseNothing) {
  const bool prewarm = GetParam();
  ConnectionPool::Settings settings;
  settings.warm_on_switch = prewarm;
  ConnectionPool pool(options(), settings);

  std::atomic<bool> stop{false};
  std::atomic<int> failures{0};
  std::mutex mutex;
  std::vector<Sample> samples;
  std::vector<std::string> errors;
  std::vector<std::pair<Clock::time_point, Clock::time_point>> switches;

  std::vector<std::thread> borrowers;
  for (int t = 0; t < kBorrowers; ++t) {
    borrowers.emplace_back([&, t] {
      std::vector<Sample> mine;
      while (!stop.load()) {
        const auto started = Clock::now();
        try {
          auto connection = pool.acquire(60s, "borrower-" + std::to_string(t));
          Cursor cursor = connection->cursor();
          cursor.execute("SELECT count(*) FROM customers");
          const auto row = cursor.fetchone();
          if (!row || std::get<std::int64_t>((*row)[0]) <= 0) throw std::runtime_error("no count");
          mine.push_back({started, std::chrono::duration_cast<std::chrono::microseconds>(
                                       Clock::now() - started)});
        } catch (const std::exception& e) {
          failures.fetch_add(1);
          std::lock_guard lock(mutex);
          errors.emplace_back(e.what());
        }
      }
      std::lock_guard lock(mutex);
      samples.insert(samples.end(), mine.begin(), mine.end());
    });
  }

  std::this_thread::sleep_for(1s);  // steady state first
  for (int k = 0; k < kSwitches; ++k) {
    const auto begun = Clock::now();
    controller_->switch_to("", 30s, true);  // to the other side, waiting until STABLE
    switches.emplace_back(begun, Clock::now());
    std::this_thread::sleep_for(700ms);
  }
  stop = true;
  for (auto& b : borrowers) b.join();

  // An idle suspend: the next borrower resumes the cluster (auto_resume) and is not failed.
  controller_->suspend();
  {
    auto connection = pool.acquire();
    Cursor cursor = connection->cursor();
    cursor.execute("SELECT count(*) FROM customers");
    EXPECT_TRUE(cursor.fetchone().has_value());
  }

  for (const auto& e : errors) ADD_FAILURE() << e;
  EXPECT_EQ(failures.load(), 0);
  const auto stats = pool.stats();
  EXPECT_EQ(stats.timeouts, 0U);
  EXPECT_LE(stats.open, kConnections);
  if (prewarm) {
    EXPECT_GT(stats.warmed, 0U);
  } else {
    EXPECT_EQ(stats.warmed, 0U);
  }

  // Across a switch: acquire + first query begun from the switch's start until 1 s after it
  // completed (the first borrowers on the new side are in this window).
  std::vector<std::chrono::microseconds> all;
  std::vector<std::chrono::microseconds> across;
  for (const auto& s : samples) {
    all.push_back(s.took);
    for (const auto& [begun, ended] : switches) {
      if (s.started >= begun && s.started <= ended + 1s) {
        across.push_back(s.took);
        break;
      }
    }
  }
  ASSERT_FALSE(across.empty());
  std::printf(
      "pool-switch %s: %d borrowers, %d connections, %d switches: %zu queries, 0 failed; "
      "p99 acquire+first query: all %.2f ms, across a switch %.2f ms (%zu samples); warmed %llu\n",
      prewarm ? "prewarm" : "no-prewarm", kBorrowers, kConnections, kSwitches, all.size(),
      p99_ms(all), p99_ms(across), across.size(), static_cast<unsigned long long>(stats.warmed));
  pool.close();
}

std::string prewarm_name(const ::testing::TestParamInfo<bool>& param) {
  return param.param ? "Prewarm" : "NoPrewarm";
}

INSTANTIATE_TEST_SUITE_P(Pool, PoolSwitchTest, ::testing::Values(true, false), prewarm_name);

}  // namespace
}  // namespace e6data

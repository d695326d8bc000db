// The process's exposition as a scrape sees it, from real sources: a pool (real lazy connections,
// fake clock), Cursor-call timings on a fake strategy clock, and an endpoint's strategy counters.
// Every text is put through the strict checker.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <string>

#include "e6data/connection_pool.hpp"
#include "e6data/errors.hpp"
#include "e6data/metrics.hpp"
#include "metrics/operation_metrics.hpp"
#include "metrics/prometheus_checker.hpp"
#include "strategy/endpoint_registry.hpp"
#include "strategy/fake_clock.hpp"

namespace e6data {
namespace {

using namespace std::chrono_literals;
using TimePoint = std::chrono::steady_clock::time_point;

ConnectionOptions pool_options(const std::string& cluster) {
  ConnectionOptions o;
  o.host = "127.0.0.1";
  o.port = 1;  // never dialled: nothing here makes a call
  o.username = "u";
  o.password = "p";
  o.cluster_name = cluster;
  o.pool.max_connections = 3;
  o.pool.min_connections = 1;
  return o;
}

// The value of the one sample line that starts with `series` (name and labels), or -1.
double sample(const std::string& text, const std::string& series) {
  const auto at = text.find("\n" + series + " ");
  if (at == std::string::npos) return -1;
  const auto start = at + 1 + series.size() + 1;
  return std::stod(text.substr(start, text.find('\n', start) - start));
}

void expect_valid(const std::string& text) {
  const auto errors = metrics::testing::check_prometheus_text(text);
  EXPECT_TRUE(errors.empty()) << ::testing::PrintToString(errors) << "\n" << text;
}

TEST(MetricsText, APoolReportsItsCountsWaitsAndLoansUnderItsName) {
  auto ticks = std::make_shared<std::atomic<TimePoint::rep>>(std::chrono::nanoseconds(1h).count());
  auto clock = [ticks] { return TimePoint(TimePoint::duration(ticks->load())); };
  auto settings = ConnectionPool::Settings::passive();
  settings.name = "orders \"db\"";  // a label value that needs escaping
  ConnectionPool pool(
      pool_options("metrics-pool"), clock, [](const ConnectionOptions& o) { return Connection(o); },
      settings);
  EXPECT_EQ(pool.name(), "orders \"db\"");
  const std::string label = "db_client_connection_pool_name=\"orders \\\"db\\\"\"";
  {
    auto a = pool.acquire();
    auto b = pool.acquire();
    ticks->fetch_add(std::chrono::nanoseconds(300ms).count());  // both held 0.3 s
    const std::string text = metrics_text();
    expect_valid(text);
    EXPECT_EQ(sample(text, "db_client_connection_count{" + label +
                               ",db_client_connection_state=\"used\"}"),
              2);
    EXPECT_EQ(sample(text, "db_client_connection_count{" + label +
                               ",db_client_connection_state=\"idle\"}"),
              0);
    EXPECT_EQ(sample(text, "db_client_connection_max{" + label + "}"), 3);
    EXPECT_EQ(sample(text, "db_client_connection_idle_min{" + label + "}"), 1);
    EXPECT_EQ(sample(text, "db_client_connection_wait_time_seconds_count{" + label + "}"), 2);
  }
  EXPECT_NO_THROW((void)pool.acquire(0ms)) << "both came back: no wait";
}

TEST(MetricsText, UseTimeFollowsThePoolClockAndTimeoutsAreCounted) {
  auto ticks = std::make_shared<std::atomic<TimePoint::rep>>(std::chrono::nanoseconds(1h).count());
  auto clock = [ticks] { return TimePoint(TimePoint::duration(ticks->load())); };
  auto settings = ConnectionPool::Settings::passive();
  settings.name = "use-time";
  auto options = pool_options("metrics-use");
  options.pool.max_connections = 1;
  ConnectionPool pool(
      options, clock, [](const ConnectionOptions& o) { return Connection(o); }, settings);
  const std::string label = "db_client_connection_pool_name=\"use-time\"";
  {
    auto held = pool.acquire();
    ticks->fetch_add(std::chrono::nanoseconds(300ms).count());
    EXPECT_THROW((void)pool.acquire(0ms), TimeoutError);
  }
  const std::string text = metrics_text();
  expect_valid(text);
  EXPECT_EQ(sample(text, "db_client_connection_use_time_seconds_bucket{" + label + ",le=\"0.25\"}"),
            0);
  EXPECT_EQ(sample(text, "db_client_connection_use_time_seconds_bucket{" + label + ",le=\"0.5\"}"),
            1);
  EXPECT_DOUBLE_EQ(sample(text, "db_client_connection_use_time_seconds_sum{" + label + "}"), 0.3);
  EXPECT_EQ(sample(text, "db_client_connection_timeouts_total{" + label + "}"), 1);
  EXPECT_EQ(sample(text, "e6data_pool_connections_created_total{" + label + "}"), 1);
}

TEST(MetricsText, TwoPoolsOfOneNameGetTwoSeriesAndAClosedPoolHasNone) {
  auto settings = ConnectionPool::Settings::passive();
  settings.name = "twin";
  auto factory = [](const ConnectionOptions& o) { return Connection(o); };
  auto clock = [] { return std::chrono::steady_clock::now(); };
  ConnectionPool first(pool_options("metrics-twin"), clock, factory, settings);
  {
    ConnectionPool second(pool_options("metrics-twin"), clock, factory, settings);
    EXPECT_EQ(second.name(), "twin-2");
    const std::string text = metrics_text();
    expect_valid(text);
    EXPECT_EQ(sample(text, "db_client_connection_max{db_client_connection_pool_name=\"twin-2\"}"),
              3);
  }
  const std::string text = metrics_text();
  EXPECT_EQ(sample(text, "db_client_connection_max{db_client_connection_pool_name=\"twin-2\"}"),
            -1);
  EXPECT_EQ(sample(text, "db_client_connection_max{db_client_connection_pool_name=\"twin\"}"), 3);
  first.close();
  EXPECT_EQ(
      sample(metrics_text(), "db_client_connection_max{db_client_connection_pool_name=\"twin\"}"),
      -1);
}

TEST(MetricsText, OperationsAreTimedByOperationAndErrorType) {
  strategy::testing::FakeClock clock;
  const auto before = metrics_text();
  const std::string ok =
      "db_client_operation_duration_seconds_count{db_operation_name=\"status\","
      "db_system_name=\"e6data\"}";
  const std::string failed =
      "db_client_operation_duration_seconds_count{db_operation_name=\"status\","
      "db_system_name=\"e6data\",error_type=\"query\"}";
  const std::string changed =
      "db_client_operation_duration_seconds_count{db_operation_name=\"status\","
      "db_system_name=\"e6data\",error_type=\"strategy_changed\"}";
  const double changed_before = std::max(0.0, sample(before, changed));
  const double ok_before = std::max(0.0, sample(before, ok));
  const double failed_before = std::max(0.0, sample(before, failed));
  const int value = metrics::timed(metrics::Operation::kStatus, clock, nullptr, [&] {
    clock.advance(20ms);
    return 7;
  });
  EXPECT_EQ(value, 7);
  EXPECT_THROW(metrics::timed(metrics::Operation::kStatus, clock, nullptr,
                              [&] {
                                clock.advance(2s);
                                throw QueryError(ErrorKind::kQuery, "bad SQL");
                              }),
               QueryError);
  EXPECT_THROW(metrics::timed(metrics::Operation::kStatus, clock, nullptr,
                              [] { throw Error(ErrorKind::kStrategyChanged, "lost"); }),
               Error);
  const std::string text = metrics_text();
  expect_valid(text);
  EXPECT_EQ(sample(text, changed), changed_before + 1);
  EXPECT_EQ(sample(text, ok), ok_before + 1);
  EXPECT_EQ(sample(text, failed), failed_before + 1);
}

TEST(MetricsText, CallsDuringASwitchAreTimedApart) {
  strategy::testing::FakeClock clock;
  strategy::EndpointState endpoint("metrics-switch:1/c", clock, {});
  endpoint.confirm(strategy::Deployment::kBlue);
  const std::string series =
      "e6data_switch_operation_duration_seconds_count{db_operation_name=\"cancel\","
      "db_system_name=\"e6data\"}";
  const double before = std::max(0.0, sample(metrics_text(), series));
  metrics::timed(metrics::Operation::kCancel, clock, &endpoint, [] {});
  EXPECT_EQ(std::max(0.0, sample(metrics_text(), series)), before) << "no switch in progress";
  metrics::timed(metrics::Operation::kCancel, clock, &endpoint, [&] {
    endpoint.observe_new_strategy(strategy::Deployment::kBlue, "green");  // announced meanwhile
  });
  EXPECT_EQ(sample(metrics_text(), series), before + 1);
}

TEST(MetricsText, StrategyCountersAreExportedPerEndpoint) {
  auto options = pool_options("metrics-strategy");
  const auto state = strategy::endpoint_state_for(options);
  const std::string endpoint = "endpoint=\"" + state->endpoint() + "\"";
  state->confirm(strategy::Deployment::kBlue);
  state->observe_new_strategy(strategy::Deployment::kBlue, "green");
  state->counters().recoveries_456.fetch_add(2);
  state->counters().lost_queries.fetch_add(1);
  state->resume_seconds().observe(4.0);
  auto binding = state->bind(strategy::Deployment::kGreen);
  ASSERT_NE(binding, nullptr);
  std::string text = metrics_text();
  expect_valid(text);
  EXPECT_EQ(sample(text, "e6data_strategy_announcements_total{" + endpoint + "}"), 1);
  EXPECT_EQ(sample(text, "e6data_strategy_recoveries_456_total{" + endpoint + "}"), 2);
  EXPECT_EQ(sample(text, "e6data_query_lost_total{" + endpoint + "}"), 1);
  EXPECT_EQ(sample(text, "e6data_strategy_bound_queries{deployment=\"green\"," + endpoint + "}"),
            1);
  EXPECT_EQ(sample(text, "e6data_strategy_deployment{deployment=\"green\"," + endpoint +
                             ",role=\"pending\"}"),
            1);
  EXPECT_EQ(
      sample(text, "e6data_cluster_resume_duration_seconds_bucket{" + endpoint + ",le=\"5\"}"), 1);
  EXPECT_EQ(sample(text, "e6data_strategy_switches_total{" + endpoint + "}"), 0);
  // The green side answers, and no query is bound to blue: the switch completes.
  state->confirm(strategy::Deployment::kGreen);
  state->release(*binding);
  text = metrics_text();
  expect_valid(text);
  EXPECT_EQ(sample(text, "e6data_strategy_switches_total{" + endpoint + "}"), 1);
  EXPECT_EQ(sample(text, "e6data_strategy_deployment{deployment=\"green\"," + endpoint +
                             ",role=\"active\"}"),
            1);
}

}  // namespace
}  // namespace e6data

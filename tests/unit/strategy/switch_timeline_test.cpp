// The switchover summary: the timeline of one switch as this process saw it, and what happened
// to queries meanwhile. No network, no sleeps: time is a FakeClock.
#include "strategy/switch_timeline.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "e6data/switch_summary.hpp"
#include "strategy/endpoint_state.hpp"
#include "strategy/fake_clock.hpp"

namespace e6data::strategy {
namespace {

using namespace std::chrono_literals;
using testing::FakeClock;

// The last summary kept for `endpoint`, or an empty one.
SwitchSummary last_summary(const std::string& endpoint) {
  const auto all = recent_switches();
  const auto it = std::find_if(all.rbegin(), all.rend(),
                               [&](const SwitchSummary& s) { return s.endpoint == endpoint; });
  return it == all.rend() ? SwitchSummary{} : *it;
}

TEST(SwitchTimeline, ACompletedSwitchIsSummarizedWithItsTimelineAndQueries) {
  FakeClock clock;
  EndpointState state("timeline:1/a", clock, {});
  state.confirm(Deployment::kBlue);
  auto old_query = state.bind(Deployment::kBlue);  // runs through the switch
  ASSERT_NE(old_query, nullptr);

  state.observe_new_strategy(Deployment::kBlue, "green");  // t = 0
  clock.advance(200ms);
  auto new_query = state.bind(Deployment::kGreen);  // t = 0.2: first on the new side
  ASSERT_NE(new_query, nullptr);
  state.confirm(Deployment::kGreen);
  auto second = state.bind(Deployment::kGreen);
  state.counters().recoveries_456.fetch_add(3);
  state.counters().lost_queries.fetch_add(1);
  clock.advance(1300ms);
  EXPECT_EQ(last_summary("timeline:1/a").endpoint, "") << "not completed while blue has a query";
  state.release(*old_query);  // t = 1.5: the last on blue; the switch completes

  const SwitchSummary s = last_summary("timeline:1/a");
  EXPECT_EQ(s.from, "blue");
  EXPECT_EQ(s.to, "green");
  EXPECT_EQ(s.how, "completed");
  EXPECT_TRUE(s.announced);
  EXPECT_DOUBLE_EQ(s.first_query_on_new, 0.2);
  EXPECT_DOUBLE_EQ(s.last_release_on_old, 1.5);
  EXPECT_DOUBLE_EQ(s.completed, 1.5);
  EXPECT_EQ(s.queries_on_new, 2U);
  EXPECT_EQ(s.queries_on_old, 0U) << "the blue query was prepared before the announcement";
  EXPECT_EQ(s.recoveries_456, 3U);
  EXPECT_EQ(s.lost_queries, 1U);
  state.release(*new_query);
  state.release(*second);
}

TEST(SwitchTimeline, CountsAreDeltasOfTheSwitchNotTotals) {
  FakeClock clock;
  EndpointState state("timeline:1/b", clock, {});
  state.confirm(Deployment::kBlue);
  for (int i = 0; i < 5; ++i) state.release(*state.bind(Deployment::kBlue));
  state.counters().reruns.fetch_add(7);  // before the switch: not in its summary

  state.observe_new_strategy(Deployment::kBlue, "green");
  state.confirm(Deployment::kGreen);  // nothing bound to blue: completes at once
  SwitchSummary s = last_summary("timeline:1/b");
  EXPECT_EQ(s.to, "green");
  EXPECT_EQ(s.reruns, 0U);
  EXPECT_EQ(s.queries_on_old, 0U);
  EXPECT_EQ(s.first_query_on_new, -1) << "no query ran on green before it completed";
  EXPECT_EQ(s.last_release_on_old, -1);
  EXPECT_DOUBLE_EQ(s.completed, 0.0);

  // And back: a second switch has a summary of its own.
  clock.advance(10s);
  state.observe_new_strategy(Deployment::kGreen, "blue");
  clock.advance(50ms);
  state.release(*state.bind(Deployment::kBlue));
  state.confirm(Deployment::kBlue);
  s = last_summary("timeline:1/b");
  EXPECT_EQ(s.from, "green");
  EXPECT_EQ(s.to, "blue");
  EXPECT_EQ(s.queries_on_new, 1U);
  EXPECT_DOUBLE_EQ(s.first_query_on_new, 0.05);
  EXPECT_DOUBLE_EQ(s.completed, 0.05);
}

TEST(SwitchTimeline, ASwitchForcedByA456IsSummarizedAsSuch) {
  FakeClock clock;
  EndpointState state("timeline:1/c", clock, {});
  state.confirm(Deployment::kBlue);
  auto q = state.bind(Deployment::kBlue);
  state.observe_new_strategy(Deployment::kBlue, "green");
  clock.advance(400ms);
  state.on_wrong_deployment(Deployment::kBlue);  // blue is gone while a query was bound to it
  const SwitchSummary s = last_summary("timeline:1/c");
  EXPECT_EQ(s.how, "forced by 456");
  EXPECT_TRUE(s.announced);
  EXPECT_DOUBLE_EQ(s.completed, 0.4);
  state.release(*q);
}

TEST(SwitchTimeline, WithoutAnAnnouncementSeenTheTimelineIsUnknown) {
  FakeClock clock;
  SwitchTimeline t;
  const auto s = t.completed("timeline:1/d", Deployment::kBlue, Deployment::kGreen, "completed",
                             clock.now(), {});
  EXPECT_FALSE(s.announced);
  EXPECT_EQ(s.completed, -1);
  EXPECT_EQ(s.first_query_on_new, -1);
  EXPECT_EQ(last_summary("timeline:1/d").how, "completed");
}

}  // namespace
}  // namespace e6data::strategy

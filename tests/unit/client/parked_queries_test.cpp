// ParkedQueries: a kept cursor's finished query is cleared off the caller's path when a switch
// away from its deployment is announced, exactly once, and never when its owner took it back
// first. No network, no sleeps: the clear is a recording function, time a FakeClock.
#include "client/parked_queries.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <latch>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "strategy/endpoint_state.hpp"
#include "strategy/fake_clock.hpp"

namespace e6data::detail {
namespace {

using strategy::Deployment;

struct Recorder {
  std::mutex mutex;
  std::vector<std::string> cleared;
  void operator()(const ParkedQuery& q) {
    std::lock_guard lock(mutex);
    cleared.push_back(q.query_id);
  }
  std::vector<std::string> ids() {
    std::lock_guard lock(mutex);
    return cleared;
  }
};

class ParkedQueriesTest : public ::testing::Test {
 protected:
  ParkedQueriesTest()
      : endpoint_(
            std::make_shared<strategy::EndpointState>("h:1", clock_, strategy::BindingLimits{})),
        parked_(endpoint_, [this](const ParkedQuery& q) { recorder_(q); }) {
    endpoint_->confirm(Deployment::kBlue);  // blue active
  }

  static ParkedQuery query(Deployment d, std::string id) {
    return {strategy::Route{d, "session-" + id, 0}, std::move(id), "engine"};
  }

  strategy::testing::FakeClock clock_;
  std::shared_ptr<strategy::EndpointState> endpoint_;
  Recorder recorder_;
  ParkedQueries parked_;
};

TEST_F(ParkedQueriesTest, AnnouncedSwitchClearsTheRetiringSidesQueriesOnly) {
  auto on_blue = parked_.park(query(Deployment::kBlue, "b1"));
  auto on_green = parked_.park(query(Deployment::kGreen, "g1"));
  EXPECT_FALSE(on_blue->handed_over());
  EXPECT_EQ(parked_.parked(), 2U);
  EXPECT_TRUE(recorder_.ids().empty()) << "nothing is cleared before a switch";

  endpoint_->observe_new_strategy(Deployment::kBlue, "green");
  parked_.wait_idle();
  EXPECT_EQ(recorder_.ids(), std::vector<std::string>{"b1"});
  EXPECT_TRUE(on_blue->handed_over());
  EXPECT_FALSE(on_green->handed_over());
  EXPECT_EQ(parked_.cleared(), 1U);
  // The owner then learns that nothing is left to clear; the other query is still its owner's.
  EXPECT_FALSE(parked_.unpark(on_blue));
  EXPECT_TRUE(parked_.unpark(on_green));
  EXPECT_EQ(parked_.parked(), 0U);
}

TEST_F(ParkedQueriesTest, ParkedAfterTheAnnouncementIsHandedOverAtOnce) {
  endpoint_->observe_new_strategy(Deployment::kBlue, "green");
  auto late = parked_.park(query(Deployment::kBlue, "late"));
  EXPECT_TRUE(late->handed_over());
  parked_.wait_idle();
  EXPECT_EQ(recorder_.ids(), std::vector<std::string>{"late"});
  // A query on the announced side is kept.
  auto fresh = parked_.park(query(Deployment::kGreen, "fresh"));
  EXPECT_FALSE(fresh->handed_over());
}

TEST_F(ParkedQueriesTest, TakenBackBeforeTheSwitchIsNeverClearedHere) {
  auto ticket = parked_.park(query(Deployment::kBlue, "b1"));
  EXPECT_TRUE(parked_.unpark(ticket));
  endpoint_->observe_new_strategy(Deployment::kBlue, "green");
  parked_.wait_idle();
  EXPECT_TRUE(recorder_.ids().empty());
  EXPECT_EQ(parked_.cleared(), 0U);
}

// A query the connector forgot (lost in a switch, cancelled) is cleared on the same thread, so
// the caller that re-runs the statement or gets the error never waits for that clear.
TEST_F(ParkedQueriesTest, ForgottenQueriesAreClearedOffTheCallersPath) {
  parked_.clear_later(query(Deployment::kGreen, "lost1"));
  parked_.clear_later(query(Deployment::kBlue, "lost2"));
  parked_.wait_idle();
  EXPECT_EQ(recorder_.ids(), (std::vector<std::string>{"lost1", "lost2"}));
  EXPECT_EQ(parked_.parked(), 0U);
}

TEST_F(ParkedQueriesTest, StaleOrRepeatedAnnouncementsClearNothingMore) {
  auto ticket = parked_.park(query(Deployment::kBlue, "b1"));
  endpoint_->observe_new_strategy(Deployment::kBlue, "green");
  endpoint_->observe_new_strategy(Deployment::kBlue, "green");  // repeated: no new switch
  endpoint_->observe_new_strategy(Deployment::kGreen, "blue");  // not from the active side
  auto on_green = parked_.park(query(Deployment::kGreen, "g1"));
  parked_.wait_idle();
  EXPECT_EQ(recorder_.ids(), std::vector<std::string>{"b1"});
  EXPECT_FALSE(on_green->handed_over());
}

TEST(ParkedQueriesLifetime, DestructionClearsWhatWasHandedOverThenStops) {
  strategy::testing::FakeClock clock;
  auto endpoint =
      std::make_shared<strategy::EndpointState>("h:1", clock, strategy::BindingLimits{});
  endpoint->confirm(Deployment::kBlue);
  std::atomic<int> cleared{0};
  {
    ParkedQueries parked(endpoint, [&](const ParkedQuery&) { cleared.fetch_add(1); });
    for (int i = 0; i < 20; ++i) {
      (void)parked.park({strategy::Route{Deployment::kBlue, "s", 0}, std::to_string(i), "e"});
    }
    endpoint->observe_new_strategy(Deployment::kBlue, "green");
  }  // the destructor joins the clearing thread after it cleared all 20
  EXPECT_EQ(cleared.load(), 20);
  // The listener is gone with the object: a later switch back reaches nothing.
  endpoint->observe_new_strategy(Deployment::kBlue, "blue");
  EXPECT_EQ(cleared.load(), 20);
}

// Owners take their queries back while switches are announced on other threads: every query is
// either taken back by its owner or cleared here, never both, never twice, never lost.
TEST(ParkedQueriesConcurrency, EachQueryIsTakenBackOrClearedExactlyOnce) {
  strategy::testing::FakeClock clock;
  auto endpoint =
      std::make_shared<strategy::EndpointState>("h:1", clock, strategy::BindingLimits{});
  endpoint->confirm(Deployment::kBlue);
  Recorder recorder;
  constexpr int kOwners = 4;
  constexpr int kPerOwner = 300;
  std::vector<std::set<std::string>> taken_back(kOwners);
  {
    ParkedQueries parked(endpoint, [&](const ParkedQuery& q) { recorder(q); });
    std::latch start(kOwners + 1);
    std::vector<std::thread> threads;
    for (int t = 0; t < kOwners; ++t) {
      threads.emplace_back([&, t] {
        start.arrive_and_wait();
        for (int i = 0; i < kPerOwner; ++i) {
          const std::string id = std::to_string(t) + "-" + std::to_string(i);
          // Parked on whichever side serves new work now.
          const Deployment d = endpoint->for_new_work();
          auto ticket = parked.park({strategy::Route{d, "s", 0}, id, "e"});
          if (i % 2 == 0 && parked.unpark(ticket)) taken_back[t].insert(id);
        }
      });
    }
    start.arrive_and_wait();
    for (int i = 0; i < 50; ++i) {
      const auto w = endpoint->word();
      const Deployment other =
          w.active == Deployment::kBlue ? Deployment::kGreen : Deployment::kBlue;
      endpoint->observe_new_strategy(w.active, strategy::to_string(other));
      endpoint->confirm(other);  // the announced side answered: the switch completes
    }
    for (auto& t : threads) t.join();
    parked.wait_idle();
    // What is still parked is neither taken back nor cleared: take it back now.
  }
  std::set<std::string> cleared;
  for (const auto& id : recorder.ids()) {
    EXPECT_TRUE(cleared.insert(id).second) << id << " cleared twice";
  }
  for (const auto& owner : taken_back) {
    for (const auto& id : owner)
      EXPECT_EQ(cleared.count(id), 0U) << id << " taken back and cleared";
  }
  EXPECT_GT(cleared.size(), 0U) << "switches during the run cleared parked queries";
}

}  // namespace
}  // namespace e6data::detail

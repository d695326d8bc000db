// EndpointState: the strategy word, the graceful switch, query bindings and their bounds,
// single flights, snapshots, and the whole under concurrency. No network, no sleeps: time is a
// FakeClock.
#include "strategy/endpoint_state.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <filesystem>
#include <fstream>
#include <latch>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "e6data/errors.hpp"
#include "log/logger.hpp"
#include "strategy/call_runner.hpp"
#include "strategy/deployment.hpp"
#include "strategy/fake_clock.hpp"
#include "strategy/single_flight.hpp"

namespace e6data::strategy {
namespace {

using namespace std::chrono_literals;
using testing::FakeClock;

constexpr Deployment kBlue = Deployment::kBlue;
constexpr Deployment kGreen = Deployment::kGreen;
constexpr Deployment kNone = Deployment::kNone;

BindingLimits limits(std::int64_t capacity = 1000, Duration ttl = 300s,
                     Duration cleanup_interval = 300s) {
  BindingLimits l;
  l.capacity = capacity;
  l.ttl = ttl;
  l.cleanup_interval = cleanup_interval;
  return l;
}

// ---------------------------------------------------------------------------------------------
// Deployment names and the strategy word

TEST(Deployment, NamesAreTheHeaderSpelling) {
  EXPECT_EQ(to_string(kBlue), "blue");
  EXPECT_EQ(to_string(kGreen), "green");
  EXPECT_EQ(to_string(kNone), "");
  EXPECT_EQ(other(kBlue), kGreen);
  EXPECT_EQ(other(kGreen), kBlue);
  EXPECT_EQ(other(kNone), kNone);
}

TEST(Deployment, ParsesCaseInsensitivelyAndNothingElse) {
  EXPECT_EQ(parse_deployment("blue"), kBlue);
  EXPECT_EQ(parse_deployment("GREEN"), kGreen);
  EXPECT_EQ(parse_deployment("Blue"), kBlue);
  EXPECT_EQ(parse_deployment(""), std::nullopt);
  EXPECT_EQ(parse_deployment("blu"), std::nullopt);
  EXPECT_EQ(parse_deployment("blue "), std::nullopt);
  EXPECT_EQ(parse_deployment("greenish"), std::nullopt);
  EXPECT_EQ(parse_deployment("red"), std::nullopt);
}

TEST(StrategyWord, PackUnpackRoundTrip) {
  for (Deployment a : {kNone, kBlue, kGreen}) {
    for (Deployment p : {kNone, kBlue, kGreen}) {
      for (std::uint32_t g : {0u, 1u, 77u, 0xffffffffu}) {
        for (bool confirmed : {false, true}) {
          const StrategyWord w{a, p, confirmed, g};
          const StrategyWord back = StrategyWord::unpack(w.pack());
          EXPECT_EQ(back.active, a);
          EXPECT_EQ(back.pending, p);
          EXPECT_EQ(back.pending_confirmed, confirmed);
          EXPECT_EQ(back.generation, g);
        }
      }
    }
  }
  EXPECT_EQ(StrategyWord{}.pack(), 0u);
}

// ---------------------------------------------------------------------------------------------
// The strategy: confirm, announcements, 456, reset

class EndpointStateTest : public ::testing::Test {
 protected:
  FakeClock clock;
  EndpointState state{"host:443/cluster", clock, limits()};
};

TEST_F(EndpointStateTest, StartsUnknown) {
  EXPECT_EQ(state.endpoint(), "host:443/cluster");
  EXPECT_EQ(state.word().active, kNone);
  EXPECT_EQ(state.word().pending, kNone);
  EXPECT_EQ(state.for_new_work(), kNone);
  EXPECT_FALSE(state.is_fresh(300s));
  EXPECT_EQ(state.last_gone(), kNone);
  EXPECT_EQ(state.live_bindings(), 0u);
}

TEST_F(EndpointStateTest, ConfirmSetsActiveWhenUnknownAndRefreshesTheCache) {
  state.confirm(kBlue);
  EXPECT_EQ(state.word().active, kBlue);
  EXPECT_EQ(state.for_new_work(), kBlue);
  EXPECT_TRUE(state.is_fresh(300s));
  clock.advance(299s);
  EXPECT_TRUE(state.is_fresh(300s));
  clock.advance(1s);
  EXPECT_FALSE(state.is_fresh(300s));
  // Confirming again refreshes.
  state.confirm(kBlue);
  EXPECT_TRUE(state.is_fresh(300s));
  // A confirmation of the other deployment does not override what is known, nor refresh it.
  clock.advance(400s);
  const auto generation = state.word().generation;
  state.confirm(kGreen);
  EXPECT_EQ(state.word().active, kBlue);
  EXPECT_EQ(state.word().generation, generation);
  EXPECT_FALSE(state.is_fresh(300s));
  state.confirm(kNone);
  EXPECT_EQ(state.word().active, kBlue);
}

TEST_F(EndpointStateTest, ConfirmOfThePendingDeploymentRefreshes) {
  state.confirm(kBlue);
  auto q = state.bind(kBlue);
  state.observe_new_strategy(kBlue, "green");
  clock.advance(1h);
  EXPECT_FALSE(state.is_fresh(300s));
  state.confirm(kBlue);  // the active one, but not the one for new work
  EXPECT_FALSE(state.is_fresh(300s));
  state.confirm(kGreen);
  EXPECT_TRUE(state.is_fresh(300s));
  EXPECT_EQ(state.word().active, kBlue);
  EXPECT_EQ(state.word().pending, kGreen);
  state.release(*q);
}

TEST_F(EndpointStateTest, AnnouncementWithNothingKnownBecomesActive) {
  state.observe_new_strategy(kNone, "GREEN");
  EXPECT_EQ(state.word().active, kGreen);
  EXPECT_EQ(state.word().pending, kNone);
  EXPECT_EQ(state.counters().transitions.load(), 0u);
}

TEST_F(EndpointStateTest, EmptyOrUnknownAnnouncementsAreIgnored) {
  state.confirm(kBlue);
  const auto before = state.word().pack();
  state.observe_new_strategy(kBlue, "");
  state.observe_new_strategy(kBlue, "purple");
  state.observe_new_strategy(kBlue, "blue");  // what is already active
  EXPECT_EQ(state.word().pack(), before);
  EXPECT_EQ(state.counters().announcements.load(), 0u);
}

TEST_F(EndpointStateTest, SwitchWithoutBoundQueriesCompletesOnceTheNewSideAnswers) {
  state.confirm(kBlue);
  state.observe_new_strategy(kBlue, "green");
  // Announced, but green has not answered yet (a router may accept it a moment late): blue
  // stays active so that there is always a side to fall back on.
  EXPECT_EQ(state.word().active, kBlue);
  EXPECT_EQ(state.word().pending, kGreen);
  EXPECT_FALSE(state.word().pending_confirmed);
  EXPECT_EQ(state.for_new_work(), kGreen);
  EXPECT_EQ(state.counters().transitions.load(), 0u);
  state.note_served(kGreen);
  EXPECT_EQ(state.word().active, kGreen);
  EXPECT_EQ(state.word().pending, kNone);
  EXPECT_EQ(state.counters().announcements.load(), 1u);
  EXPECT_EQ(state.counters().transitions.load(), 1u);
  EXPECT_TRUE(state.is_fresh(1s));
}

// Rule 3: graceful switch.
TEST_F(EndpointStateTest, GracefulSwitchWaitsForTheLastQueryOnTheOldDeployment) {
  state.confirm(kBlue);
  auto q1 = state.bind(kBlue);
  auto q2 = state.bind(kBlue);
  ASSERT_NE(q1, nullptr);
  ASSERT_NE(q2, nullptr);
  EXPECT_EQ(q1->deployment(), kBlue);
  EXPECT_EQ(state.bound(kBlue), 2);

  state.observe_new_strategy(kBlue, "green");
  EXPECT_EQ(state.word().active, kBlue);
  EXPECT_EQ(state.word().pending, kGreen);
  EXPECT_EQ(state.for_new_work(), kGreen) << "new work goes to green at once";
  EXPECT_EQ(state.counters().announcements.load(), 1u);
  EXPECT_EQ(state.counters().transitions.load(), 0u);

  // Announced again (every blue response carries it): nothing changes.
  state.observe_new_strategy(kBlue, "green");
  EXPECT_EQ(state.counters().announcements.load(), 1u);

  // Blue takes no new queries; green does.
  EXPECT_EQ(state.bind(kBlue), nullptr);
  EXPECT_EQ(state.bound(kBlue), 2);
  auto q3 = state.bind(kGreen);
  ASSERT_NE(q3, nullptr);
  EXPECT_EQ(q3->deployment(), kGreen);
  state.note_served(kGreen);  // green answered
  EXPECT_TRUE(state.word().pending_confirmed);

  state.release(*q1);
  EXPECT_EQ(state.word().active, kBlue) << "q2 still runs on blue";
  EXPECT_EQ(state.word().pending, kGreen);
  state.release(*q1);  // idempotent
  EXPECT_EQ(state.bound(kBlue), 1);

  state.release(*q2);
  EXPECT_EQ(state.word().active, kGreen);
  EXPECT_EQ(state.word().pending, kNone);
  EXPECT_EQ(state.counters().transitions.load(), 1u);
  EXPECT_EQ(state.bound(kBlue), 0);
  EXPECT_EQ(state.bound(kGreen), 1);
  EXPECT_TRUE(q1->released());
  EXPECT_TRUE(q2->released());
  EXPECT_FALSE(q3->released());
  state.release(*q3);
  EXPECT_EQ(state.live_bindings(), 0u);
  EXPECT_EQ(state.counters().queries_blue.load(), 2u);
  EXPECT_EQ(state.counters().queries_green.load(), 1u);
}

// PROTOCOL.md §5.3: a deployment that answered getNextResultBatchV2 with UNIMPLEMENTED is read
// with V1 until a transition completes (a switch is a server upgrade); an announcement alone, or
// a switch back before completion, changes nothing.
TEST_F(EndpointStateTest, ACompletedTransitionClearsTheV1OnlyMemory) {
  state.confirm(kBlue);
  state.note_result_batch_v1_only(kBlue);
  state.note_result_batch_v1_only(kGreen);
  auto q = state.bind(kBlue);
  state.observe_new_strategy(kBlue, "green");
  state.note_served(kGreen);
  EXPECT_TRUE(state.result_batch_v1_only(kBlue)) << "announced, not completed: q still runs";
  EXPECT_TRUE(state.result_batch_v1_only(kGreen));
  state.release(*q);
  ASSERT_EQ(state.word().active, kGreen);
  ASSERT_EQ(state.counters().transitions.load(), 1u);
  EXPECT_FALSE(state.result_batch_v1_only(kBlue));
  EXPECT_FALSE(state.result_batch_v1_only(kGreen));

  state.note_result_batch_v1_only(kGreen);
  state.observe_new_strategy(kGreen, "blue");
  state.observe_new_strategy(kGreen, "green");  // switched back before completion
  EXPECT_EQ(state.counters().transitions.load(), 1u);
  EXPECT_TRUE(state.result_batch_v1_only(kGreen));
}

TEST_F(EndpointStateTest, SwitchBackBeforeCompletionCancelsThePendingSwitch) {
  state.confirm(kBlue);
  auto q = state.bind(kBlue);
  state.observe_new_strategy(kBlue, "green");
  ASSERT_EQ(state.word().pending, kGreen);
  state.observe_new_strategy(kBlue, "blue");
  EXPECT_EQ(state.word().active, kBlue);
  EXPECT_EQ(state.word().pending, kNone);
  EXPECT_EQ(state.for_new_work(), kBlue);
  state.release(*q);
  EXPECT_EQ(state.word().active, kBlue);
  EXPECT_EQ(state.counters().transitions.load(), 0u);
}

TEST_F(EndpointStateTest, GenerationChangesWithEveryWrite) {
  const auto g0 = state.word().generation;
  state.confirm(kBlue);
  const auto g1 = state.word().generation;
  EXPECT_NE(g1, g0);
  state.observe_new_strategy(kBlue, "green");  // pending
  EXPECT_EQ(state.word().generation, g1 + 1);
  state.note_served(kGreen);  // confirmed, then completed: two writes
  EXPECT_EQ(state.word().generation, g1 + 3);
  state.note_served(kGreen);  // nothing changes
  EXPECT_EQ(state.word().generation, g1 + 3);
}

TEST_F(EndpointStateTest, WrongDeploymentForgetsTheStrategyOrForcesThePendingSwitch) {
  state.confirm(kBlue);
  state.on_wrong_deployment(kGreen);  // not the active one, nothing pending: no change
  EXPECT_EQ(state.word().active, kBlue);
  EXPECT_EQ(state.last_gone(), kGreen);

  state.on_wrong_deployment(kBlue);
  EXPECT_EQ(state.word().active, kNone);
  EXPECT_EQ(state.for_new_work(), kNone);
  EXPECT_FALSE(state.is_fresh(1h));
  EXPECT_EQ(state.last_gone(), kBlue);

  // Pending switch: the old deployment answers 456 while a query is still bound to it.
  state.confirm(kBlue);
  auto q = state.bind(kBlue);
  state.observe_new_strategy(kBlue, "green");
  ASSERT_EQ(state.word().pending, kGreen);
  state.on_wrong_deployment(kBlue);
  EXPECT_EQ(state.word().active, kGreen);
  EXPECT_EQ(state.word().pending, kNone);
  EXPECT_EQ(state.counters().transitions.load(), 1u);
  state.release(*q);
  EXPECT_EQ(state.word().active, kGreen);

  // The pending deployment answers 456 (router lag): new work stays on green for a short hold,
  // and the switch is abandoned only after it has refused for the whole lag window.
  auto q2 = state.bind(kGreen);
  state.observe_new_strategy(kGreen, "blue");
  ASSERT_EQ(state.word().pending, kBlue);
  state.on_wrong_deployment(kBlue);
  EXPECT_EQ(state.word().pending, kBlue);
  EXPECT_EQ(state.for_new_work(), kGreen) << "held on the active side";
  clock.advance(2100ms);
  EXPECT_EQ(state.for_new_work(), kBlue) << "the hold ended: blue is tried again";
  state.on_wrong_deployment(kBlue);
  EXPECT_EQ(state.word().active, kGreen);
  EXPECT_EQ(state.word().pending, kNone);
  state.release(*q2);

  state.on_wrong_deployment(kNone);
  EXPECT_EQ(state.word().active, kGreen);
}

// Router lag (PROTOCOL.md §6): the announced side answers 456 for a moment after the
// announcement. New work stays on the active side, which keeps serving, and the announced side
// is retried after a short, growing hold; nothing is forgotten.
TEST_F(EndpointStateTest, ALaggingRouterHoldsNewWorkOnTheActiveSide) {
  state.confirm(kBlue);
  state.observe_new_strategy(kBlue, "green");
  const auto g = state.word().generation;
  ASSERT_EQ(state.for_new_work(), kGreen);
  state.on_wrong_deployment(kGreen, g);
  EXPECT_EQ(state.for_new_work(), kBlue);
  EXPECT_EQ(state.word().active, kBlue) << "the active side is not forgotten";
  EXPECT_EQ(state.word().pending, kGreen) << "nor the announcement";
  EXPECT_EQ(state.counters().lag_holds.load(), 1u);
  clock.advance(30ms);
  EXPECT_EQ(state.for_new_work(), kGreen) << "retried after the first hold (25 ms)";
  state.on_wrong_deployment(kGreen, g);
  clock.advance(30ms);
  EXPECT_EQ(state.for_new_work(), kBlue) << "the second hold is longer (50 ms)";
  clock.advance(30ms);
  EXPECT_EQ(state.for_new_work(), kGreen);
  // Green answers at last: the switch completes (no query on blue).
  state.note_served(kGreen);
  EXPECT_EQ(state.word().active, kGreen);
  EXPECT_EQ(state.word().pending, kNone);
  EXPECT_EQ(state.for_new_work(), kGreen);
}

TEST_F(EndpointStateTest, ARouterAcceptingTheNewSideUpToOneSecondLateNeverLosesTheActiveSide) {
  state.confirm(kBlue);
  state.observe_new_strategy(kBlue, "green");
  // Every call routed to green is refused for 1 s; blue serves throughout.
  int to_green = 0;
  for (int ms = 0; ms < 1000; ms += 5) {
    const auto w = state.word();
    const Deployment d = state.for_new_work();
    ASSERT_NE(d, kNone) << "at " << ms << " ms";
    if (d == kGreen) {
      ++to_green;
      state.on_wrong_deployment(kGreen, w.generation);
    }
    clock.advance(5ms);
  }
  EXPECT_EQ(state.word().active, kBlue);
  EXPECT_EQ(state.word().pending, kGreen);
  EXPECT_LE(to_green, 14) << "bounded retries of the lagging side, not a ping-pong";
  state.note_served(kGreen);
  EXPECT_EQ(state.word().active, kGreen);
}

TEST_F(EndpointStateTest, StaleEventsDoNotUndoNewerKnowledge) {
  state.confirm(kBlue);
  const auto old_generation = state.word().generation;
  state.observe_new_strategy(kBlue, "green");
  state.note_served(kGreen);
  ASSERT_EQ(state.word().active, kGreen);
  // A 456 for blue from a call routed before the switch: stale, ignored.
  state.on_wrong_deployment(kBlue, old_generation);
  EXPECT_EQ(state.word().active, kGreen);
  // A 456 for green from a call routed under the old word: ignored too.
  state.on_wrong_deployment(kGreen, old_generation);
  EXPECT_EQ(state.word().active, kGreen);
  // A late response from blue (a query that finished there) announcing green, or anything else:
  // only the active deployment announces.
  state.observe_new_strategy(kBlue, "blue");
  EXPECT_EQ(state.word().active, kGreen);
  EXPECT_EQ(state.word().pending, kNone);
  // A current 456 for the active side is acted on.
  state.on_wrong_deployment(kGreen, state.word().generation);
  EXPECT_EQ(state.word().active, kNone);
}

TEST_F(EndpointStateTest, RevalidationIsClaimedByOneCallerPerExpiry) {
  state.confirm(kBlue);
  EXPECT_FALSE(state.claim_revalidation(60s)) << "fresh";
  clock.advance(61s);
  EXPECT_TRUE(state.claim_revalidation(60s));
  EXPECT_FALSE(state.claim_revalidation(60s)) << "one caller per expiry";
  clock.advance(61s);
  EXPECT_TRUE(state.claim_revalidation(60s));
}

TEST_F(EndpointStateTest, ResetForgetsEverything) {
  state.confirm(kBlue);
  auto q = state.bind(kBlue);
  state.observe_new_strategy(kBlue, "green");
  state.reset();
  EXPECT_EQ(state.word().active, kNone);
  EXPECT_EQ(state.word().pending, kNone);
  EXPECT_FALSE(state.is_fresh(1h));
  state.release(*q);
  EXPECT_EQ(state.bound(kBlue), 0);
}

// ---------------------------------------------------------------------------------------------
// Rule 7: bounded bookkeeping

TEST(EndpointStateBindings, CapEvictsTheOldestBindings) {
  FakeClock clock;
  EndpointState state("cap", clock, limits(3));
  state.confirm(kBlue);
  std::vector<std::shared_ptr<QueryBinding>> held;
  for (int i = 0; i < 5; ++i) {
    held.push_back(state.bind(kBlue));
    ASSERT_NE(held.back(), nullptr);
  }
  EXPECT_EQ(state.live_bindings(), 3u);
  EXPECT_EQ(state.bound(kBlue), 3);
  EXPECT_EQ(state.counters().bindings_evicted.load(), 2u);
  EXPECT_TRUE(held[0]->released());
  EXPECT_TRUE(held[1]->released());
  EXPECT_FALSE(held[2]->released());
  EXPECT_FALSE(held[4]->released());
  // Releasing an evicted binding is harmless.
  state.release(*held[0]);
  EXPECT_EQ(state.bound(kBlue), 3);
  for (auto& b : held) state.release(*b);
  EXPECT_EQ(state.live_bindings(), 0u);
  EXPECT_EQ(state.bound(kBlue), 0);
}

TEST(EndpointStateBindings, AbandonedBindingsAreEvictedAfterTheTtlAtACleanupPass) {
  FakeClock clock;
  EndpointState state("ttl", clock, limits(1000, 60s, 10s));
  state.confirm(kBlue);
  auto idle = state.bind(kBlue);
  auto used = state.bind(kBlue);
  clock.advance(50s);
  used->touch(clock.now());
  clock.advance(20s);  // idle: 70 s > ttl; used: 20 s
  auto fresh = state.bind(kBlue);
  EXPECT_TRUE(idle->released());
  EXPECT_FALSE(used->released());
  EXPECT_FALSE(fresh->released());
  EXPECT_EQ(state.counters().bindings_evicted.load(), 1u);
  EXPECT_EQ(state.live_bindings(), 2u);
  EXPECT_EQ(state.bound(kBlue), 2);
  state.release(*used);
  state.release(*fresh);
  state.release(*idle);
  EXPECT_EQ(state.bound(kBlue), 0);
}

TEST(EndpointStateBindings, CleanupRunsOnlyOncePerInterval) {
  FakeClock clock;
  EndpointState state("interval", clock, limits(1000, 60s, 300s));
  state.confirm(kBlue);
  auto idle = state.bind(kBlue);
  clock.advance(100s);  // past the TTL, but no cleanup pass is due yet
  auto other = state.bind(kBlue);
  EXPECT_FALSE(idle->released());
  clock.advance(200s);  // 300 s since the last pass
  auto third = state.bind(kBlue);
  EXPECT_TRUE(idle->released());
  EXPECT_TRUE(other->released()) << "idle for 200 s > ttl";
  EXPECT_FALSE(third->released());
  EXPECT_EQ(state.counters().bindings_evicted.load(), 2u);
  state.release(*third);
  EXPECT_EQ(state.live_bindings(), 0u);
}

// An eviction is a release: when it releases the last query on the old deployment, the pending
// switch completes then (not at some later, unrelated release).
TEST(EndpointStateBindings, EvictingTheLastOldQueryCompletesThePendingSwitch) {
  FakeClock clock;
  EndpointState state("evict-switch", clock, limits(1000, 60s, 10s));
  state.confirm(kBlue);
  auto abandoned = state.bind(kBlue);
  state.observe_new_strategy(kBlue, "green");
  state.note_served(kGreen);
  ASSERT_EQ(state.word().pending, kGreen);
  clock.advance(61s);
  auto q = state.bind(kGreen);
  ASSERT_NE(q, nullptr);
  EXPECT_TRUE(abandoned->released());
  EXPECT_EQ(state.bound(kBlue), 0);
  EXPECT_EQ(state.word().active, kGreen);
  EXPECT_EQ(state.word().pending, kNone);
  EXPECT_EQ(state.counters().transitions.load(), 1u);
  state.release(*q);
}

TEST(EndpointStateBindings, CapEvictionAlsoCompletesThePendingSwitch) {
  FakeClock clock;
  EndpointState state("cap-switch", clock, limits(1));
  state.confirm(kBlue);
  auto old = state.bind(kBlue);
  state.observe_new_strategy(kBlue, "green");
  state.note_served(kGreen);
  auto q = state.bind(kGreen);  // the cap of 1 evicts `old`
  EXPECT_TRUE(old->released());
  EXPECT_EQ(state.word().active, kGreen);
  EXPECT_EQ(state.word().pending, kNone);
  state.release(*q);
}

TEST(EndpointStateBindings, AMillionBindReleaseCyclesLeaveNothingBehind) {
  FakeClock clock;
  EndpointState state("million", clock, limits());
  state.confirm(kBlue);
  for (int i = 0; i < 1'000'000; ++i) {
    auto b = state.bind(kBlue);
    state.release(*b);
  }
  EXPECT_EQ(state.live_bindings(), 0u);
  EXPECT_EQ(state.bound(kBlue), 0);
  EXPECT_EQ(state.bound(kGreen), 0);
  EXPECT_EQ(state.counters().queries_blue.load(), 1'000'000u);
  EXPECT_EQ(state.counters().bindings_evicted.load(), 0u);
}

TEST(EndpointStateBindings, BindingsNeverReleasedStayWithinTheCap) {
  FakeClock clock;
  EndpointState state("leaky", clock, limits(1000));
  state.confirm(kBlue);
  for (int i = 0; i < 100'000; ++i) {
    auto b = state.bind(kBlue);  // dropped without release: a leaked cursor
    ASSERT_NE(b, nullptr);
  }
  EXPECT_EQ(state.live_bindings(), 1000u);
  EXPECT_EQ(state.bound(kBlue), 1000);
  EXPECT_EQ(state.counters().bindings_evicted.load(), 99'000u);
}

// A detection that finds what the last one found (every new connection to an endpoint whose
// strategy was forgotten) logs at DEBUG; the first one and every change log at INFO.
TEST(EndpointStateLogging, RepeatedDetectionOfTheSameDeploymentIsDebug) {
  const auto path = std::filesystem::temp_directory_path() /
                    ("e6data-detect-log-" + std::to_string(::getpid()) + ".log");
  std::filesystem::remove(path);
  log::LogOptions to_file;
  to_file.output = path.string();  // INFO and above
  log::configure(to_file);
  FakeClock clock;
  EndpointState state("h:1", clock, limits());
  const auto detected_lines = [&] {
    log::get("e6data.strategy")->flush();
    std::ifstream in(path);
    int n = 0;
    for (std::string line; std::getline(in, line);) {
      if (line.find("(detected)") != std::string::npos) ++n;
    }
    return n;
  };
  state.confirm(kBlue);
  EXPECT_EQ(detected_lines(), 1) << "the first detection";
  state.reset();
  state.confirm(kBlue);
  state.reset();
  state.confirm(kBlue);
  EXPECT_EQ(detected_lines(), 1) << "the same answer again is routine";
  state.reset();
  state.confirm(kGreen);
  EXPECT_EQ(detected_lines(), 2) << "a change is news";
  log::configure(log::LogOptions{});
  std::filesystem::remove(path);
}

// ---------------------------------------------------------------------------------------------
// Rule 8: concurrency. Workers route and bind/release while an announcer switches
// blue -> green -> blue ...; afterwards every count is back to zero and the state is consistent.

TEST(EndpointStateConcurrency, BindReleaseRouteWhileSwitching) {
  log::LogOptions quiet;
  quiet.level = "warning";
  log::configure(quiet);

  FakeClock clock;
  auto state = std::make_shared<EndpointState>("concurrent", clock, limits(1'000'000));
  state->confirm(kBlue);
  std::atomic<int> authentications{0};
  RunnerHooks hooks;
  hooks.authenticate = [&](Deployment d, TimePoint) {
    authentications.fetch_add(1);
    return std::string(to_string(d)) + "-session";
  };
  // Two connections shared by the workers, as threads share a Connection.
  CallRunner runner_a(state, RunnerSettings{}, hooks);
  CallRunner runner_b(state, RunnerSettings{}, hooks);

  constexpr int kWorkers = 16;
  constexpr int kIterations = 10000;
  std::atomic<std::int64_t> binds{0}, releases{0}, refused{0};
  std::atomic<int> negative{0}, mismatched{0}, bad_route{0}, workers_left{kWorkers};
  std::latch start(kWorkers + 1);

  std::vector<std::thread> threads;
  for (int t = 0; t < kWorkers; ++t) {
    threads.emplace_back([&, t] {
      CallRunner& runner = t % 2 == 0 ? runner_a : runner_b;
      std::deque<std::shared_ptr<QueryBinding>> held;  // up to 3 live queries per worker
      start.arrive_and_wait();
      for (int i = 0; i < kIterations; ++i) {
        const Route route = runner.route(clock.now() + 60s);
        if (route.deployment == kNone ||
            route.session != std::string(to_string(route.deployment)) + "-session") {
          bad_route.fetch_add(1);
        }
        auto binding = state->bind(route.deployment);
        if (!binding) {
          refused.fetch_add(1);
        } else {
          binds.fetch_add(1);
          if (binding->deployment() != route.deployment) mismatched.fetch_add(1);
          binding->touch(clock.now());
          held.push_back(std::move(binding));
        }
        if (held.size() > static_cast<std::size_t>(i % 4)) {
          state->release(*held.front());
          held.pop_front();
          releases.fetch_add(1);
        }
        if (state->bound(kBlue) < 0 || state->bound(kGreen) < 0) negative.fetch_add(1);
      }
      while (!held.empty()) {
        state->release(*held.front());
        held.pop_front();
        releases.fetch_add(1);
      }
      workers_left.fetch_sub(1);
    });
  }

  Deployment last_announced = kBlue;
  int switches = 0;
  threads.emplace_back([&] {
    start.arrive_and_wait();
    while (workers_left.load() > 0 || switches < 50) {
      const Deployment next = other(last_announced);
      // Only the active deployment announces; the announced side then answers a call.
      state->observe_new_strategy(state->word().active, to_string(next));
      state->note_served(next);
      last_announced = next;
      ++switches;
      std::this_thread::yield();
    }
  });
  for (auto& th : threads) th.join();

  EXPECT_EQ(negative.load(), 0);
  EXPECT_EQ(mismatched.load(), 0);
  EXPECT_EQ(bad_route.load(), 0);
  EXPECT_EQ(binds.load(), releases.load()) << "every binding released";
  EXPECT_GT(binds.load(), 0);
  EXPECT_EQ(state->bound(kBlue), 0);
  EXPECT_EQ(state->bound(kGreen), 0);
  EXPECT_EQ(state->live_bindings(), 0u);
  EXPECT_EQ(state->counters().bindings_evicted.load(), 0u);
  EXPECT_EQ(state->counters().queries_blue.load() + state->counters().queries_green.load(),
            static_cast<std::uint64_t>(binds.load()));
  // With nothing bound, the last announcement has taken effect.
  EXPECT_EQ(state->word().pending, kNone);
  EXPECT_EQ(state->word().active, last_announced);
  EXPECT_GE(switches, 50);
  // (Possibly no switch completed: the workers may have held a query on the old deployment
  // until each announcement was called off by the next.)
  EXPECT_LE(state->counters().transitions.load(), static_cast<std::uint64_t>(switches));
  // After the switches settle, routing gives the active deployment.
  EXPECT_EQ(runner_a.route(clock.now() + 60s).deployment, last_announced);

  log::configure(log::LogOptions{});
}

// ---------------------------------------------------------------------------------------------
// Single flights: one leader does the work, the rest wait for its result.

// A FakeClock whose now() calls are counted per thread, for threads that opt in. SingleFlight
// reads the clock only in a follower, after it has joined the flight: the leader can wait for
// the followers to be in before it finishes.
struct FollowerWatch {
  static inline thread_local bool watched = false;
  std::mutex mutex;
  std::condition_variable cv;
  int followers = 0;

  void on_now() {
    if (!watched) return;
    watched = false;
    std::lock_guard lock(mutex);
    ++followers;
    cv.notify_all();
  }
  bool wait_for(int n) {
    std::unique_lock lock(mutex);
    return cv.wait_for(lock, 30s, [&] { return followers >= n; });
  }
};

TEST(SingleFlight, OneLeaderRunsTheWorkForEveryWaitingCaller) {
  FakeClock clock;
  FollowerWatch watch;
  clock.set_on_now([&] { watch.on_now(); });
  SingleFlight<int> flight;
  constexpr int kCallers = 32;
  std::atomic<int> runs{0}, leaders{0}, got_42{0};
  std::atomic<bool> all_joined{false};
  std::vector<std::thread> threads;
  std::latch start(kCallers);
  const TimePoint deadline = clock.now() + 60s;
  for (int i = 0; i < kCallers; ++i) {
    threads.emplace_back([&] {
      start.arrive_and_wait();
      FollowerWatch::watched = true;
      auto outcome = flight.run(
          [&] {
            runs.fetch_add(1);
            all_joined = watch.wait_for(kCallers - 1);
            return 42;
          },
          clock, deadline, "the answer");
      FollowerWatch::watched = false;
      if (outcome.leader) leaders.fetch_add(1);
      if (outcome.value == 42) got_42.fetch_add(1);
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_TRUE(all_joined.load());
  EXPECT_EQ(runs.load(), 1);
  EXPECT_EQ(leaders.load(), 1);
  EXPECT_EQ(got_42.load(), kCallers);
}

TEST(SingleFlight, TheLeadersErrorReachesOnlyTheLeader) {
  FakeClock clock;
  FollowerWatch watch;
  clock.set_on_now([&] { watch.on_now(); });
  SingleFlight<int> flight;
  std::atomic<int> thrown{0}, empty{0};
  std::atomic<bool> joined{false};
  std::vector<std::thread> threads;
  for (int i = 0; i < 2; ++i) {
    threads.emplace_back([&] {
      const TimePoint deadline = clock.now() + 60s;
      FollowerWatch::watched = true;
      try {
        auto outcome = flight.run(
            [&]() -> int {
              joined = watch.wait_for(1);
              throw std::runtime_error("leader failed");
            },
            clock, deadline, "work");
        FollowerWatch::watched = false;
        if (!outcome.value && !outcome.leader) empty.fetch_add(1);
      } catch (const std::runtime_error&) {
        FollowerWatch::watched = false;
        thrown.fetch_add(1);
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_TRUE(joined.load());
  EXPECT_EQ(thrown.load(), 1);
  EXPECT_EQ(empty.load(), 1);
  // The flight is free again.
  EXPECT_EQ(flight.run([] { return 7; }, clock, clock.now() + 1s, "work").value, 7);
}

TEST(SingleFlight, AFollowerGivesUpAtItsDeadline) {
  FakeClock clock;
  SingleFlight<int> flight;
  std::latch leader_in(1), follower_done(1);
  std::thread leader([&] {
    flight.run(
        [&] {
          leader_in.count_down();
          follower_done.wait();
          return 1;
        },
        clock, clock.now() + 60s, "work");
  });
  leader_in.wait();
  // Deadline already reached on the (fake) clock: no real wait.
  EXPECT_THROW(flight.run([] { return 2; }, clock, clock.now(), "work"), TimeoutError);
  follower_done.count_down();
  leader.join();
}

// ---------------------------------------------------------------------------------------------
// Rule 11: the snapshot, as JSON

TEST_F(EndpointStateTest, SnapshotJsonCarriesTheState) {
  {
    const auto j = nlohmann::json::parse(state.snapshot().to_json());
    EXPECT_EQ(j["active"], "");
    EXPECT_EQ(j["pending"], "");
    EXPECT_EQ(j["seconds_since_check"], -1);
    EXPECT_EQ(j["last_transition"], "");
  }
  state.confirm(kBlue);
  auto q = state.bind(kBlue);
  state.observe_new_strategy(kBlue, "green");
  clock.advance(5s);
  auto snapshot = state.snapshot();
  EXPECT_EQ(snapshot.active, "blue");
  EXPECT_EQ(snapshot.pending, "green");
  EXPECT_EQ(snapshot.bound_blue, 1);
  const auto j = nlohmann::json::parse(snapshot.to_json());
  EXPECT_EQ(j["endpoint"], "host:443/cluster");
  EXPECT_EQ(j["active"], "blue");
  EXPECT_EQ(j["pending"], "green");
  EXPECT_DOUBLE_EQ(j["seconds_since_check"].get<double>(), 5.0);
  EXPECT_EQ(j["last_transition"], "blue");
  EXPECT_EQ(j["bound_queries"]["blue"], 1);
  EXPECT_EQ(j["bound_queries"]["green"], 0);
  EXPECT_EQ(j["counters"]["announcements"], 1);
  EXPECT_EQ(j["counters"]["transitions"], 0);
  EXPECT_EQ(j["counters"]["queries_blue"], 1);
  for (const char* key :
       {"detections", "detection_probes", "cache_hits", "cache_misses", "recoveries_456",
        "reauthentications", "resumes", "retries", "transitions", "announcements", "reruns",
        "lost_queries", "queries_blue", "queries_green", "bindings_evicted", "lag_holds"}) {
    EXPECT_TRUE(j["counters"].contains(key)) << key;
  }

  state.note_served(kGreen);
  state.release(*q);
  clock.advance(2s);
  const auto after = nlohmann::json::parse(state.snapshot().to_json());
  EXPECT_EQ(after["active"], "green");
  EXPECT_EQ(after["pending"], "");
  EXPECT_EQ(after["last_transition"], "blue->green");
  EXPECT_DOUBLE_EQ(after["seconds_since_transition"].get<double>(), 2.0);
  EXPECT_EQ(after["bound_queries"]["blue"], 0);
  EXPECT_EQ(after["counters"]["transitions"], 1);
}

}  // namespace
}  // namespace e6data::strategy

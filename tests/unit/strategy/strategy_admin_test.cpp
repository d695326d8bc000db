// The operator API of include/e6data/strategy.hpp: reading a shared strategy file without joining
// it (and refusing a file not safe to trust), clearing an endpoint's cached strategy and applying
// a pending switch, in this process and in a shared file. Files live in a fresh directory under
// /tmp, except one test of the public defaults, which uses a uniquely named file in /dev/shm and
// removes it. The tests run as root (chown to another uid needs it) or skip those cases.
#include "strategy/strategy_admin.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "e6data/options.hpp"
#include "e6data/strategy.hpp"
#include "log/logger.hpp"
#include "strategy/clock.hpp"
#include "strategy/endpoint_registry.hpp"
#include "strategy/endpoint_state.hpp"
#include "strategy/shared_strategy_file.hpp"

namespace e6data::strategy {
namespace {

using Reason = SharedStateError::Reason;
constexpr Deployment kBlue = Deployment::kBlue;
constexpr Deployment kGreen = Deployment::kGreen;
constexpr Deployment kNone = Deployment::kNone;

std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

class StrategyAdminTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/e6data-strategy-admin-XXXXXX";
    ASSERT_NE(::mkdtemp(pattern), nullptr);
    dir = pattern;
  }
  void TearDown() override { std::filesystem::remove_all(dir); }

  // The reason read_shared_slots gives for `name`, with its message in `message`.
  std::optional<Reason> refusal(const std::string& name, std::string* message = nullptr) {
    try {
      (void)read_shared_slots(name, dir);
    } catch (const SharedStateError& e) {
      if (message != nullptr) *message = e.what();
      EXPECT_EQ(e.kind(), ErrorKind::kUsage);
      EXPECT_EQ(e.path(), dir + "/" + name);
      return e.reason();
    }
    return std::nullopt;
  }

  ConnectionOptions options(const std::string& host, const std::string& shared = "") const {
    ConnectionOptions o;
    o.host = host;
    o.port = 443;
    o.cluster_name = "Cluster";
    o.strategy.shared_state = shared;
    return o;
  }

  std::string dir;
};

TEST_F(StrategyAdminTest, ReadingListsEveryClaimedSlotWithItsEndpoint) {
  StrategyCell* one = shared_strategy_cell("strategy", "one.test:443/c", dir);
  StrategyCell* two = shared_strategy_cell("strategy", "two.test:443/c", dir);
  ASSERT_NE(one, nullptr);
  ASSERT_NE(two, nullptr);
  EndpointState a("one.test:443/c", system_clock(), BindingLimits{}, one);
  EndpointState b("two.test:443/c", system_clock(), BindingLimits{}, two);
  a.confirm(kBlue);
  b.confirm(kBlue);
  b.observe_new_strategy(kBlue, "green");

  const auto slots = read_shared_slots("strategy", dir);
  ASSERT_EQ(slots.size(), 2u);
  const auto& sa = slots[0].endpoint == "one.test:443/c" ? slots[0] : slots[1];
  const auto& sb = slots[0].endpoint == "one.test:443/c" ? slots[1] : slots[0];
  EXPECT_EQ(sa.endpoint, "one.test:443/c");
  EXPECT_EQ(sa.active, "blue");
  EXPECT_EQ(sa.pending, "");
  EXPECT_GE(sa.seconds_since_check, 0.0);
  EXPECT_LT(sa.seconds_since_check, 60.0);
  EXPECT_EQ(sa.generation, a.word().generation);
  EXPECT_NE(sa.key, 0u);
  EXPECT_EQ(sb.endpoint, "two.test:443/c");
  EXPECT_EQ(sb.active, "blue");
  EXPECT_EQ(sb.pending, "green");
  EXPECT_FALSE(sb.pending_confirmed);
  b.note_served(kGreen);  // green answers: the switch completes, and the file says so at once
  for (const auto& s : read_shared_slots("strategy", dir)) {
    if (s.endpoint == "two.test:443/c") {
      EXPECT_EQ(s.active, "green");
      EXPECT_EQ(s.pending, "");
    }
  }
  const auto json = nlohmann::json::parse(sb.to_json());
  EXPECT_EQ(json.at("endpoint"), "two.test:443/c");
  EXPECT_EQ(json.at("pending"), "green");
  EXPECT_EQ(json.at("key").get<std::string>().rfind("0x", 0), 0u);
  EXPECT_EQ(json.at("key").get<std::string>().size(), 18u);
  EXPECT_TRUE(json.at("slot").is_number());
}

TEST_F(StrategyAdminTest, ReadingNeverCreatesGrowsOrWritesTheFile) {
  EXPECT_EQ(refusal("absent"), Reason::kMissing);
  EXPECT_FALSE(std::filesystem::exists(dir + "/absent")) << "reading must not create it";

  ASSERT_NE(shared_strategy_cell("strategy", "h:1/c", dir), nullptr);
  const std::string before = read_bytes(dir + "/strategy");
  struct stat st_before {};
  ASSERT_EQ(::stat((dir + "/strategy").c_str(), &st_before), 0);
  EXPECT_EQ(read_shared_slots("strategy", dir).size(), 1u);
  EXPECT_EQ(read_bytes(dir + "/strategy"), before);
  struct stat st_after {};
  ASSERT_EQ(::stat((dir + "/strategy").c_str(), &st_after), 0);
  EXPECT_EQ(st_after.st_mtim.tv_sec, st_before.st_mtim.tv_sec);
  EXPECT_EQ(st_after.st_mtim.tv_nsec, st_before.st_mtim.tv_nsec);
  EXPECT_EQ(st_after.st_size, st_before.st_size);

  // An empty file (a process is creating it) has no slots yet.
  { std::ofstream(dir + "/empty"); }
  ::chmod((dir + "/empty").c_str(), 0600);
  EXPECT_TRUE(read_shared_slots("empty", dir).empty());
}

TEST_F(StrategyAdminTest, AFileOwnedByAnotherUserIsRefused) {
  if (::geteuid() != 0) GTEST_SKIP() << "chown to another uid needs root";
  ASSERT_NE(shared_strategy_cell("strategy", "h:1/c", dir), nullptr);
  const std::string path = dir + "/strategy";
  ASSERT_EQ(::chown(path.c_str(), 12345, 12345), 0);
  std::string message;
  EXPECT_EQ(refusal("strategy", &message), Reason::kUntrustedOwner);
  EXPECT_NE(message.find("owned by uid 12345"), std::string::npos) << message;
  EXPECT_NE(message.find(path), std::string::npos) << message;
  // Root's own files are trusted by every user; here root owns it again.
  ASSERT_EQ(::chown(path.c_str(), 0, 0), 0);
  EXPECT_EQ(refusal("strategy"), std::nullopt);
}

TEST_F(StrategyAdminTest, AFileOthersCanWriteIsRefused) {
  ASSERT_NE(shared_strategy_cell("strategy", "h:1/c", dir), nullptr);
  const std::string path = dir + "/strategy";
  std::string message;
  ASSERT_EQ(::chmod(path.c_str(), 0666), 0);
  EXPECT_EQ(refusal("strategy", &message), Reason::kUnsafeMode);
  EXPECT_NE(message.find("mode 0666"), std::string::npos) << message;
  EXPECT_NE(message.find("every user"), std::string::npos) << message;
  ASSERT_EQ(::chmod(path.c_str(), 0620), 0);
  EXPECT_EQ(refusal("strategy", &message), Reason::kUnsafeMode);
  EXPECT_NE(message.find("its group"), std::string::npos) << message;
  ASSERT_EQ(::chmod(path.c_str(), 0644), 0);  // readable by others is fine: nothing secret
  EXPECT_EQ(refusal("strategy"), std::nullopt);
}

TEST_F(StrategyAdminTest, LinksDirectoriesForeignFilesAndBadNamesAreRefused) {
  ASSERT_NE(shared_strategy_cell("strategy", "h:1/c", dir), nullptr);
  ASSERT_EQ(::symlink((dir + "/strategy").c_str(), (dir + "/link").c_str()), 0);
  std::string message;
  EXPECT_EQ(refusal("link", &message), Reason::kNotRegularFile);
  EXPECT_NE(message.find("symbolic link"), std::string::npos) << message;
  std::filesystem::create_directory(dir + "/sub");
  EXPECT_EQ(refusal("sub", &message), Reason::kNotRegularFile);
  EXPECT_NE(message.find("is a directory"), std::string::npos) << message;
  ASSERT_EQ(::mkfifo((dir + "/fifo").c_str(), 0600), 0);
  EXPECT_EQ(refusal("fifo"), Reason::kNotRegularFile) << "a FIFO neither hangs nor is read";

  {
    std::ofstream out(dir + "/foreign", std::ios::binary);
    out << std::string(20000, 'x');
  }
  EXPECT_EQ(refusal("foreign", &message), Reason::kNotStrategyFile);
  EXPECT_NE(message.find("not an e6data strategy file"), std::string::npos) << message;
  {
    std::ofstream out(dir + "/short", std::ios::binary);
    out << "abc";
  }
  EXPECT_EQ(refusal("short", &message), Reason::kNotStrategyFile);
  EXPECT_NE(message.find("too short"), std::string::npos) << message;

  for (const std::string bad : {"", ".", "..", "a/b", "../strategy"}) {
    EXPECT_EQ(refusal(bad), Reason::kBadName) << bad;
  }
  EXPECT_EQ(to_string(Reason::kUntrustedOwner), "untrusted owner");
  EXPECT_EQ(to_string(Reason::kUnsafeMode), "unsafe mode");
}

// The connector itself refuses to join a file it could not trust: it keeps its state in memory
// (with a warning) instead of letting the file's writer steer its routing.
TEST_F(StrategyAdminTest, JoiningRefusesAnUntrustedFileAndFollowsNoLink) {
  const std::string path = dir + "/planted";
  { std::ofstream(path, std::ios::binary); }
  ASSERT_EQ(::chmod(path.c_str(), 0666), 0);
  EXPECT_EQ(shared_strategy_cell("planted", "h:1/c", dir), nullptr);
  EXPECT_EQ(std::filesystem::file_size(path), 0u) << "left alone";
  if (::geteuid() == 0) {
    ASSERT_EQ(::chmod(path.c_str(), 0600), 0);
    ASSERT_EQ(::chown(path.c_str(), 12345, 12345), 0);
    EXPECT_EQ(shared_strategy_cell("planted", "h:1/c", dir), nullptr);
    EXPECT_EQ(std::filesystem::file_size(path), 0u) << "left alone";
  }
  const std::string target = dir + "/target";
  { std::ofstream(target, std::ios::binary); }
  ASSERT_EQ(::symlink(target.c_str(), (dir + "/link").c_str()), 0);
  EXPECT_EQ(shared_strategy_cell("link", "h:1/c", dir), nullptr);
  EXPECT_EQ(std::filesystem::file_size(target), 0u) << "the link's target is not grown";
}

// A file made by an older library has no endpoint names: its slots read with an empty
// endpoint, and the first newer process that joins grows it and records its own endpoint.
TEST_F(StrategyAdminTest, AFileWithoutNamesIsReadAndGrown) {
  ASSERT_NE(shared_strategy_cell("new", "h:1/c", dir), nullptr);
  {
    EndpointState s("h:1/c", system_clock(), BindingLimits{},
                    shared_strategy_cell("new", "h:1/c", dir));
    s.confirm(kGreen);
  }
  // The older layout: the magic word and 64 slots of 24 bytes.
  const std::size_t legacy = 8 + 64 * 24;
  const std::string bytes = read_bytes(dir + "/new").substr(0, legacy);
  {
    std::ofstream out(dir + "/old", std::ios::binary);
    out << bytes;
  }
  ASSERT_EQ(::chmod((dir + "/old").c_str(), 0600), 0);
  auto slots = read_shared_slots("old", dir);
  ASSERT_EQ(slots.size(), 1u);
  EXPECT_EQ(slots[0].endpoint, "");
  EXPECT_EQ(slots[0].active, "green");

  StrategyCell* cell = shared_strategy_cell("old", "h:1/c", dir);
  ASSERT_NE(cell, nullptr);
  EXPECT_GT(std::filesystem::file_size(dir + "/old"), legacy);
  slots = read_shared_slots("old", dir);
  ASSERT_EQ(slots.size(), 1u);
  EXPECT_EQ(slots[0].endpoint, "h:1/c");
  EXPECT_EQ(slots[0].active, "green") << "what the older process wrote is kept";
}

TEST_F(StrategyAdminTest, ANameThatIsNotTheSlotsIsNotShown) {
  StrategyCell* cell = shared_strategy_cell("strategy", "h:1/c", dir);
  ASSERT_NE(cell, nullptr);
  // Damage the recorded name: the bytes after the slots hold {length, words} per slot.
  const auto slots = read_shared_slots("strategy", dir);
  ASSERT_EQ(slots.size(), 1u);
  const std::size_t name_at = 8 + 64 * 24 + slots[0].slot * 256 + 8;
  const int fd = ::open((dir + "/strategy").c_str(), O_WRONLY);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::pwrite(fd, "x", 1, static_cast<off_t>(name_at)), 1);
  ::close(fd);
  EXPECT_EQ(read_shared_slots("strategy", dir)[0].endpoint, "");
}

// ---------------------------------------------------------------------------------------------
// clear_strategy_cache and apply_pending_strategy

TEST_F(StrategyAdminTest, ClearingForgetsThisProcesssStrategy) {
  const auto o = options("clear-a.test");
  EXPECT_FALSE(clear_strategy_cache(o, dir)) << "no state: nothing to clear";
  EXPECT_EQ(find_endpoint_state(o), nullptr) << "clearing creates no state";
  auto state = endpoint_state_for(o);
  state->confirm(kBlue);
  ASSERT_TRUE(state->is_fresh(std::chrono::seconds(300)));
  EXPECT_TRUE(clear_strategy_cache(o, dir));
  EXPECT_EQ(state->word().active, kNone);
  EXPECT_FALSE(state->is_fresh(std::chrono::seconds(300))) << "the next call detects again";
  EXPECT_FALSE(clear_strategy_cache(o, dir)) << "nothing left to clear";
}

TEST_F(StrategyAdminTest, ClearingReachesTheSharedSlotWithoutJoiningTheFile) {
  // Another process's view: the file joined under a second name (a hard link), so this call
  // finds no mapping of its own for "strategy" and maps the file just for the call.
  ASSERT_NE(shared_strategy_cell("peer", "other", dir), nullptr);
  ASSERT_EQ(::link((dir + "/peer").c_str(), (dir + "/strategy").c_str()), 0);
  const auto o = options("clear-b.test", "strategy");
  const std::string key = strategy_endpoint(o);
  EXPECT_EQ(key, "clear-b.test:443/cluster");
  EXPECT_FALSE(clear_strategy_cache(o, dir)) << "no slot for the endpoint yet";
  EXPECT_EQ(read_shared_slots("strategy", dir).size(), 1u) << "and none claimed by clearing";

  EndpointState peer(key, system_clock(), BindingLimits{}, shared_strategy_cell("peer", key, dir));
  peer.confirm(kBlue);
  peer.observe_new_strategy(kBlue, "green");
  EXPECT_TRUE(clear_strategy_cache(o, dir));
  EXPECT_EQ(peer.word().active, kNone) << "the peer process sees the strategy forgotten";
  EXPECT_EQ(peer.word().pending, kNone);
  EXPECT_FALSE(peer.is_fresh(std::chrono::seconds(300)));
  EXPECT_EQ(find_endpoint_state(o), nullptr);

  // A missing file: nothing to clear, and no file made.
  EXPECT_FALSE(clear_strategy_cache(options("clear-b.test", "absent"), dir));
  EXPECT_FALSE(std::filesystem::exists(dir + "/absent"));
}

TEST_F(StrategyAdminTest, ActionsRefuseAnUntrustedSharedFile) {
  ASSERT_NE(shared_strategy_cell("strategy", "x", dir), nullptr);
  ASSERT_EQ(::link((dir + "/strategy").c_str(), (dir + "/peer").c_str()), 0);
  const auto o = options("refuse.test", "peer");
  EndpointState peer(strategy_endpoint(o), system_clock(), BindingLimits{},
                     shared_strategy_cell("strategy", strategy_endpoint(o), dir));
  peer.confirm(kBlue);
  peer.observe_new_strategy(kBlue, "green");
  ASSERT_EQ(::chmod((dir + "/peer").c_str(), 0666), 0);
  try {
    clear_strategy_cache(o, dir);
    ADD_FAILURE() << "a world-writable file is not written";
  } catch (const SharedStateError& e) {
    EXPECT_EQ(e.reason(), Reason::kUnsafeMode);
  }
  EXPECT_THROW(apply_pending_strategy(o, dir), SharedStateError);
  EXPECT_EQ(peer.word().active, kBlue) << "nothing changed";
  EXPECT_EQ(peer.word().pending, kGreen);
}

TEST_F(StrategyAdminTest, ApplyingCompletesAPendingSwitchAtOnce) {
  const auto o = options("apply-a.test");
  EXPECT_FALSE(apply_pending_strategy(o, dir)) << "no state";
  auto state = endpoint_state_for(o);
  state->confirm(kBlue);
  EXPECT_FALSE(apply_pending_strategy(o, dir)) << "nothing pending";
  auto query = state->bind(kBlue);  // would hold the switch
  state->observe_new_strategy(kBlue, "green");
  ASSERT_EQ(state->word().pending, kGreen);
  const auto generation = state->word().generation;
  const auto transitions = state->counters().transitions.load();
  EXPECT_TRUE(apply_pending_strategy(o, dir));
  EXPECT_EQ(state->word().active, kGreen);
  EXPECT_EQ(state->word().pending, kNone);
  EXPECT_GT(state->word().generation, generation);
  EXPECT_EQ(state->counters().transitions.load(), transitions + 1);
  EXPECT_EQ(state->snapshot().last_transition, "blue->green");
  EXPECT_TRUE(state->is_fresh(std::chrono::seconds(300)));
  EXPECT_EQ(state->for_new_work(), kGreen);
  state->release(*query);  // the query bound to blue finishes later: nothing changes
  EXPECT_EQ(state->word().active, kGreen);
  EXPECT_FALSE(apply_pending_strategy(o, dir));
}

TEST_F(StrategyAdminTest, ApplyingReachesTheSharedSlot) {
  const auto o = options("apply-b.test", "strategy");
  const std::string key = strategy_endpoint(o);
  ASSERT_NE(shared_strategy_cell("peer", key, dir), nullptr);
  ASSERT_EQ(::link((dir + "/peer").c_str(), (dir + "/strategy").c_str()), 0);
  EndpointState peer(key, system_clock(), BindingLimits{}, shared_strategy_cell("peer", key, dir));
  peer.confirm(kGreen);
  EXPECT_FALSE(apply_pending_strategy(o, dir));
  peer.observe_new_strategy(kGreen, "blue");
  auto held = peer.bind(kBlue);  // new work goes to blue; green still has no binding here
  EXPECT_TRUE(apply_pending_strategy(o, dir));
  EXPECT_EQ(peer.word().active, kBlue);
  EXPECT_EQ(peer.word().pending, kNone);
  const auto slots = read_shared_slots("strategy", dir);
  ASSERT_EQ(slots.size(), 1u);
  EXPECT_EQ(slots[0].endpoint, key);
  EXPECT_EQ(slots[0].active, "blue");
  EXPECT_EQ(slots[0].pending, "");
  if (held) peer.release(*held);
}

// This process joined the file: its own state and the slot are one; one action does it.
TEST_F(StrategyAdminTest, AJoinedFileIsChangedThroughTheSameMapping) {
  const auto o = options("joined.test", "strategy");
  const std::string key = strategy_endpoint(o);
  EndpointState mine(key, system_clock(), BindingLimits{},
                     shared_strategy_cell("strategy", key, dir));
  mine.confirm(kBlue);
  mine.observe_new_strategy(kBlue, "green");
  EXPECT_TRUE(apply_pending_strategy(o, dir));
  EXPECT_EQ(mine.word().active, kGreen);
  EXPECT_TRUE(clear_strategy_cache(o, dir));
  EXPECT_EQ(mine.word().active, kNone);
}

// Operators act while applications run: actions, switches and readers at once, from threads.
TEST_F(StrategyAdminTest, ActionsRaceWithTrafficSafely) {
  const auto o = options("race.test", "strategy");
  const std::string key = strategy_endpoint(o);
  ASSERT_NE(shared_strategy_cell("peer", key, dir), nullptr);
  ASSERT_EQ(::link((dir + "/peer").c_str(), (dir + "/strategy").c_str()), 0);
  EndpointState peer(key, system_clock(), BindingLimits{}, shared_strategy_cell("peer", key, dir));
  // Thousands of transitions: their INFO lines would drown the test's output.
  const auto logger = log::get("e6data.strategy");
  const auto level = logger->level();
  logger->set_level(spdlog::level::warn);
  std::atomic<bool> stop{false};
  std::vector<std::thread> threads;
  threads.emplace_back([&] {
    for (int i = 0; !stop; ++i) {
      peer.confirm(i % 2 == 0 ? kBlue : kGreen);
      peer.observe_new_strategy(peer.word().active, i % 3 == 0 ? "blue" : "green");
      if (auto b = peer.bind(peer.for_new_work())) peer.release(*b);
    }
  });
  threads.emplace_back([&] {
    while (!stop) (void)apply_pending_strategy(o, dir);
  });
  threads.emplace_back([&] {
    while (!stop) (void)clear_strategy_cache(o, dir);
  });
  int reads = 0;
  for (; reads < 300; ++reads) {
    for (const auto& s : read_shared_slots("strategy", dir)) {
      EXPECT_TRUE(s.active == "" || s.active == "blue" || s.active == "green");
      EXPECT_NE(s.active.empty() ? "x" : s.active, s.pending);
    }
  }
  stop = true;
  for (auto& t : threads) t.join();
  logger->set_level(level);
  EXPECT_EQ(reads, 300);
  EXPECT_EQ(peer.bound(kBlue) + peer.bound(kGreen), 0);
}

// The public functions use /dev/shm, as E6DATA_STRATEGY_SHARED_STATE does.
TEST(StrategyAdminPublicTest, PublicFunctionsUseDevShm) {
  if (!std::filesystem::is_directory("/dev/shm")) GTEST_SKIP() << "no /dev/shm";
  const std::string name = "e6data-admin-test-" + std::to_string(::getpid());
  ConnectionOptions o;
  o.host = "public.test";
  o.port = 1;
  o.strategy.shared_state = name;
  EXPECT_THROW(read_shared_strategy(name), SharedStateError);
  EXPECT_FALSE(e6data::clear_strategy_cache(o));
  auto state = endpoint_state_for(o);  // joins /dev/shm/<name>
  state->confirm(kBlue);
  state->observe_new_strategy(kBlue, "green");
  auto slots = read_shared_strategy(name);
  ASSERT_EQ(slots.size(), 1u);
  EXPECT_EQ(slots[0].endpoint, "public.test:1/");
  EXPECT_EQ(slots[0].pending, "green");
  EXPECT_TRUE(e6data::apply_pending_strategy(o));
  EXPECT_EQ(read_shared_strategy(name)[0].active, "green");
  EXPECT_TRUE(e6data::clear_strategy_cache(o));
  EXPECT_EQ(read_shared_strategy(name)[0].active, "");
  std::filesystem::remove("/dev/shm/" + name);
}

}  // namespace
}  // namespace e6data::strategy

// The strategy shared between processes through a mapped file (shared_strategy_cell), and the
// process's registry of EndpointStates (endpoint_state_for). Files live in a fresh directory
// under /tmp, never /dev/shm.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>

#include "e6data/options.hpp"
#include "strategy/endpoint_registry.hpp"
#include "strategy/endpoint_state.hpp"
#include "strategy/fake_clock.hpp"
#include "strategy/shared_strategy_file.hpp"

namespace e6data::strategy {
namespace {

using namespace std::chrono_literals;
using testing::FakeClock;

constexpr Deployment kBlue = Deployment::kBlue;
constexpr Deployment kGreen = Deployment::kGreen;
constexpr Deployment kNone = Deployment::kNone;

class SharedStateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/e6data-strategy-test-XXXXXX";
    ASSERT_NE(::mkdtemp(pattern), nullptr);
    dir = pattern;
  }
  void TearDown() override { std::filesystem::remove_all(dir); }

  std::string dir;
  FakeClock clock;
};

TEST_F(SharedStateTest, SameFileAndEndpointShareTheStrategy) {
  StrategyCell* a_cell = shared_strategy_cell("strategy", "host:443/cluster", dir);
  StrategyCell* b_cell = shared_strategy_cell("strategy", "host:443/cluster", dir);
  ASSERT_NE(a_cell, nullptr);
  ASSERT_NE(b_cell, nullptr);
  EXPECT_TRUE(std::filesystem::exists(dir + "/strategy"));
  EndpointState a("host:443/cluster", clock, BindingLimits{}, a_cell);
  EndpointState b("host:443/cluster", clock, BindingLimits{}, b_cell);

  EXPECT_EQ(b.word().active, kNone);
  a.confirm(kBlue);
  EXPECT_EQ(b.word().active, kBlue);
  EXPECT_TRUE(b.is_fresh(300s)) << "the last check is shared too";

  b.observe_new_strategy(kBlue, "green");
  EXPECT_EQ(a.for_new_work(), kGreen);
  EXPECT_EQ(a.word().pending, kGreen);
  b.note_served(kGreen);  // green answered b: a sees the switch complete
  EXPECT_EQ(a.word().active, kGreen);
  EXPECT_EQ(a.for_new_work(), kGreen);

  a.on_wrong_deployment(kGreen);
  EXPECT_EQ(b.word().active, kNone);
  EXPECT_FALSE(b.is_fresh(300s));
}

TEST_F(SharedStateTest, AnotherEndpointGetsAnotherSlot) {
  StrategyCell* one = shared_strategy_cell("strategy", "host:443/one", dir);
  StrategyCell* two = shared_strategy_cell("strategy", "host:443/two", dir);
  ASSERT_NE(one, nullptr);
  ASSERT_NE(two, nullptr);
  EXPECT_NE(one, two);
  EndpointState a("host:443/one", clock, BindingLimits{}, one);
  EndpointState b("host:443/two", clock, BindingLimits{}, two);
  a.confirm(kGreen);
  EXPECT_EQ(b.word().active, kNone);
  b.confirm(kBlue);
  EXPECT_EQ(a.word().active, kGreen);
  // Asking again finds the same slots.
  EXPECT_EQ(shared_strategy_cell("strategy", "host:443/one", dir), one);
  EXPECT_EQ(shared_strategy_cell("strategy", "host:443/two", dir), two);
}

TEST_F(SharedStateTest, AnotherFileIsAnotherState) {
  StrategyCell* one = shared_strategy_cell("first", "host:443/cluster", dir);
  StrategyCell* two = shared_strategy_cell("second", "host:443/cluster", dir);
  ASSERT_NE(one, nullptr);
  ASSERT_NE(two, nullptr);
  EXPECT_NE(one, two);
}

TEST_F(SharedStateTest, AFileThatIsNotAStrategyFileIsRefusedAndLeftAlone) {
  const std::string path = dir + "/foreign";
  const std::string content(4096, 'x');
  {
    std::ofstream out(path, std::ios::binary);
    out << content;
  }
  EXPECT_EQ(shared_strategy_cell("foreign", "host:443/cluster", dir), nullptr);
  std::ifstream in(path, std::ios::binary);
  const std::string after((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(after, content);
}

TEST_F(SharedStateTest, ASmallForeignFileIsRefusedAndNotGrown) {
  for (const std::string& content : {std::string("abc"), std::string(100, 'y')}) {
    const std::string path = dir + "/small";
    {
      std::ofstream out(path, std::ios::binary | std::ios::trunc);
      out << content;
    }
    EXPECT_EQ(shared_strategy_cell("small", "host:443/cluster", dir), nullptr);
    EXPECT_EQ(std::filesystem::file_size(path), content.size());
  }
}

TEST_F(SharedStateTest, AMissingDirectoryIsRefused) {
  EXPECT_EQ(shared_strategy_cell("strategy", "host:443/cluster", dir + "/missing"), nullptr);
}

// Another process writes a switch; this one sees it. Bound-query counts stay per process, so a
// process that dies with queries bound cannot block a switch for the others.
TEST_F(SharedStateTest, AnotherProcessSeesTheSwitch) {
  StrategyCell* cell = shared_strategy_cell("strategy", "host:443/cluster", dir);
  ASSERT_NE(cell, nullptr);
  EndpointState here("host:443/cluster", clock, BindingLimits{}, cell);
  here.confirm(kBlue);
  const auto generation = here.word().generation;

  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    // The child maps the file afresh, as another worker process would: the parent's mapping
    // was inherited, so map it through a second name, a hard link to the same file.
    const std::string link = dir + "/link";
    if (::link((dir + "/strategy").c_str(), link.c_str()) != 0) ::_exit(2);
    StrategyCell* mine = shared_strategy_cell("link", "host:443/cluster", dir);
    if (mine == nullptr || mine == cell) ::_exit(3);
    FakeClock child_clock;
    EndpointState there("host:443/cluster", child_clock, BindingLimits{}, mine);
    if (there.word().active != kBlue) ::_exit(4);
    auto query = there.bind(kBlue);  // dies with it
    there.observe_new_strategy(kBlue, "green");
    ::_exit(there.word().pending == kGreen ? 0 : 5);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  ASSERT_EQ(WEXITSTATUS(status), 0);

  EXPECT_EQ(here.word().active, kBlue);
  EXPECT_EQ(here.word().pending, kGreen);
  EXPECT_EQ(here.for_new_work(), kGreen);
  EXPECT_GT(here.word().generation, generation);
  // The child's bound query died with it: this process completes the switch once green answers.
  EXPECT_EQ(here.bind(kBlue), nullptr);
  here.note_served(kGreen);
  EXPECT_EQ(here.word().active, kGreen);
  EXPECT_EQ(here.word().pending, kNone);
}

// ---------------------------------------------------------------------------------------------
// The registry: one EndpointState per (host, port, cluster) in the process.

ConnectionOptions options(const std::string& host, int port, const std::string& cluster) {
  ConnectionOptions o;
  o.host = host;
  o.port = port;
  o.cluster_name = cluster;
  return o;
}

TEST(EndpointRegistry, KeyLowerCasesTheCluster) {
  EXPECT_EQ(endpoint_key(options("h.example", 443, "MyCluster")), "h.example:443/mycluster");
  EXPECT_EQ(endpoint_key(options("h.example", 80, "")), "h.example:80/");
}

TEST(EndpointRegistry, ConnectionsToOneEndpointShareOneState) {
  auto o = options("registry-a.test", 443, "Cluster");
  o.cache.strategy_cache_size = 10;
  o.cache.query_mapping_cache_size = 7;
  auto a = endpoint_state_for(o);
  o.cluster_name = "CLUSTER";
  auto b = endpoint_state_for(o);
  EXPECT_EQ(a, b);
  EXPECT_EQ(a->endpoint(), "registry-a.test:443/cluster");
  auto other = endpoint_state_for(options("registry-a.test", 444, "cluster"));
  EXPECT_NE(a, other);

  // The query-mapping cap reaches the state.
  a->confirm(kBlue);
  std::vector<std::shared_ptr<QueryBinding>> held;
  for (int i = 0; i < 10; ++i) held.push_back(a->bind(kBlue));
  EXPECT_EQ(a->live_bindings(), 7u);
  for (auto& h : held) a->release(*h);
}

TEST(EndpointRegistry, UnusedStatesBeyondTheCapAreDropped) {
  auto o = options("registry-b.test", 443, "one");
  o.cache.strategy_cache_size = 1;
  std::weak_ptr<EndpointState> unused = endpoint_state_for(o);
  auto held = endpoint_state_for(o);  // still cached: the same state
  EXPECT_FALSE(unused.expired());
  held.reset();
  EXPECT_FALSE(unused.expired()) << "kept after its last connection closed";

  auto in_use = endpoint_state_for(options("registry-b.test", 443, "two"));
  EXPECT_TRUE(unused.expired()) << "over the cap, the unused state goes";
  auto again = endpoint_state_for(options("registry-b.test", 443, "three"));
  EXPECT_NE(in_use.use_count(), 0);
  EXPECT_EQ(endpoint_state_for(options("registry-b.test", 443, "two")), in_use)
      << "a state in use stays, over the cap or not";
}

}  // namespace
}  // namespace e6data::strategy

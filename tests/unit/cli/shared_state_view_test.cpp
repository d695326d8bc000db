// How e6data-cli names and shows a shared strategy file: the --shared-state argument, the slot
// table, the JSON form and refusal messages.

#include "shared_state_view.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <sstream>

#include "exit_codes.hpp"

namespace e6data::cli {
namespace {

SharedStrategySlot slot(std::size_t index, std::string endpoint, std::string active,
                        std::string pending = "", bool confirmed = false) {
  SharedStrategySlot s;
  s.slot = index;
  s.endpoint = std::move(endpoint);
  s.key = 0xabcdef0123456789ULL;
  s.active = std::move(active);
  s.pending = std::move(pending);
  s.pending_confirmed = confirmed;
  s.generation = 7;
  s.seconds_since_check = 1.25;
  return s;
}

TEST(SharedStateView, ANameIsInDevShmAndAPathIsAPath) {
  auto w = parse_shared_state_argument("workers");
  EXPECT_EQ(w.directory, "/dev/shm");
  EXPECT_EQ(w.name, "workers");
  EXPECT_EQ(w.path(), "/dev/shm/workers");
  w = parse_shared_state_argument("/dev/shm/workers");
  EXPECT_EQ(w.directory, "/dev/shm");
  EXPECT_EQ(w.name, "workers");
  w = parse_shared_state_argument("/tmp/x/state");
  EXPECT_EQ(w.directory, "/tmp/x");
  EXPECT_EQ(w.name, "state");
  w = parse_shared_state_argument("/state");
  EXPECT_EQ(w.directory, "/");
  EXPECT_EQ(w.path(), "//state");
  EXPECT_THROW(parse_shared_state_argument(""), UsageFailure);
  EXPECT_THROW(parse_shared_state_argument("/dev/shm/"), UsageFailure);
}

TEST(SharedStateView, TheTableShowsEverySlot) {
  std::ostringstream out;
  auto unnamed = slot(9, "", "green");
  unnamed.seconds_since_check = -1;
  print_shared_slots(out, "/dev/shm/w",
                     {slot(3, "h:443/prod", "blue", "green", false), unnamed,
                      slot(12, "g:1/", "blue", "green", true)});
  EXPECT_EQ(out.str(),
            "/dev/shm/w: 3 endpoint slots\n"
            "slot | endpoint                               | active | pending                  "
            "| last check | generation\n"
            "-----+----------------------------------------+--------+--------------------------"
            "+------------+-----------\n"
            "3    | h:443/prod                             | blue   | green (not answered yet) "
            "| 1.2 s ago  | 7\n"
            "9    | (not recorded; key 0xabcdef0123456789) | green  | (none)                   "
            "| never      | 7\n"
            "12   | g:1/                                   | blue   | green (answered)         "
            "| 1.2 s ago  | 7\n");
  std::ostringstream empty;
  print_shared_slots(empty, "/dev/shm/w", {});
  EXPECT_EQ(empty.str(),
            "/dev/shm/w: no endpoint slot claimed yet (no process has used an endpoint with it)\n");
}

TEST(SharedStateView, JsonHasTheFileAndEverySlot) {
  const auto j = nlohmann::json::parse(
      shared_slots_json("/dev/shm/w", {slot(3, "h:443/prod", "blue", "green", true)}));
  EXPECT_EQ(j.at("file"), "/dev/shm/w");
  ASSERT_EQ(j.at("slots").size(), 1u);
  const auto& s = j.at("slots")[0];
  EXPECT_EQ(s.at("slot"), 3);
  EXPECT_EQ(s.at("endpoint"), "h:443/prod");
  EXPECT_EQ(s.at("key"), "0xabcdef0123456789");
  EXPECT_EQ(s.at("active"), "blue");
  EXPECT_EQ(s.at("pending"), "green");
  EXPECT_EQ(s.at("pending_confirmed"), true);
  EXPECT_EQ(s.at("generation"), 7);
  EXPECT_DOUBLE_EQ(s.at("seconds_since_check").get<double>(), 1.25);
  EXPECT_EQ(nlohmann::json::parse(shared_slots_json("/dev/shm/w", {})).at("slots").size(), 0u);
}

TEST(SharedStateView, DescriptionsAndRefusals) {
  EXPECT_EQ(describe_slot(slot(1, "h:1/", "blue", "green", false)),
            "active blue, pending green (not answered yet), generation 7, checked 1.2 s ago");
  EXPECT_EQ(
      describe_slot(slot(1, "h:1/", "")),
      "active (none: the next call detects), pending (none), generation 7, checked 1.2 s ago");
  const std::vector<SharedStrategySlot> slots{slot(1, "a:1/", "blue"), slot(2, "b:1/", "green")};
  ASSERT_NE(find_slot(slots, "b:1/"), nullptr);
  EXPECT_EQ(find_slot(slots, "b:1/")->active, "green");
  EXPECT_EQ(find_slot(slots, "c:1/"), nullptr);
  EXPECT_EQ(
      refusal_text(SharedStateError(SharedStateError::Reason::kUnsafeMode, "/p", "/p is bad")),
      "refused (unsafe mode): /p is bad");
  EXPECT_EQ(refusal_text(SharedStateError(SharedStateError::Reason::kMissing, "/p", "/p is gone")),
            "/p is gone");
}

}  // namespace
}  // namespace e6data::cli

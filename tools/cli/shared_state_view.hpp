#pragma once
// How e6data-cli names and shows a shared strategy file (E6DATA_STRATEGY_SHARED_STATE): the
// --shared-state argument (a name in /dev/shm or a path), the slots as a table or JSON.

#include <ostream>
#include <string>
#include <vector>

#include "e6data/strategy.hpp"

namespace e6data::cli {

struct SharedStateLocation {
  std::string directory = "/dev/shm";
  std::string name;
  std::string path() const { return directory + "/" + name; }
};

// "NAME" is /dev/shm/NAME, as the library reads E6DATA_STRATEGY_SHARED_STATE; text with a '/'
// is a path. \throws UsageFailure for an empty name or a path ending in '/'.
SharedStateLocation parse_shared_state_argument(const std::string& text);

// "active blue, pending green (answered), generation 7, checked 1.2 s ago".
std::string describe_slot(const SharedStrategySlot& slot);

// The slots as an aligned table ("slot | endpoint | active | pending | last check |
// generation"), or a line saying that no process has claimed a slot yet.
void print_shared_slots(std::ostream& out, const std::string& path,
                        const std::vector<SharedStrategySlot>& slots);

// {"file": path, "slots": [SharedStrategySlot::to_json(), ...]} on one line.
std::string shared_slots_json(const std::string& path,
                              const std::vector<SharedStrategySlot>& slots);

// "refused (unsafe mode): <message>", or the message alone for a missing file.
std::string refusal_text(const SharedStateError& error);

// The slot of `endpoint` (as strategy_endpoint() spells it), or nullptr.
const SharedStrategySlot* find_slot(const std::vector<SharedStrategySlot>& slots,
                                    const std::string& endpoint);

}  // namespace e6data::cli

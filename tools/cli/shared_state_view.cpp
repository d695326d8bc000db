#include "shared_state_view.hpp"

#include <cstdio>
#include <nlohmann/json.hpp>

#include "exit_codes.hpp"
#include "table_printer.hpp"

namespace e6data::cli {
namespace {

std::string seconds_ago(double seconds) {
  if (seconds < 0) return "never";
  char text[64];
  std::snprintf(text, sizeof text, "%.1f s ago", seconds);
  return text;
}

std::string pending_text(const SharedStrategySlot& slot) {
  if (slot.pending.empty()) return "(none)";
  return slot.pending + (slot.pending_confirmed ? " (answered)" : " (not answered yet)");
}

std::string endpoint_text(const SharedStrategySlot& slot) {
  if (!slot.endpoint.empty()) return slot.endpoint;
  char text[64];
  std::snprintf(text, sizeof text, "(not recorded; key 0x%016llx)",
                static_cast<unsigned long long>(slot.key));
  return text;
}

}  // namespace

SharedStateLocation parse_shared_state_argument(const std::string& text) {
  SharedStateLocation where;
  const auto slash = text.rfind('/');
  if (slash == std::string::npos) {
    where.name = text;
  } else {
    where.directory = slash == 0 ? "/" : text.substr(0, slash);
    where.name = text.substr(slash + 1);
  }
  if (where.name.empty()) {
    throw UsageFailure{"--shared-state '" + text +
                       "': give the file's name (as in E6DATA_STRATEGY_SHARED_STATE) or its path"};
  }
  return where;
}

std::string describe_slot(const SharedStrategySlot& slot) {
  return "active " +
         (slot.active.empty() ? std::string("(none: the next call detects)") : slot.active) +
         ", pending " + pending_text(slot) + ", generation " + std::to_string(slot.generation) +
         ", checked " + seconds_ago(slot.seconds_since_check);
}

void print_shared_slots(std::ostream& out, const std::string& path,
                        const std::vector<SharedStrategySlot>& slots) {
  if (slots.empty()) {
    out << path << ": no endpoint slot claimed yet (no process has used an endpoint with it)\n";
    return;
  }
  out << path << ": " << slots.size()
      << (slots.size() == 1 ? " endpoint slot\n" : " endpoint slots\n");
  TablePrinter table({"slot", "endpoint", "active", "pending", "last check", "generation"});
  for (const auto& s : slots) {
    table.add_row({std::to_string(s.slot), endpoint_text(s), s.active.empty() ? "(none)" : s.active,
                   pending_text(s), seconds_ago(s.seconds_since_check),
                   std::to_string(s.generation)});
  }
  table.print(out, 100);
}

std::string shared_slots_json(const std::string& path,
                              const std::vector<SharedStrategySlot>& slots) {
  nlohmann::ordered_json j{{"file", path}, {"slots", nlohmann::ordered_json::array()}};
  for (const auto& s : slots) j["slots"].push_back(nlohmann::ordered_json::parse(s.to_json()));
  return j.dump();
}

std::string refusal_text(const SharedStateError& error) {
  if (error.reason() == SharedStateError::Reason::kMissing) return error.what();
  return "refused (" + std::string(to_string(error.reason())) + "): " + error.what();
}

const SharedStrategySlot* find_slot(const std::vector<SharedStrategySlot>& slots,
                                    const std::string& endpoint) {
  for (const auto& s : slots) {
    if (s.endpoint == endpoint) return &s;
  }
  return nullptr;
}

}  // namespace e6data::cli

// The public operator API of include/e6data/strategy.hpp: reading a shared strategy file without
// joining it, clearing an endpoint's cached strategy, applying a pending switch.
#include "strategy/strategy_admin.hpp"

#include <cstdio>
#include <nlohmann/json.hpp>

#include "e6data/strategy.hpp"
#include "log/logger.hpp"
#include "strategy/clock.hpp"
#include "strategy/endpoint_registry.hpp"
#include "strategy/endpoint_state.hpp"
#include "strategy/shared_strategy_file.hpp"

namespace e6data {

SharedStateError::SharedStateError(Reason reason, std::string path, const std::string& message)
    : Error(ErrorKind::kUsage, message), reason_(reason), path_(std::move(path)) {}

std::string_view to_string(SharedStateError::Reason reason) noexcept {
  using Reason = SharedStateError::Reason;
  switch (reason) {
    case Reason::kBadName:
      return "bad name";
    case Reason::kMissing:
      return "missing";
    case Reason::kNotRegularFile:
      return "not a regular file";
    case Reason::kUntrustedOwner:
      return "untrusted owner";
    case Reason::kUnsafeMode:
      return "unsafe mode";
    case Reason::kNotStrategyFile:
      return "not a strategy file";
    case Reason::kUnreadable:
      return "unreadable";
  }
  return "unknown";
}

std::string SharedStrategySlot::to_json() const {
  char key_text[24];
  std::snprintf(key_text, sizeof key_text, "0x%016llx", static_cast<unsigned long long>(key));
  const nlohmann::ordered_json j{{"slot", slot},
                                 {"endpoint", endpoint},
                                 {"key", key_text},
                                 {"active", active},
                                 {"pending", pending},
                                 {"pending_confirmed", pending_confirmed},
                                 {"generation", generation},
                                 {"seconds_since_check", seconds_since_check}};
  return j.dump();
}

std::string strategy_endpoint(const ConnectionOptions& options) {
  return strategy::endpoint_key(options);
}

std::vector<SharedStrategySlot> read_shared_strategy(const std::string& name,
                                                     const std::string& directory) {
  return strategy::read_shared_slots(name, directory);
}

bool clear_strategy_cache(const ConnectionOptions& options) {
  return strategy::clear_strategy_cache(options, "/dev/shm");
}

bool apply_pending_strategy(const ConnectionOptions& options) {
  return strategy::apply_pending_strategy(options, "/dev/shm");
}

}  // namespace e6data

namespace e6data::strategy {
namespace {

bool knows_something(const EndpointState& state) {
  const StrategyWord w = state.word();
  return w.active != Deployment::kNone || w.pending != Deployment::kNone;
}

// Runs `action` on this process's state for the endpoint and on its slot in the shared file
// (a state of the call's own over the slot when this process has not joined the file).
template <typename Action>
bool on_every_copy(const ConnectionOptions& options, const std::string& directory,
                   Action&& action) {
  const std::string key = endpoint_key(options);
  bool done = false;
  if (auto state = find_endpoint_state(options)) done = action(*state);
  if (!options.strategy.shared_state.empty()) {
    // When this process joined the file, its state above works on the same slot, and the
    // action finds nothing more to do there.
    done = with_existing_shared_cell(
               options.strategy.shared_state, key,
               [&](StrategyCell& cell) {
                 EndpointState state(key, system_clock(), BindingLimits{}, &cell);
                 return action(state);
               },
               directory) ||
           done;
  }
  return done;
}

}  // namespace

bool clear_strategy_cache(const ConnectionOptions& options, const std::string& directory) {
  const bool cleared = on_every_copy(options, directory, [](EndpointState& state) {
    const bool known = knows_something(state);
    state.reset();
    return known;
  });
  log::event(log::get("e6data.strategy"), spdlog::level::info,
             cleared ? "strategy cache cleared by an operator: the next call detects the "
                       "deployment"
                     : "strategy cache clear asked by an operator: nothing was cached",
             {{"transition_type", "cleared"}, {"endpoint", endpoint_key(options)}});
  return cleared;
}

bool apply_pending_strategy(const ConnectionOptions& options, const std::string& directory) {
  return on_every_copy(options, directory,
                       [](EndpointState& state) { return state.complete_pending_now(); });
}

}  // namespace e6data::strategy

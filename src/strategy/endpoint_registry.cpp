#include "strategy/endpoint_registry.hpp"

#include <algorithm>
#include <cctype>
#include <list>
#include <mutex>

#include "strategy/shared_strategy_file.hpp"

namespace e6data::strategy {

std::string endpoint_key(const ConnectionOptions& options) {
  std::string cluster = options.cluster_name;
  std::transform(cluster.begin(), cluster.end(), cluster.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return options.host + ":" + std::to_string(options.port) + "/" + cluster;
}

namespace {

struct Registry {
  std::mutex mutex;
  std::list<std::shared_ptr<EndpointState>> states;  // most recently used first
};

Registry& registry() {
  static Registry r;
  return r;
}

}  // namespace

std::shared_ptr<EndpointState> find_endpoint_state(const ConnectionOptions& options) {
  const std::string key = endpoint_key(options);
  auto& r = registry();
  std::lock_guard lock(r.mutex);
  for (const auto& s : r.states) {
    if (s->endpoint() == key) return s;
  }
  return nullptr;
}

std::vector<std::shared_ptr<EndpointState>> endpoint_states() {
  auto& r = registry();
  std::lock_guard lock(r.mutex);
  return {r.states.begin(), r.states.end()};
}

std::shared_ptr<EndpointState> endpoint_state_for(const ConnectionOptions& options) {
  auto& [mutex, states] = registry();
  const std::string key = endpoint_key(options);
  std::lock_guard lock(mutex);
  auto it = std::find_if(states.begin(), states.end(),
                         [&](const auto& s) { return s->endpoint() == key; });
  if (it != states.end()) {
    states.splice(states.begin(), states, it);
    return states.front();
  }
  StrategyCell* cell = nullptr;
  if (!options.strategy.shared_state.empty()) {
    cell = shared_strategy_cell(options.strategy.shared_state, key);
  }
  BindingLimits limits;
  limits.capacity = options.cache.query_mapping_cache_size;
  limits.ttl = options.cache.ttl;
  limits.cleanup_interval = options.cache.cleanup_interval;
  states.push_front(std::make_shared<EndpointState>(key, system_clock(), limits, cell));
  auto result = states.front();
  // Over the cap: drop unused states, oldest first. States in use stay (they are shared).
  const auto cap =
      static_cast<std::size_t>(std::max<std::int64_t>(1, options.cache.strategy_cache_size));
  for (auto i = states.end(); states.size() > cap && i != states.begin();) {
    --i;
    if (i->use_count() == 1) i = states.erase(i);
  }
  return result;
}

}  // namespace e6data::strategy

#pragma once
// The process's EndpointStates, one per (host, port, cluster): connections to the same endpoint
// share one, so a switch seen by one is seen by all. Kept after their last connection closes,
// up to E6DATA_STRATEGY_CACHE_SIZE endpoints (the least recently used unused ones go first).

#include <memory>
#include <vector>

#include "e6data/options.hpp"
#include "strategy/endpoint_state.hpp"

namespace e6data::strategy {

// "host:port/cluster" (cluster lower-cased, as sent in the header).
std::string endpoint_key(const ConnectionOptions& options);

std::shared_ptr<EndpointState> endpoint_state_for(const ConnectionOptions& options);

// The endpoint's state when this process has one, else nullptr (never creates one).
std::shared_ptr<EndpointState> find_endpoint_state(const ConnectionOptions& options);

// Every EndpointState the registry holds now, most recently used first (for metrics).
std::vector<std::shared_ptr<EndpointState>> endpoint_states();

}  // namespace e6data::strategy

#pragma once
// The collectors every scrape has: the connector's operations and the strategy layer's
// per-endpoint series. Pools add their own (connection_pool.cpp).

#include <vector>

#include "metrics/family.hpp"

namespace e6data::metrics {

class Registry;

void add_builtin_collectors(Registry& registry);
void collect_operations(std::vector<Family>& out);
void collect_strategy(std::vector<Family>& out);

}  // namespace e6data::metrics

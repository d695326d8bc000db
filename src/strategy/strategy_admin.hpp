#pragma once
// The operator actions of include/e6data/strategy.hpp (clear the strategy cache, apply the
// pending strategy), with the shared files' directory as a parameter for tests.

#include <string>

#include "e6data/options.hpp"

namespace e6data::strategy {

bool clear_strategy_cache(const ConnectionOptions& options, const std::string& directory);
bool apply_pending_strategy(const ConnectionOptions& options, const std::string& directory);

}  // namespace e6data::strategy

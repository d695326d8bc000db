#pragma once
// The one check every entry point (Connection, ClusterManager, ConnectionPool) makes before it
// uses options: all of validate()'s problems in one UsageError.

#include "e6data/errors.hpp"
#include "e6data/options.hpp"

namespace e6data::detail {

inline ConnectionOptions validated(ConnectionOptions options) {
  const auto problems = options.validate();
  if (!problems.empty()) {
    std::string message = "invalid connection options:";
    for (const auto& p : problems) message += "\n  - " + p;
    throw UsageError(message);
  }
  return options;
}

}  // namespace e6data::detail

#pragma once
/// \file
/// \brief The connector's logging, owned by the program.

#include "e6data/options.hpp"

namespace e6data {

/// \brief Applies `options` to every e6data logger (`e6data`, `e6data.strategy`, `e6data.grpc`),
/// process-wide, at once, safely while other threads log.
///
/// Until a program calls this, the library applies the E6DATA_* logging variables once, when the
/// first Connection (or pool, or cluster manager) is created, and never reconfigures logging after
/// that; ConnectionOptions::logging set in code takes effect only through this function. A
/// per-logger level that is not set in the environment inherits E6DATA_LOG_LEVEL (so `off`
/// silences everything unless E6DATA_STRATEGY_LOG_LEVEL is set); with neither set, strategy events
/// log at INFO and gRPC's own at WARNING.
/// \param options levels, format and output
/// \param debug when true, every logger logs at DEBUG (ConnectionOptions::debug)
/// \throws UsageError when the output file cannot be opened
void configure_logging(const LoggingOptions& options, bool debug = false);

}  // namespace e6data

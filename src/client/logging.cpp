#include "e6data/logging.hpp"

#include <cstdlib>
#include <vector>

#include "client/logging_setup.hpp"
#include "e6data/errors.hpp"
#include "e6data/options.hpp"
#include "log/logger.hpp"

namespace e6data {
namespace {

log::LogOptions to_log_options(const LoggingOptions& o, bool debug) {
  log::LogOptions lo;
  lo.level = debug ? "debug" : std::string(to_string(o.level));
  lo.strategy_level = debug ? "debug" : std::string(to_string(o.strategy_level));
  lo.grpc_level = debug ? "debug" : std::string(to_string(o.grpc_level));
  lo.format = o.format == LogFormat::kJson ? log::Format::kJson : log::Format::kText;
  lo.output = o.output;
  return lo;
}

}  // namespace

void configure_logging(const LoggingOptions& options, bool debug) {
  try {
    log::configure(to_log_options(options, debug));
  } catch (const std::exception& e) {
    throw UsageError(std::string("configure_logging: ") + e.what());
  }
}

namespace detail {

LoggingOptions logging_from_environment() {
  // Problems of other variables are the program's to report (its own from_env()); collected
  // here so that they neither throw nor log twice, and the logging variables still apply.
  std::vector<ConfigIssue> ignored;
  const ConnectionOptions o = ConnectionOptions::from_env(EnvironmentReader::process(), &ignored);
  LoggingOptions l = o.logging;
  // A per-logger level not set inherits E6DATA_LOG_LEVEL.
  if (std::getenv("E6DATA_LOG_LEVEL") != nullptr) {
    if (std::getenv("E6DATA_STRATEGY_LOG_LEVEL") == nullptr) l.strategy_level = l.level;
    if (std::getenv("E6DATA_GRPC_LOG_LEVEL") == nullptr) l.grpc_level = l.level;
  }
  return l;
}

void apply_environment_logging_once() {
  static const bool applied = [] {
    try {
      log::configure_unless_configured(to_log_options(logging_from_environment(), false));
    } catch (const std::exception&) {
      // An unusable E6DATA_LOG_OUTPUT: keep logging to stderr rather than refuse to connect.
    }
    return true;
  }();
  (void)applied;
}

}  // namespace detail
}  // namespace e6data

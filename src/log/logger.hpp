#pragma once
// Logging setup: the only place that knows spdlog is behind this header.
//
// Loggers are named `e6data` (the connector), `e6data.strategy`, `e6data.grpc` and one per
// program (`e6data.devserver`, ...). Output is text or JSON lines on stdout, stderr or a file.
// Programs call configure() (or the public e6data::configure_logging); until then the library
// applies the E6DATA_* logging variables once, at the first Connection, and loggers write text to
// stderr at `info` before that.

#include <spdlog/logger.h>

#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>

namespace e6data::log {

enum class Format { kText, kJson };

struct LogOptions {
  std::string level = "info";  // trace, debug, info, warning, error, critical, off
  std::string strategy_level;  // the `e6data.strategy` logger; empty = `level`
  std::string grpc_level;      // the `e6data.grpc` logger; empty = `level`
  Format format = Format::kText;
  std::string output = "stderr";  // stdout, stderr, or a file path (appended)
};

// Parses "text"/"json" (case-insensitive); nullopt-like failure throws std::invalid_argument.
Format parse_format(std::string_view text);
// Parses a level name (also "warn"); throws std::invalid_argument naming the accepted values.
spdlog::level::level_enum parse_level(std::string_view text);

// The program's logging: replaces where every e6data logger (existing and future) writes and
// its levels, safely while other threads log. Throws std::runtime_error when a file cannot be
// opened.
void configure(const LogOptions& options);
// The same, unless configure() was ever called (the library's settings from the environment,
// applied once at first use, never override the program's).
void configure_unless_configured(const LogOptions& options);

// The logger `name`, created on first use with the configured sink.
std::shared_ptr<spdlog::logger> get(const std::string& name);

// A structured field of a log event: JSON lines carry it as a key, text lines as key=value.
struct Field {
  std::string_view key;
  std::string value;
};

// Logs `message` with fields (strategy, query_id, transition_type...). Fields must never hold
// secrets. Cheap when the level is disabled.
void event(const std::shared_ptr<spdlog::logger>& logger, spdlog::level::level_enum level,
           std::string_view message, std::initializer_list<Field> fields);

}  // namespace e6data::log

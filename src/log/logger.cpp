#include "log/logger.hpp"

#include <spdlog/details/log_msg.h>
#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <ctime>
#include <mutex>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <unordered_map>

namespace e6data::log {
namespace {

// One JSON object per line: ts, level, logger, message. Messages are escaped by nlohmann.
class JsonFormatter final : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    const auto since_epoch = msg.time.time_since_epoch();
    const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(since_epoch);
    const auto micros =
        std::chrono::duration_cast<std::chrono::microseconds>(since_epoch - seconds).count();
    const std::time_t t = seconds.count();
    std::tm utc{};
    gmtime_r(&t, &utc);
    char ts[40];
    const auto n = std::strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%S", &utc);
    std::snprintf(ts + n, sizeof ts - n, ".%06lldZ", static_cast<long long>(micros));
    nlohmann::ordered_json line{
        {"ts", ts},
        {"level", std::string(spdlog::level::to_string_view(msg.level).data(),
                              spdlog::level::to_string_view(msg.level).size())},
        {"logger", std::string(msg.logger_name.data(), msg.logger_name.size())},
        {"message", std::string(msg.payload.data(), msg.payload.size())}};
    const std::string text =
        line.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + "\n";
    dest.append(text.data(), text.data() + text.size());
  }
  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<JsonFormatter>();
  }
};

struct Registry {
  std::mutex mutex;
  spdlog::sink_ptr sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
  spdlog::level::level_enum level = spdlog::level::info;
  std::unordered_map<std::string, std::shared_ptr<spdlog::logger>> loggers;
};

Registry& registry() {
  static Registry r;
  return r;
}

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

}  // namespace

Format parse_format(std::string_view text) {
  const std::string s = lower(text);
  if (s == "text") return Format::kText;
  if (s == "json") return Format::kJson;
  throw std::invalid_argument("log format must be text or json, got '" + std::string(text) + "'");
}

spdlog::level::level_enum parse_level(std::string_view text) {
  const std::string s = lower(text);
  if (s == "trace") return spdlog::level::trace;
  if (s == "debug") return spdlog::level::debug;
  if (s == "info") return spdlog::level::info;
  if (s == "warning" || s == "warn") return spdlog::level::warn;
  if (s == "error") return spdlog::level::err;
  if (s == "critical") return spdlog::level::critical;
  if (s == "off") return spdlog::level::off;
  throw std::invalid_argument(
      "log level must be one of trace, debug, info, warning, error, "
      "critical, off; got '" +
      std::string(text) + "'");
}

void configure(const LogOptions& options) {
  const auto level = parse_level(options.level);
  spdlog::sink_ptr sink;
  if (options.output == "stdout") {
    sink = std::make_shared<spdlog::sinks::stdout_sink_mt>();
  } else if (options.output == "stderr" || options.output.empty()) {
    sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
  } else {
    try {
      sink = std::make_shared<spdlog::sinks::basic_file_sink_mt>(options.output, false);
    } catch (const spdlog::spdlog_ex& e) {
      throw std::runtime_error("cannot open log file " + options.output + ": " + e.what());
    }
  }
  if (options.format == Format::kJson) {
    sink->set_formatter(std::make_unique<JsonFormatter>());
  } else {
    sink->set_formatter(std::make_unique<spdlog::pattern_formatter>(
        "%Y-%m-%dT%H:%M:%S.%fZ %-5l %n: %v", spdlog::pattern_time_type::utc));
  }
  Registry& r = registry();
  std::lock_guard lock(r.mutex);
  r.sink = sink;
  r.level = level;
  for (auto& [name, logger] : r.loggers) {
    logger->sinks() = {sink};
    logger->set_level(level);
  }
}

std::shared_ptr<spdlog::logger> get(const std::string& name) {
  Registry& r = registry();
  std::lock_guard lock(r.mutex);
  auto& slot = r.loggers[name];
  if (!slot) {
    slot = std::make_shared<spdlog::logger>(name, r.sink);
    slot->set_level(r.level);
    slot->flush_on(spdlog::level::warn);
  }
  return slot;
}

}  // namespace e6data::log

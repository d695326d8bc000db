#include "log/logger.hpp"

#include <spdlog/details/log_msg.h>
#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/base_sink.h>
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
#include <vector>

namespace e6data::log {
namespace {

// Fields travel inside the payload after the message, each as SEP key '=' value, so that both
// formatters can lay them out. SEP (ASCII unit separator) cannot appear in our own messages.
constexpr char kFieldSeparator = '\x1f';

struct SplitPayload {
  std::string_view message;
  std::vector<std::pair<std::string_view, std::string_view>> fields;
};

SplitPayload split_payload(std::string_view payload) {
  SplitPayload out;
  auto pos = payload.find(kFieldSeparator);
  out.message = payload.substr(0, pos);
  while (pos != std::string_view::npos) {
    const auto next = payload.find(kFieldSeparator, pos + 1);
    const auto field =
        payload.substr(pos + 1, next == std::string_view::npos ? next : next - pos - 1);
    const auto eq = field.find('=');
    if (eq != std::string_view::npos)
      out.fields.emplace_back(field.substr(0, eq), field.substr(eq + 1));
    pos = next;
  }
  return out;
}

std::string utc_timestamp(const spdlog::log_clock::time_point& time) {
  const auto since_epoch = time.time_since_epoch();
  const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(since_epoch);
  const auto micros =
      std::chrono::duration_cast<std::chrono::microseconds>(since_epoch - seconds).count();
  const std::time_t t = seconds.count();
  std::tm utc{};
  gmtime_r(&t, &utc);
  char ts[40];
  const auto n = std::strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%S", &utc);
  std::snprintf(ts + n, sizeof ts - n, ".%06lldZ", static_cast<long long>(micros));
  return ts;
}

// "2026-11-22T10:00:00.123456Z info  e6data.strategy: message key=value ..."
class TextFormatter final : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    const SplitPayload p = split_payload(std::string_view(msg.payload.data(), msg.payload.size()));
    std::string line = utc_timestamp(msg.time);
    const auto level = spdlog::level::to_string_view(msg.level);
    line += ' ';
    line.append(level.data(), level.size());
    line.append(level.size() < 5 ? 5 - level.size() : 0, ' ');
    line += ' ';
    line.append(msg.logger_name.data(), msg.logger_name.size());
    line += ": ";
    line += p.message;
    for (const auto& [key, value] : p.fields) {
      line += ' ';
      line += key;
      line += '=';
      line += value;
    }
    line += '\n';
    dest.append(line.data(), line.data() + line.size());
  }
  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<TextFormatter>();
  }
};

// One JSON object per line: ts, level, logger, message. Messages are escaped by nlohmann.
class JsonFormatter final : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    const SplitPayload p = split_payload(std::string_view(msg.payload.data(), msg.payload.size()));
    nlohmann::ordered_json line{
        {"ts", utc_timestamp(msg.time)},
        {"level", std::string(spdlog::level::to_string_view(msg.level).data(),
                              spdlog::level::to_string_view(msg.level).size())},
        {"logger", std::string(msg.logger_name.data(), msg.logger_name.size())},
        {"message", std::string(p.message)}};
    for (const auto& [key, value] : p.fields) line[std::string(key)] = std::string(value);
    const std::string text =
        line.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + "\n";
    dest.append(text.data(), text.data() + text.size());
  }
  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<JsonFormatter>();
  }
};

spdlog::sink_ptr default_sink() {
  auto sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
  sink->set_formatter(std::make_unique<TextFormatter>());
  return sink;
}

// Every e6data logger writes to this one sink for its whole life; configure() changes where it
// forwards to. spdlog's loggers read their sink vector without a lock, so swapping the vectors
// while other threads log is a data race (ThreadSanitizer saw it, with a crash); the target here
// is swapped under the sink's own mutex, which every write holds.
class SwitchableSink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  explicit SwitchableSink(spdlog::sink_ptr target) : target_(std::move(target)) {}
  void set_target(spdlog::sink_ptr target) {
    std::lock_guard lock(mutex_);
    target_ = std::move(target);
  }

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override { target_->log(msg); }
  void flush_() override { target_->flush(); }

 private:
  spdlog::sink_ptr target_;
};

struct Registry {
  std::mutex mutex;
  std::shared_ptr<SwitchableSink> sink = std::make_shared<SwitchableSink>(default_sink());
  bool configured = false;  // configure() was called: the environment's settings never apply
  spdlog::level::level_enum level = spdlog::level::info;
  spdlog::level::level_enum strategy_level = spdlog::level::info;
  spdlog::level::level_enum grpc_level = spdlog::level::warn;

  spdlog::level::level_enum level_of(const std::string& name) const {
    if (name == "e6data.strategy") return strategy_level;
    if (name == "e6data.grpc") return grpc_level;
    return level;
  }
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

namespace {

void apply(const LogOptions& options, bool mark_configured) {
  if (!mark_configured) {
    Registry& r = registry();
    std::lock_guard lock(r.mutex);
    if (r.configured) return;  // the program's settings win (and no file is even opened)
  }
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
    sink->set_formatter(std::make_unique<TextFormatter>());
  }
  const auto strategy_level =
      options.strategy_level.empty() ? level : parse_level(options.strategy_level);
  const auto grpc_level = options.grpc_level.empty() ? level : parse_level(options.grpc_level);
  Registry& r = registry();
  std::lock_guard lock(r.mutex);
  if (!mark_configured && r.configured) return;  // the program's settings win
  if (mark_configured) r.configured = true;
  r.sink->set_target(sink);
  r.level = level;
  r.strategy_level = strategy_level;
  r.grpc_level = grpc_level;
  for (auto& [name, logger] : r.loggers) logger->set_level(r.level_of(name));  // atomic
}

}  // namespace

void configure(const LogOptions& options) {
  apply(options, true);
}

void configure_unless_configured(const LogOptions& options) {
  apply(options, false);
}

std::shared_ptr<spdlog::logger> get(const std::string& name) {
  Registry& r = registry();
  std::lock_guard lock(r.mutex);
  auto& slot = r.loggers[name];
  if (!slot) {
    slot = std::make_shared<spdlog::logger>(name, r.sink);
    slot->set_level(r.level_of(name));
    slot->flush_on(spdlog::level::warn);
  }
  return slot;
}

void event(const std::shared_ptr<spdlog::logger>& logger, spdlog::level::level_enum level,
           std::string_view message, std::initializer_list<Field> fields) {
  if (!logger->should_log(level)) return;
  std::string payload(message);
  for (const Field& f : fields) {
    payload += kFieldSeparator;
    payload += f.key;
    payload += '=';
    payload += f.value;
  }
  logger->log(level, "{}", payload);
}

}  // namespace e6data::log

#include "config/option_fields.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <chrono>
#include <cstdio>

#include "config/value_parsers.hpp"

namespace e6data::config {
namespace {

using std::chrono::seconds;

// gRPC channel arguments are C ints.
constexpr std::int64_t kMaxGrpcInt = 2147483647;
// Caps for durations the documentation leaves open: longer waits are mistakes, and the cap keeps
// `now + timeout` far from overflowing a clock.
constexpr std::int64_t kDaySeconds = 86400;
constexpr std::int64_t kWeekSeconds = 7 * kDaySeconds;
constexpr std::int64_t kMaxCacheEntries = 10'000'000;
constexpr std::int64_t kMaxPoolConnections = 10'000;

// Headers carry these values, and gRPC refuses header values outside printable ASCII.
std::optional<std::string> check_header_text(std::string_view value) {
  for (char c : value) {
    if (c < 0x20 || c > 0x7e) return "contains a character that cannot be sent in a gRPC header";
  }
  return std::nullopt;
}

std::optional<std::string> check_host(std::string_view value) {
  if (value.find("://") != std::string_view::npos) {
    return "is a URI, not a host name: give only the host here (a whole URI goes to "
           "ConnectionOptions::from_uri, or as e6data-cli's URI argument)";
  }
  for (char c : value) {
    if (c <= 0x20 || c == 0x7f) return "contains a space or control character";
    if (std::string_view("/?#@[]").find(c) != std::string_view::npos) {
      return std::string("contains '") + c + "' (give only the host name or address)";
    }
  }
  // One colon is a "host:port" mix-up; IPv6 addresses have at least two.
  const auto colons = std::count(value.begin(), value.end(), ':');
  if (colons == 1) return "contains ':' (give the port separately)";
  return std::nullopt;
}

// The strategy state lives in /dev/shm/<name>: a name, never a path.
std::optional<std::string> check_shm_name(std::string_view value) {
  if (value == "." || value == "..") return "is not a file name";
  if (value.size() > 255) return "is longer than 255 characters";
  for (char c : value) {
    if (c == '/') return "contains '/' (give a file name under /dev/shm, not a path)";
    if (c < 0x20 || c == 0x7f) return "contains a control character";
  }
  return std::nullopt;
}

// Detection probes both deployments, in one order or the other.
std::optional<std::string> check_detection_order(std::string_view value) {
  if (value == "blue,green" || value == "green,blue") return std::nullopt;
  return "must be \"blue,green\" or \"green,blue\"";
}

// The engine's reading of string literals: declared, or left undeclared (empty).
std::optional<std::string> check_string_literals(std::string_view value) {
  if (value.empty() || value == "ansi" || value == "backslash") return std::nullopt;
  return "must be \"ansi\", \"backslash\" or empty";
}

// Result Batch V2: tried, required or not used.
std::optional<std::string> check_result_batch_v2(std::string_view value) {
  if (value.empty() || value == "auto" || value == "on" || value == "off") return std::nullopt;
  return "must be \"auto\", \"on\" or \"off\"";
}

std::string format_number(double value) {
  std::array<char, 32> buffer{};
  const auto [end, ec] = std::to_chars(buffer.data(), buffer.data() + buffer.size(), value);
  if (ec != std::errc()) return "?";
  return std::string(buffer.data(), end);
}

std::string_view kind_expectation(FieldKind kind) {
  switch (kind) {
    case FieldKind::kBool:
      return "is not a boolean (use true/false, 1/0, yes/no or on/off)";
    case FieldKind::kInteger:
      return "is not an integer";
    case FieldKind::kDecimal:
      return "is not a number";
    case FieldKind::kLogLevel:
      return "is not a log level (TRACE, DEBUG, INFO, WARNING, ERROR, CRITICAL or OFF)";
    case FieldKind::kLogFormat:
      return "is not a log format (text or json)";
    case FieldKind::kText:
      break;
  }
  return "is not valid";
}

// GCC 12 warns about designated initializers that leave out members, even members with default
// initializers; leaving them out is the point of designated initializers here.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
// clang-format off
// (One row per field reads best with the accessors lined up under their names.)
constexpr std::array kFields = std::to_array<OptionField>({
    {.path = "host", .kind = FieldKind::kText, .env = "E6DATA_HOST", .check = check_host,
     .get = [](const ConnectionOptions& o) -> FieldValue { return o.host; },
     .set = [](ConnectionOptions& o, const FieldValue& v) { o.host = std::get<std::string>(v); }},
    {.path = "port", .kind = FieldKind::kInteger, .env = "E6DATA_PORT", .min = 1, .max = 65535,
     .get = [](const ConnectionOptions& o) -> FieldValue { return std::int64_t{o.port}; },
     .set = [](ConnectionOptions& o, const FieldValue& v) {
       o.port = static_cast<int>(std::get<std::int64_t>(v)); }},
    {.path = "username", .kind = FieldKind::kText, .env = "E6DATA_USERNAME",
     .check = check_header_text,
     .get = [](const ConnectionOptions& o) -> FieldValue { return o.username; },
     .set = [](ConnectionOptions& o, const FieldValue& v) {
       o.username = std::get<std::string>(v); }},
    {.path = "password", .kind = FieldKind::kText, .env = "E6DATA_PASSWORD", .secret = true,
     .check = check_header_text,
     .get = [](const ConnectionOptions& o) -> FieldValue { return o.password; },
     .set = [](ConnectionOptions& o, const FieldValue& v) {
       o.password = std::get<std::string>(v); }},
    {.path = "catalog", .kind = FieldKind::kText, .env = "E6DATA_CATALOG",
     .get = [](const ConnectionOptions& o) -> FieldValue { return o.catalog; },
     .set = [](ConnectionOptions& o, const FieldValue& v) {
       o.catalog = std::get<std::string>(v); }},
    {.path = "database", .kind = FieldKind::kText, .env = "E6DATA_DATABASE",
     .get = [](const ConnectionOptions& o) -> FieldValue { return o.database; },
     .set = [](ConnectionOptions& o, const FieldValue& v) {
       o.database = std::get<std::string>(v); }},
    {.path = "cluster_name", .kind = FieldKind::kText, .env = "E6DATA_CLUSTER_NAME",
     .env_alias = "E6DATA_CLUSTER_UUID", .uri_key = "cluster-name", .uri_alias = "cluster-uuid",
     .check = check_header_text,
     .get = [](const ConnectionOptions& o) -> FieldValue { return o.cluster_name; },
     .set = [](ConnectionOptions& o, const FieldValue& v) {
       o.cluster_name = std::get<std::string>(v); }},
    {.path = "secure", .kind = FieldKind::kBool, .env = "E6DATA_SECURE", .uri_key = "secure",
     .get = [](const ConnectionOptions& o) -> FieldValue { return o.secure; },
     .set = [](ConnectionOptions& o, const FieldValue& v) { o.secure = std::get<bool>(v); }},
    {.path = "ca_certificate", .kind = FieldKind::kText, .uri_key = "ca-certificate",
     .get = [](const ConnectionOptions& o) -> FieldValue { return o.ca_certificate; },
     .set = [](ConnectionOptions& o, const FieldValue& v) {
       o.ca_certificate = std::get<std::string>(v); }},
    {.path = "auto_resume", .kind = FieldKind::kBool, .env = "E6DATA_AUTO_RESUME",
     .uri_key = "auto-resume",
     .get = [](const ConnectionOptions& o) -> FieldValue { return o.auto_resume; },
     .set = [](ConnectionOptions& o, const FieldValue& v) { o.auto_resume = std::get<bool>(v); }},
    {.path = "auto_resume_timeout", .kind = FieldKind::kInteger,
     .env = "E6DATA_AUTO_RESUME_TIMEOUT", .uri_key = "auto-resume-timeout", .min = 1,
     .max = kDaySeconds, .unit = "s",
     .get = [](const ConnectionOptions& o) -> FieldValue {
       return std::int64_t{o.auto_resume_timeout.count()}; },
     .set = [](ConnectionOptions& o, const FieldValue& v) {
       o.auto_resume_timeout = seconds{std::get<std::int64_t>(v)}; }},
    {.path = "call_timeout", .kind = FieldKind::kInteger, .env = "E6DATA_CALL_TIMEOUT",
     .uri_key = "call-timeout", .min = 1, .max = kDaySeconds, .unit = "s",
     .get = [](const ConnectionOptions& o) -> FieldValue {
       return std::int64_t{o.call_timeout.count()}; },
     .set = [](ConnectionOptions& o, const FieldValue& v) {
       o.call_timeout = seconds{std::get<std::int64_t>(v)}; }},
    {.path = "cleanup_timeout", .kind = FieldKind::kInteger, .env = "E6DATA_CLEANUP_TIMEOUT",
     .uri_key = "cleanup-timeout", .min = 0, .max = 600000, .unit = "ms",
     .get = [](const ConnectionOptions& o) -> FieldValue {
       return std::int64_t{o.cleanup_timeout.count()}; },
     .set = [](ConnectionOptions& o, const FieldValue& v) {
       o.cleanup_timeout = std::chrono::milliseconds{std::get<std::int64_t>(v)}; }},
    {.path = "debug", .kind = FieldKind::kBool, .uri_key = "debug",
     .get = [](const ConnectionOptions& o) -> FieldValue { return o.debug; },
     .set = [](ConnectionOptions& o, const FieldValue& v) { o.debug = std::get<bool>(v); }},

    {.path = "grpc.keepalive_time_ms", .kind = FieldKind::kInteger,
     .env = "E6DATA_KEEPALIVE_TIME_MS", .uri_key = "keepalive-time-ms", .min = 1,
     .max = kMaxGrpcInt,
     .get = [](const ConnectionOptions& o) -> FieldValue { return o.grpc.keepalive_time_ms; },
     .set = [](ConnectionOptions& o, const FieldValue& v) {
       o.grpc.keepalive_time_ms = std::get<std::int64_t>(v); }},
    {.path = "grpc.keepalive_timeout_ms", .kind = FieldKind::kInteger,
     .env = "E6DATA_KEEPALIVE_TIMEOUT_MS", .uri_key = "keepalive-timeout-ms", .min = 1,
     .max = kMaxGrpcInt,
     .get = [](const ConnectionOptions& o) -> FieldValue { return o.grpc.keepalive_timeout_ms; },
     .set = [](ConnectionOptions& o, const FieldValue& v) {
       o.grpc.keepalive_timeout_ms = std::get<std::int64_t>(v); }},
    {.path = "grpc.keepalive_permit_without_calls", .kind = FieldKind::kBool,
     .uri_key = "keepalive-permit-without-calls",
     .get = [](const ConnectionOptions& o) -> FieldValue {
       return o.grpc.keepalive_permit_without_calls; },
     .set = [](ConnectionOptions& o, const FieldValue& v) {
       o.grpc.keepalive_permit_without_calls = std::get<bool>(v); }},
    // -1 is gRPC's "unlimited".
    {.path = "grpc.max_receive_message_length", .kind = FieldKind::kInteger,
     .env = "E6DATA_MAX_RECEIVE_MSG_LENGTH", .uri_key = "max-receive-msg-length", .min = -1,
     .max = kMaxGrpcInt,
     .get = [](const ConnectionOptions& o) -> FieldValue {
       return o.grpc.max_receive_message_length; },
     .set = [](ConnectionOptions& o, const FieldValue& v) {
       o.grpc.max_receive_message_length = std::get<std::int64_t>(v); }},
    {.path = "grpc.max_send_message_length", .kind = FieldKind::kInteger,
     .env = "E6DATA_MAX_SEND_MSG_LENGTH", .uri_key = "max-send-msg-length", .min = -1,
     .max = kMaxGrpcInt,
     .get = [](const ConnectionOptions& o) -> FieldValue {
       return o.grpc.max_send_message_length; },
     .set = [](ConnectionOptions& o, const FieldValue& v) {
       o.grpc.max_send_message_length = std::get<std::int64_t>(v); }},
    {.path = "grpc.http2_max_pings_without_data", .kind = FieldKind::kInteger,
     .uri_key = "http2-max-pings-without-data", .min = 0, .max = kMaxGrpcInt,
     .get = [](const ConnectionOptions& o) -> FieldValue {
       return o.grpc.http2_max_pings_without_data; },
     .set = [](ConnectionOptions& o, const FieldValue& v) {
       o.grpc.http2_max_pings_without_data = std::get<std::int64_t>(v); }},
    {.path = "grpc.http2_min_time_between_pings_ms", .kind = FieldKind::kInteger,
     .uri_key = "http2-min-time-between-pings-ms", .min = 0, .max = kMaxGrpcInt,
     .get = [](const ConnectionOptions& o) -> FieldValue {
       return o.grpc.http2_min_time_between_pings_ms; },
     .set = [](ConnectionOptions& o, const FieldValue& v) {
       o.grpc.http2_min_time_between_pings_ms = std::get<std::int64_t>(v); }},
    {.path = "grpc.http2_min_ping_interval_without_data_ms", .kind = FieldKind::kInteger,
     .uri_key = "http2-min-ping-interval-without-data-ms", .min = 0, .max = kMaxGrpcInt,
     .get = [](const ConnectionOptions& o) -> FieldValue {
       return o.grpc.http2_min_ping_interval_without_data_ms; },
     .set = [](ConnectionOptions& o, const FieldValue& v) {
       o.grpc.http2_min_ping_interval_without_data_ms = std::get<std::int64_t>(v); }},
    {.path = "grpc.prepare_timeout", .kind = FieldKind::kInteger, .env = "E6DATA_PREPARE_TIMEOUT",
     .uri_key = "prepare-timeout", .uri_alias = "grpc-prepare-timeout", .min = 1,
     .max = kDaySeconds, .unit = "s",
     .get = [](const ConnectionOptions& o) -> FieldValue {
       return std::int64_t{o.grpc.prepare_timeout.count()}; },
     .set = [](ConnectionOptions& o, const FieldValue& v) {
       o.grpc.prepare_timeout = seconds{std::get<std::int64_t>(v)}; }},

    {.path = "strategy.cache_timeout", .kind = FieldKind::kInteger,
     .env = "E6DATA_STRATEGY_CACHE_TIMEOUT", .uri_key = "strategy-cache-timeout", .min = 60,
     .max = 1800, .unit = "s",
     .get = [](const ConnectionOptions& o) -> FieldValue {
       return std::int64_t{o.strategy.cache_timeout.count()}; },
     .set = [](ConnectionOptions& o, const FieldValue& v) {
       o.strategy.cache_timeout = seconds{std::get<std::int64_t>(v)}; }},
    {.path = "strategy.detection_timeout", .kind = FieldKind::kInteger,
     .env = "E6DATA_STRATEGY_DETECTION_TIMEOUT", .uri_key = "strategy-detection-timeout",
     .min = 10, .max = 120, .unit = "s",
     .get = [](const ConnectionOptions& o) -> FieldValue {
       return std::int64_t{o.strategy.detection_timeout.count()}; },
     .set = [](ConnectionOptions& o, const FieldValue& v) {
       o.strategy.detection_timeout = seconds{std::get<std::int64_t>(v)}; }},
    {.path = "strategy.validation", .kind = FieldKind::kBool, .env = "E6DATA_STRATEGY_VALIDATION",
     .uri_key = "strategy-validation",
     .get = [](const ConnectionOptions& o) -> FieldValue { return o.strategy.validation; },
     .set = [](ConnectionOptions& o, const FieldValue& v) {
       o.strategy.validation = std::get<bool>(v); }},
    {.path = "strategy.shared_state", .kind = FieldKind::kText,
     .env = "E6DATA_STRATEGY_SHARED_STATE", .uri_key = "strategy-shared-state",
     .check = check_shm_name,
     .get = [](const ConnectionOptions& o) -> FieldValue { return o.strategy.shared_state; },
     .set = [](ConnectionOptions& o, const FieldValue& v) {
       o.strategy.shared_state = std::get<std::string>(v); }},
    {.path = "string_literals", .kind = FieldKind::kText, .env = "E6DATA_STRING_LITERALS",
     .uri_key = "string-literals", .check = check_string_literals,
     .get = [](const ConnectionOptions& o) -> FieldValue { return o.string_literals; },
     .set = [](ConnectionOptions& o, const FieldValue& v) {
       o.string_literals = std::get<std::string>(v); }},
    {.path = "result_batch_v2", .kind = FieldKind::kText, .env = "E6DATA_RESULT_BATCH_V2",
     .uri_key = "result-batch-v2", .check = check_result_batch_v2,
     .get = [](const ConnectionOptions& o) -> FieldValue { return o.result_batch_v2; },
     .set = [](ConnectionOptions& o, const FieldValue& v) {
       o.result_batch_v2 = std::get<std::string>(v); }},
    {.path = "download_ahead", .kind = FieldKind::kInteger, .env = "E6DATA_DOWNLOAD_AHEAD",
     .uri_key = "download-ahead", .min = 0, .max = 64,
     .get = [](const ConnectionOptions& o) -> FieldValue {
       return std::int64_t{o.download_ahead}; },
     .set = [](ConnectionOptions& o, const FieldValue& v) {
       o.download_ahead = static_cast<int>(std::get<std::int64_t>(v)); }},
    {.path = "download_ahead_bytes", .kind = FieldKind::kInteger,
     .env = "E6DATA_DOWNLOAD_AHEAD_BYTES", .uri_key = "download-ahead-bytes", .min = 1024,
     .max = std::int64_t{1} << 40,
     .get = [](const ConnectionOptions& o) -> FieldValue { return o.download_ahead_bytes; },
     .set = [](ConnectionOptions& o, const FieldValue& v) {
       o.download_ahead_bytes = std::get<std::int64_t>(v); }},
    {.path = "strategy.detection_order", .kind = FieldKind::kText,
     .env = "E6DATA_STRATEGY_DETECTION_ORDER", .uri_key = "strategy-detection-order",
     .check = check_detection_order,
     .get = [](const ConnectionOptions& o) -> FieldValue { return o.strategy.detection_order; },
     .set = [](ConnectionOptions& o, const FieldValue& v) {
       o.strategy.detection_order = std::get<std::string>(v); }},

    {.path = "retry.max_attempts", .kind = FieldKind::kInteger,
     .env = "E6DATA_MAX_RETRY_ATTEMPTS", .uri_key = "max-retry-attempts", .min = 1, .max = 10,
     .get = [](const ConnectionOptions& o) -> FieldValue {
       return std::int64_t{o.retry.max_attempts}; },
     .set = [](ConnectionOptions& o, const FieldValue& v) {
       o.retry.max_attempts = static_cast<int>(std::get<std::int64_t>(v)); }},
    {.path = "retry.backoff_factor", .kind = FieldKind::kDecimal,
     .env = "E6DATA_RETRY_BACKOFF_FACTOR", .uri_key = "retry-backoff-factor",
     .min_decimal = 0.1, .max_decimal = 2.0, .unit = "s",
     .get = [](const ConnectionOptions& o) -> FieldValue { return o.retry.backoff_factor.count(); },
     .set = [](ConnectionOptions& o, const FieldValue& v) {
       o.retry.backoff_factor = std::chrono::duration<double>{std::get<double>(v)}; }},

    {.path = "cache.strategy_cache_size", .kind = FieldKind::kInteger,
     .env = "E6DATA_STRATEGY_CACHE_SIZE", .uri_key = "strategy-cache-size", .min = 1,
     .max = kMaxCacheEntries,
     .get = [](const ConnectionOptions& o) -> FieldValue { return o.cache.strategy_cache_size; },
     .set = [](ConnectionOptions& o, const FieldValue& v) {
       o.cache.strategy_cache_size = std::get<std::int64_t>(v); }},
    {.path = "cache.query_mapping_cache_size", .kind = FieldKind::kInteger,
     .env = "E6DATA_QUERY_MAPPING_CACHE_SIZE", .uri_key = "query-mapping-cache-size", .min = 1,
     .max = kMaxCacheEntries,
     .get = [](const ConnectionOptions& o) -> FieldValue {
       return o.cache.query_mapping_cache_size; },
     .set = [](ConnectionOptions& o, const FieldValue& v) {
       o.cache.query_mapping_cache_size = std::get<std::int64_t>(v); }},
    {.path = "cache.cleanup_interval", .kind = FieldKind::kInteger,
     .env = "E6DATA_CACHE_CLEANUP_INTERVAL", .uri_key = "cache-cleanup-interval", .min = 1,
     .max = kDaySeconds, .unit = "s",
     .get = [](const ConnectionOptions& o) -> FieldValue {
       return std::int64_t{o.cache.cleanup_interval.count()}; },
     .set = [](ConnectionOptions& o, const FieldValue& v) {
       o.cache.cleanup_interval = seconds{std::get<std::int64_t>(v)}; }},
    {.path = "cache.ttl", .kind = FieldKind::kInteger, .env = "E6DATA_CACHE_TTL",
     .uri_key = "cache-ttl", .min = 1, .max = kDaySeconds, .unit = "s",
     .get = [](const ConnectionOptions& o) -> FieldValue {
       return std::int64_t{o.cache.ttl.count()}; },
     .set = [](ConnectionOptions& o, const FieldValue& v) {
       o.cache.ttl = seconds{std::get<std::int64_t>(v)}; }},

    {.path = "pool.max_connections", .kind = FieldKind::kInteger, .env = "E6DATA_MAX_CONNECTIONS",
     .uri_key = "max-connections", .min = 1, .max = kMaxPoolConnections,
     .get = [](const ConnectionOptions& o) -> FieldValue {
       return std::int64_t{o.pool.max_connections}; },
     .set = [](ConnectionOptions& o, const FieldValue& v) {
       o.pool.max_connections = static_cast<int>(std::get<std::int64_t>(v)); }},
    // 0: open connections only on demand.
    {.path = "pool.min_connections", .kind = FieldKind::kInteger, .env = "E6DATA_MIN_CONNECTIONS",
     .uri_key = "min-connections", .min = 0, .max = kMaxPoolConnections,
     .get = [](const ConnectionOptions& o) -> FieldValue {
       return std::int64_t{o.pool.min_connections}; },
     .set = [](ConnectionOptions& o, const FieldValue& v) {
       o.pool.min_connections = static_cast<int>(std::get<std::int64_t>(v)); }},
    {.path = "pool.connection_timeout", .kind = FieldKind::kInteger,
     .env = "E6DATA_CONNECTION_TIMEOUT", .uri_key = "connection-timeout", .min = 1,
     .max = kDaySeconds, .unit = "s",
     .get = [](const ConnectionOptions& o) -> FieldValue {
       return std::int64_t{o.pool.connection_timeout.count()}; },
     .set = [](ConnectionOptions& o, const FieldValue& v) {
       o.pool.connection_timeout = seconds{std::get<std::int64_t>(v)}; }},
    {.path = "pool.idle_timeout", .kind = FieldKind::kInteger, .env = "E6DATA_IDLE_TIMEOUT",
     .uri_key = "idle-timeout", .min = 1, .max = kDaySeconds, .unit = "s",
     .get = [](const ConnectionOptions& o) -> FieldValue {
       return std::int64_t{o.pool.idle_timeout.count()}; },
     .set = [](ConnectionOptions& o, const FieldValue& v) {
       o.pool.idle_timeout = seconds{std::get<std::int64_t>(v)}; }},
    {.path = "pool.max_lifetime", .kind = FieldKind::kInteger, .env = "E6DATA_MAX_LIFETIME",
     .uri_key = "max-lifetime", .min = 1, .max = kWeekSeconds, .unit = "s",
     .get = [](const ConnectionOptions& o) -> FieldValue {
       return std::int64_t{o.pool.max_lifetime.count()}; },
     .set = [](ConnectionOptions& o, const FieldValue& v) {
       o.pool.max_lifetime = seconds{std::get<std::int64_t>(v)}; }},

    {.path = "logging.level", .kind = FieldKind::kLogLevel, .env = "E6DATA_LOG_LEVEL",
     .uri_key = "log-level",
     .get = [](const ConnectionOptions& o) -> FieldValue { return o.logging.level; },
     .set = [](ConnectionOptions& o, const FieldValue& v) {
       o.logging.level = std::get<LogLevel>(v); }},
    {.path = "logging.strategy_level", .kind = FieldKind::kLogLevel,
     .env = "E6DATA_STRATEGY_LOG_LEVEL", .uri_key = "strategy-log-level",
     .get = [](const ConnectionOptions& o) -> FieldValue { return o.logging.strategy_level; },
     .set = [](ConnectionOptions& o, const FieldValue& v) {
       o.logging.strategy_level = std::get<LogLevel>(v); }},
    {.path = "logging.grpc_level", .kind = FieldKind::kLogLevel, .env = "E6DATA_GRPC_LOG_LEVEL",
     .uri_key = "grpc-log-level",
     .get = [](const ConnectionOptions& o) -> FieldValue { return o.logging.grpc_level; },
     .set = [](ConnectionOptions& o, const FieldValue& v) {
       o.logging.grpc_level = std::get<LogLevel>(v); }},
    {.path = "logging.format", .kind = FieldKind::kLogFormat, .env = "E6DATA_LOG_FORMAT",
     .uri_key = "log-format",
     .get = [](const ConnectionOptions& o) -> FieldValue { return o.logging.format; },
     .set = [](ConnectionOptions& o, const FieldValue& v) {
       o.logging.format = std::get<LogFormat>(v); }},
    {.path = "logging.output", .kind = FieldKind::kText, .env = "E6DATA_LOG_OUTPUT",
     .uri_key = "log-output",
     .get = [](const ConnectionOptions& o) -> FieldValue { return o.logging.output; },
     .set = [](ConnectionOptions& o, const FieldValue& v) {
       o.logging.output = std::get<std::string>(v); }},
});
// clang-format on
#pragma GCC diagnostic pop

ParsedField clamp_integer(const OptionField& field, std::int64_t value) {
  if (value >= field.min && value <= field.max) return {ParsedField::Status::kOk, value, {}};
  return {ParsedField::Status::kClamped, value < field.min ? field.min : field.max,
          "is out of range " + format_range(field)};
}

}  // namespace

std::string quote(std::string_view text) {
  std::string quoted = "\"";
  for (char c : text) {
    switch (c) {
      case '"':
        quoted += "\\\"";
        break;
      case '\\':
        quoted += "\\\\";
        break;
      case '\n':
        quoted += "\\n";
        break;
      case '\r':
        quoted += "\\r";
        break;
      case '\t':
        quoted += "\\t";
        break;
      default:
        if ((c >= 0 && c < 0x20) || c == 0x7f) {
          std::array<char, 8> hex{};
          std::snprintf(hex.data(), hex.size(), "\\x%02x", static_cast<unsigned char>(c));
          quoted += hex.data();
        } else {
          quoted += c;
        }
    }
  }
  quoted += '"';
  return quoted;
}

std::span<const OptionField> option_fields() {
  return kFields;
}

const OptionField* find_uri_field(std::string_view key) {
  std::string normal = to_lower(key);
  for (char& c : normal) {
    if (c == '_') c = '-';
  }
  for (const OptionField& field : kFields) {
    if (!field.uri_key.empty() && (normal == field.uri_key || normal == field.uri_alias)) {
      return &field;
    }
  }
  return nullptr;
}

const OptionField* find_field(std::string_view path) {
  for (const OptionField& field : kFields) {
    if (field.path == path) return &field;
  }
  return nullptr;
}

ParsedField parse_field(const OptionField& field, std::string_view text) {
  using Status = ParsedField::Status;
  const std::string invalid(kind_expectation(field.kind));
  switch (field.kind) {
    case FieldKind::kText: {
      std::string value(text);
      if (field.check != nullptr && !value.empty()) {
        if (auto problem = field.check(value)) return {Status::kInvalid, {}, *problem};
      }
      return {Status::kOk, std::move(value), {}};
    }
    case FieldKind::kBool:
      if (auto value = parse_bool(text)) return {Status::kOk, *value, {}};
      return {Status::kInvalid, {}, invalid};
    case FieldKind::kInteger: {
      const IntegerText parsed = parse_integer(text);
      switch (parsed.status) {
        case IntegerText::Status::kOk:
          return clamp_integer(field, parsed.value);
        case IntegerText::Status::kTooLarge:
          return {Status::kClamped, field.max, "is out of range " + format_range(field)};
        case IntegerText::Status::kTooSmall:
          return {Status::kClamped, field.min, "is out of range " + format_range(field)};
        case IntegerText::Status::kInvalid:
          break;
      }
      // A decimal where whole seconds are expected deserves a precise hint.
      if (field.unit == "s" && parse_decimal(text)) {
        return {Status::kInvalid, {}, "is not a whole number of seconds"};
      }
      return {Status::kInvalid, {}, invalid};
    }
    case FieldKind::kDecimal: {
      const auto value = parse_decimal(text);
      if (!value) return {Status::kInvalid, {}, invalid};
      if (*value < field.min_decimal) {
        return {Status::kClamped, field.min_decimal, "is out of range " + format_range(field)};
      }
      if (*value > field.max_decimal) {
        return {Status::kClamped, field.max_decimal, "is out of range " + format_range(field)};
      }
      return {Status::kOk, *value, {}};
    }
    case FieldKind::kLogLevel:
      if (auto value = parse_log_level(text)) return {Status::kOk, *value, {}};
      return {Status::kInvalid, {}, invalid};
    case FieldKind::kLogFormat:
      if (auto value = parse_log_format(text)) return {Status::kOk, *value, {}};
      return {Status::kInvalid, {}, invalid};
  }
  return {Status::kInvalid, {}, invalid};
}

std::string format_value(const OptionField& field, const FieldValue& value) {
  struct Formatter {
    const OptionField& field;
    std::string operator()(const std::string& text) const { return quote(text); }
    std::string operator()(bool flag) const { return flag ? "true" : "false"; }
    std::string operator()(std::int64_t number) const {
      return std::to_string(number) + std::string(field.unit);
    }
    std::string operator()(double number) const {
      return format_number(number) + std::string(field.unit);
    }
    std::string operator()(LogLevel level) const { return std::string(to_string(level)); }
    std::string operator()(LogFormat format) const { return std::string(to_string(format)); }
  };
  return std::visit(Formatter{field}, value);
}

std::string format_range(const OptionField& field) {
  const std::string unit(field.unit);
  if (field.kind == FieldKind::kDecimal) {
    return "[" + format_number(field.min_decimal) + unit + ", " + format_number(field.max_decimal) +
           unit + "]";
  }
  return "[" + std::to_string(field.min) + unit + ", " + std::to_string(field.max) + unit + "]";
}

std::optional<std::string> value_problem(const OptionField& field, const FieldValue& value) {
  if (const auto* number = std::get_if<std::int64_t>(&value)) {
    if (*number < field.min || *number > field.max) {
      return "is " + format_value(field, value) + ", outside " + format_range(field);
    }
  } else if (const auto* decimal = std::get_if<double>(&value)) {
    // NaN fails both comparisons, so test for being inside the range.
    if (!(*decimal >= field.min_decimal && *decimal <= field.max_decimal)) {
      return "is " + format_value(field, value) + ", outside " + format_range(field);
    }
  } else if (const auto* text = std::get_if<std::string>(&value)) {
    if (field.check != nullptr && !text->empty()) return field.check(*text);
  }
  return std::nullopt;
}

}  // namespace e6data::config

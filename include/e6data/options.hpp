#pragma once
/// \file
/// \brief ConnectionOptions: how to reach an e6data cluster, from code, a URI or the environment.
///
/// Options are values: plain structs with their defaults where the fields are declared. There
/// are three sources, and the precedence is **code or URI > `E6DATA_*` environment > defaults**:
///
/// \code
///   auto options = e6data::ConnectionOptions::from_uri("e6data://me:TOKEN@host:443/cat/db");
///   std::vector<e6data::ConfigIssue> issues;
///   options.fill_from_env(e6data::EnvironmentReader::process(), &issues);  // fills the rest
///   if (auto problems = options.validate(); !problems.empty()) { ... }
/// \endcode
///
/// Environment values are read loudly: a value out of range is clamped into it with a WARN
/// naming the variable and the value used; a value that is not of its type (`E6DATA_PORT=abc`)
/// is a UsageError naming the variable. A caller that passes a list of ConfigIssue gets every
/// such problem there instead (the value clamped, or the default kept) and decides itself.
/// Values in code and URIs are the caller's own, so they are checked strictly: from_uri() throws
/// and validate() lists every problem.
///
/// Thread safety: the types here are plain values; share them read-only or copy them.

#include <chrono>
#include <cstdint>
#include <functional>
#include <iosfwd>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace e6data {

/// \brief Verbosity of one of the connector's loggers.
enum class LogLevel { kTrace, kDebug, kInfo, kWarning, kError, kCritical, kOff };

/// \brief Shape of log lines.
enum class LogFormat { kText, kJson };

/// \brief Upper-case name of a level, e.g. "WARNING" (the spelling E6DATA_LOG_LEVEL accepts).
/// \param level the level
/// \return its name
std::string_view to_string(LogLevel level) noexcept;

/// \brief Name of a log format: "text" or "json".
/// \param format the format
/// \return its name
std::string_view to_string(LogFormat format) noexcept;

/// \brief One problem found while reading the environment.
struct ConfigIssue {
  /// \brief kWarning: a value was adjusted (clamped); kError: a value was ignored.
  enum class Severity { kWarning, kError };
  Severity severity = Severity::kError;
  /// \brief The variable concerned, e.g. "E6DATA_PORT".
  std::string variable;
  /// \brief What was wrong and what is used instead; never contains a secret value.
  std::string message;

  /// \brief Member-wise equality.
  friend bool operator==(const ConfigIssue&, const ConfigIssue&) = default;
};

/// \brief Where environment variables come from: the process, or a map in tests.
///
/// \warning process() reads `::getenv`, which races with `setenv` in other threads; read the
/// environment at start-up, before threads change it.
class EnvironmentReader {
 public:
  /// \brief Looks a variable up: nullopt when it is not set.
  using Lookup = std::function<std::optional<std::string>(const std::string& name)>;

  /// \brief A reader over any lookup function.
  /// \param lookup called once per variable name; must not be empty
  /// \throws UsageError if `lookup` is empty
  explicit EnvironmentReader(Lookup lookup);

  /// \brief The process environment, through `::getenv`.
  /// \return a reader over the live environment
  static EnvironmentReader process();

  /// \brief A fixed set of variables, for tests and for configuration files read by the caller.
  /// \param variables name to value
  /// \return a reader that sees exactly `variables`
  static EnvironmentReader from_map(std::map<std::string, std::string> variables);

  /// \brief The value of `name`.
  /// \param name the variable, e.g. "E6DATA_HOST"
  /// \return its value, or nullopt when it is not set
  std::optional<std::string> get(const std::string& name) const;

 private:
  Lookup lookup_;
};

/// \brief gRPC channel settings; `src/rpc/` maps them onto channel arguments.
///
/// Lengths and intervals are `std::int64_t` as configured; gRPC takes `int`, which is why their
/// ranges stop at 2^31-1.
struct GrpcOptions {
  /// \brief Ping the server after this long without activity. E6DATA_KEEPALIVE_TIME_MS,
  /// 1..2^31-1 ms.
  std::int64_t keepalive_time_ms = 30000;
  /// \brief Close the channel when a ping is unanswered this long. E6DATA_KEEPALIVE_TIMEOUT_MS,
  /// 1..2^31-1 ms.
  std::int64_t keepalive_timeout_ms = 60000;
  /// \brief Keep pinging while no call is active.
  bool keepalive_permit_without_calls = true;
  /// \brief Largest response accepted, in bytes; -1 = unlimited. E6DATA_MAX_RECEIVE_MSG_LENGTH,
  /// -1..2^31-1.
  std::int64_t max_receive_message_length = -1;
  /// \brief Largest request sent, in bytes; -1 = unlimited. E6DATA_MAX_SEND_MSG_LENGTH,
  /// -1..2^31-1, default 300 MiB.
  std::int64_t max_send_message_length = 300LL << 20;
  /// \brief Pings allowed without data in between; 0 = no limit. 0..2^31-1.
  std::int64_t http2_max_pings_without_data = 0;
  /// \brief Minimum spacing of pings, in ms. 0..2^31-1.
  std::int64_t http2_min_time_between_pings_ms = 10000;
  /// \brief Minimum spacing of pings while no data flows, in ms. 0..2^31-1.
  std::int64_t http2_min_ping_interval_without_data_ms = 10000;
  /// \brief Deadline of the prepare call (the Python connector's `grpc_prepare_timeout`).
  /// E6DATA_PREPARE_TIMEOUT, 1..86400 s.
  std::chrono::seconds prepare_timeout{600};

  /// \brief Member-wise equality.
  friend bool operator==(const GrpcOptions&, const GrpcOptions&) = default;
};

/// \brief Blue-green strategy detection.
struct StrategyOptions {
  /// \brief How long a detected strategy is trusted. E6DATA_STRATEGY_CACHE_TIMEOUT, 60..1800 s.
  std::chrono::seconds cache_timeout{300};
  /// \brief How long detection may take. E6DATA_STRATEGY_DETECTION_TIMEOUT, 10..120 s.
  std::chrono::seconds detection_timeout{30};
  /// \brief Check the server's strategy answers. E6DATA_STRATEGY_VALIDATION.
  bool validation = true;
  /// \brief Name of a file under /dev/shm that shares the strategy between processes; empty
  /// (the default) turns sharing off. E6DATA_STRATEGY_SHARED_STATE, a file name without '/'.
  std::string shared_state;
  /// \brief Which deployment detection tries first: "blue,green" (e6data's own order) or
  /// "green,blue". E6DATA_STRATEGY_DETECTION_ORDER.
  std::string detection_order = "blue,green";

  /// \brief Member-wise equality.
  friend bool operator==(const StrategyOptions&, const StrategyOptions&) = default;
};

/// \brief Retries of retryable failures.
struct RetryOptions {
  /// \brief Attempts in all, the first included. E6DATA_MAX_RETRY_ATTEMPTS, 1..10.
  int max_attempts = 5;
  /// \brief Retry n waits `backoff_factor * 2^(n-1)`. E6DATA_RETRY_BACKOFF_FACTOR, 0.1..2.0 s.
  std::chrono::duration<double> backoff_factor{0.2};

  /// \brief Member-wise equality.
  friend bool operator==(const RetryOptions&, const RetryOptions&) = default;
};

/// \brief The strategy caches.
struct CacheOptions {
  /// \brief Strategies kept (one per cluster). E6DATA_STRATEGY_CACHE_SIZE, 1..10,000,000.
  std::int64_t strategy_cache_size = 1;
  /// \brief Query-to-strategy entries kept. E6DATA_QUERY_MAPPING_CACHE_SIZE, 1..10,000,000.
  std::int64_t query_mapping_cache_size = 1000;
  /// \brief How often expired entries are dropped. E6DATA_CACHE_CLEANUP_INTERVAL, 1..86400 s.
  std::chrono::seconds cleanup_interval{300};
  /// \brief Lifetime of an entry. E6DATA_CACHE_TTL, 1..86400 s.
  std::chrono::seconds ttl{300};

  /// \brief Member-wise equality.
  friend bool operator==(const CacheOptions&, const CacheOptions&) = default;
};

/// \brief The connection pool.
struct PoolOptions {
  /// \brief Connections open at most. E6DATA_MAX_CONNECTIONS, 1..10000.
  int max_connections = 10;
  /// \brief Connections kept open when idle. E6DATA_MIN_CONNECTIONS, 0..10000.
  int min_connections = 1;
  /// \brief Wait for a free connection at most this long. E6DATA_CONNECTION_TIMEOUT,
  /// 1..86400 s.
  std::chrono::seconds connection_timeout{30};
  /// \brief Close connections idle this long. E6DATA_IDLE_TIMEOUT, 1..86400 s.
  std::chrono::seconds idle_timeout{300};
  /// \brief Replace connections older than this. E6DATA_MAX_LIFETIME, 1..604800 s (a week).
  std::chrono::seconds max_lifetime{3600};

  /// \brief Member-wise equality.
  friend bool operator==(const PoolOptions&, const PoolOptions&) = default;
};

/// \brief What the connector logs and where (programs apply it; the library never prints).
struct LoggingOptions {
  /// \brief The `e6data` logger. E6DATA_LOG_LEVEL: TRACE, DEBUG, INFO, WARNING (WARN), ERROR,
  /// CRITICAL or OFF, any case.
  LogLevel level = LogLevel::kInfo;
  /// \brief The `e6data.strategy` logger. E6DATA_STRATEGY_LOG_LEVEL.
  LogLevel strategy_level = LogLevel::kInfo;
  /// \brief The `e6data.grpc` logger. E6DATA_GRPC_LOG_LEVEL.
  LogLevel grpc_level = LogLevel::kWarning;
  /// \brief E6DATA_LOG_FORMAT: text or json.
  LogFormat format = LogFormat::kText;
  /// \brief E6DATA_LOG_OUTPUT: "stdout", "stderr" or a file path (appended). Defaults to stderr
  /// because stdout belongs to the program (the CLI prints results there).
  std::string output = "stderr";

  /// \brief Member-wise equality.
  friend bool operator==(const LoggingOptions&, const LoggingOptions&) = default;
};

/// \brief Everything needed to connect to an e6data cluster.
///
/// A plain value: set fields directly, or start from from_uri() or from_env(). Nothing is
/// checked until validate(), which the connection calls before it dials.
struct ConnectionOptions {
  /// \brief Host name or IP address (IPv6 without brackets). E6DATA_HOST. Required.
  std::string host;
  /// \brief E6DATA_PORT, 1..65535.
  int port = 80;
  /// \brief The user's e-mail. E6DATA_USERNAME. Required.
  std::string username;
  /// \brief An access token. E6DATA_PASSWORD. Required; never printed or put in a message.
  std::string password;
  /// \brief E6DATA_CATALOG.
  std::string catalog;
  /// \brief E6DATA_DATABASE.
  std::string database;
  /// \brief How the engine reads string literals, for parameters written into the SQL text (the
  /// catalog-less call form carries no typed parameters): "ansi" ('' inside quotes), "backslash"
  /// (\\ and \\' escapes, as e6data's Python connector writes them), or "" (the default: not
  /// declared; a string parameter holding a backslash is then refused, since the two readings
  /// differ). E6DATA_STRING_LITERALS.
  std::string string_literals;
  /// \brief How results are fetched (PROTOCOL.md §5.3): "auto" (getNextResultBatchV2, several
  /// chunks per response and an end-of-stream flag; a deployment that answers UNIMPLEMENTED is
  /// read with getNextResultBatch, and remembered as such until the next switch; the default, ""
  /// means the same), "on" (V2 only: UNIMPLEMENTED is an error) or "off" (getNextResultBatch
  /// only). A V2 response holds several chunks: a grpc.max_receive_message_length other than
  /// -1 must fit them all. E6DATA_RESULT_BATCH_V2.
  std::string result_batch_v2 = "auto";
  /// \brief How many result responses a query fetches ahead of the caller, in the background,
  /// while the caller works on the rows it has (one fetch in flight per query, decoded off the
  /// caller's thread). 0 fetches only when the caller asks (each next_batch() past the rows at
  /// hand waits for a round trip). The first response of a result is always fetched on the
  /// caller's path, so a short result starts no thread. E6DATA_DOWNLOAD_AHEAD, 0..64; 2 by
  /// default.
  int download_ahead = 2;
  /// \brief Bound on the decoded size of the responses fetched ahead and not yet handed over
  /// (the one being handed over included): no fetch starts while they hold this much, so a
  /// query's result never holds more than this plus one response, whatever its size.
  /// E6DATA_DOWNLOAD_AHEAD_BYTES, 1024..2^40 bytes (64 MiB by default).
  std::int64_t download_ahead_bytes = std::int64_t{64} << 20;
  /// \brief The cluster, as named in the console; the connection lower-cases it when it sends
  /// it. E6DATA_CLUSTER_NAME, or its alias E6DATA_CLUSTER_UUID.
  std::string cluster_name;
  /// \brief Use TLS. E6DATA_SECURE.
  bool secure = false;
  /// \brief With `secure`: a CA file path, or PEM text starting with "-----BEGIN"; empty = the
  /// system roots.
  std::string ca_certificate;
  /// \brief Resume a suspended cluster instead of failing. E6DATA_AUTO_RESUME.
  bool auto_resume = true;
  /// \brief Give up waiting for a resume after this long. E6DATA_AUTO_RESUME_TIMEOUT,
  /// 1..86400 s.
  std::chrono::seconds auto_resume_timeout{300};
  /// \brief Default deadline of a call that does not wait for a query to run (metadata, status,
  /// explain, cancel, clear, catalog calls, dry run) when QueryOptions gives none.
  /// E6DATA_CALL_TIMEOUT, 1..86400 s. (execute and fetches default to grpc.prepare_timeout.)
  std::chrono::seconds call_timeout{60};
  /// \brief Bound on the best-effort clean-up that destructors do (a query's clear).
  /// E6DATA_CLEANUP_TIMEOUT, 0..600000 ms; 0 skips the clean-up call.
  std::chrono::milliseconds cleanup_timeout{2000};
  /// \brief Log the protocol in detail.
  bool debug = false;
  /// \brief gRPC channel settings.
  GrpcOptions grpc;
  /// \brief Strategy detection.
  StrategyOptions strategy;
  /// \brief Retries.
  RetryOptions retry;
  /// \brief Strategy caches.
  CacheOptions cache;
  /// \brief Connection pool.
  PoolOptions pool;
  /// \brief Logging.
  LoggingOptions logging;

  /// \brief Member-wise equality.
  friend bool operator==(const ConnectionOptions&, const ConnectionOptions&) = default;

  /// \brief Every problem at once, each naming its field (e.g. "port is 0, outside [1, 65535]").
  ///
  /// Checks the required fields (host, username, password), every range listed on the fields,
  /// the characters of host, username, password and strategy.shared_state, and cross-field
  /// rules: min_connections <= max_connections; a ca_certificate only with secure, and then an
  /// existing file or PEM text.
  /// \return the problems; empty when the options are usable
  std::vector<std::string> validate() const;

  /// \brief Parses `e6data://user:token@host:port/catalog/database?key=value&...`.
  ///
  /// `e6datas://` sets secure=true. User, token, path segments and query values are
  /// percent-decoded (encode '@', ':', '/' and '%' in a token). IPv6 hosts go in brackets:
  /// `e6data://[::1]:50051`. Every part but the host is optional; a missing port keeps 80,
  /// trailing slashes are ignored and `//db` leaves the catalog empty. Query keys are the field
  /// names in kebab case or snake case (`cluster-name`, `auto_resume`, `max-retry-attempts`,
  /// `keepalive-time-ms`, `log-level`, ...), plus the aliases `cluster-uuid` and
  /// `grpc-prepare-timeout`. Values use the environment's syntax and must be in range.
  /// \param uri the URI
  /// \return the options it describes; other fields keep their defaults
  /// \throws UsageError listing every problem (bad scheme, no host, bad port, unknown or
  /// repeated key, bad value, bad percent-escape); messages never contain the token.
  static ConnectionOptions from_uri(std::string_view uri);

  /// \brief Defaults overlaid with the `E6DATA_*` variables (see fill_from_env()).
  /// \param env where variables come from
  /// \param issues receives a ConfigIssue per adjusted or ignored value; when null, adjusted
  /// values are logged at WARN and unusable ones throw
  /// \return the options
  /// \throws UsageError naming every variable whose value is not of its type (only when
  /// `issues` is null)
  static ConnectionOptions from_env(const EnvironmentReader& env = EnvironmentReader::process(),
                                    std::vector<ConfigIssue>* issues = nullptr);

  /// \brief Sets each field that still holds its default from its `E6DATA_*` variable, so
  /// values from code or a URI win over the environment.
  ///
  /// Unset and blank variables are skipped. A value out of range is clamped into it (a warning
  /// issue, or a WARN log line when `issues` is null); an unparsable one is ignored, leaving the
  /// default (an error issue), or, when `issues` is null, a UsageError naming every such
  /// variable once all were read. When both
  /// E6DATA_CLUSTER_NAME and E6DATA_CLUSTER_UUID are set, the name wins (a warning if they
  /// differ).
  /// \warning A field set in code to exactly its default value (e.g. `secure = false`) is
  /// indistinguishable from an untouched one, so the environment may still replace it.
  /// \param env where variables come from
  /// \param issues receives a ConfigIssue per adjusted or ignored value; may be null
  /// \throws UsageError when `issues` is null and a value is not of its type
  void fill_from_env(const EnvironmentReader& env = EnvironmentReader::process(),
                     std::vector<ConfigIssue>* issues = nullptr);
};

/// \brief Writes the options on one line, e.g. `ConnectionOptions{host="h", port=80, ...}`.
///
/// The password prints as `***` (`(none)` when empty); strings are quoted with control
/// characters escaped, so no field can forge extra lines.
/// \param out the stream
/// \param options the options
/// \return `out`
std::ostream& operator<<(std::ostream& out, const ConnectionOptions& options);

/// \brief The text operator<< writes.
/// \param options the options
/// \return one line, password masked
std::string to_string(const ConnectionOptions& options);

}  // namespace e6data

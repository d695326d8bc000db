#pragma once
/// \file
/// \brief The connector's metrics: Prometheus text, and an optional HTTP endpoint serving it.
///
/// One registry per process holds every metric: OpenTelemetry's database-client names where they
/// exist (db.client.operation.duration, db.client.connection.*), e6data's own for the blue-green
/// engine (e6data.strategy.*, e6data.query.*, e6data.cluster.*). docs/observability.md lists every
/// metric with its type, unit, labels and meaning, and the name mapping.
///
/// \code
///   std::cout << e6data::metrics_text();                 // print once
///   e6data::MetricsEndpoint endpoint;                     // or serve
///   http://127.0.0.1:9464/metrics auto from_env =
///   e6data::start_metrics_endpoint_from_environment();  // E6DATA_METRICS_ADDRESS
/// \endcode

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>

namespace e6data {

/// \brief Every metric of this process in the Prometheus text exposition format (0.0.4).
/// \return the text, one HELP and TYPE line per metric name, ending in a newline (empty when
/// nothing is measured yet)
/// \warning Thread safety: may be called from any thread at any time.
std::string metrics_text();

/// \brief Where and how the metrics endpoint listens.
struct MetricsEndpointOptions {
  /// \brief An IPv4 or IPv6 address literal, or "localhost"; loopback by default. Any other
  /// address serves the metrics beyond this host (logged at WARN when the endpoint starts).
  std::string address = "127.0.0.1";
  /// \brief The TCP port (9464, OpenTelemetry's Prometheus exporter port); 0 picks a free one.
  int port = 9464;
  /// \brief The longest a client may take to send its request, and to take the answer.
  std::chrono::milliseconds io_timeout{2000};
  /// \brief A request (line and headers) longer than this is answered 431 and closed.
  std::size_t max_request_bytes = 8192;

  /// \brief The options from E6DATA_METRICS_ADDRESS: "host:port", "[v6]:port" or ":port" (on
  /// 127.0.0.1).
  /// \return nullopt when the variable is unset or empty (the endpoint is off by default)
  /// \throws UsageError naming the variable and the value when it cannot be read
  static std::optional<MetricsEndpointOptions> from_environment();
};

/// \brief A small HTTP/1.1 server that answers `GET /metrics` with metrics_text().
///
/// One connection at a time, one request per connection (`Connection: close`); a request is
/// bounded by MetricsEndpointOptions::max_request_bytes and io_timeout. Other paths get 404,
/// other methods 405.
/// \warning Thread safety: stop() and port() may be called from any thread; the object must not be
/// destroyed while another thread uses it.
class MetricsEndpoint {
 public:
  /// \brief Listens on `options.address`:`options.port` and serves on a thread of its own.
  /// \throws UsageError for an address that is not a literal or a port out of 0..65535;
  /// ConnectionError naming the address when it cannot be bound
  explicit MetricsEndpoint(MetricsEndpointOptions options = {});
  /// \brief Stops serving (as stop()).
  ~MetricsEndpoint();
  MetricsEndpoint(const MetricsEndpoint&) = delete;
  MetricsEndpoint& operator=(const MetricsEndpoint&) = delete;

  /// \brief The port listened on (the chosen one when the options said 0).
  [[nodiscard]] int port() const noexcept;
  /// \brief e.g. "http://127.0.0.1:9464/metrics".
  [[nodiscard]] std::string url() const;
  /// \brief Stops listening, after the answer in progress (bounded by io_timeout). Idempotent.
  void stop() noexcept;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// \brief Starts the endpoint E6DATA_METRICS_ADDRESS asks for.
/// \return the running endpoint, or nullptr when the variable is unset or empty
/// \throws as MetricsEndpointOptions::from_environment() and MetricsEndpoint's constructor
[[nodiscard]] std::unique_ptr<MetricsEndpoint> start_metrics_endpoint_from_environment();

}  // namespace e6data

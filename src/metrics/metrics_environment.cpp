// E6DATA_METRICS_ADDRESS: the metrics endpoint is off unless this names where to listen.
#include <cstdlib>
#include <string>

#include "e6data/errors.hpp"
#include "e6data/metrics.hpp"

namespace e6data {
namespace {

constexpr const char* kVariable = "E6DATA_METRICS_ADDRESS";

[[noreturn]] void refuse(const std::string& value, const std::string& why) {
  throw UsageError(std::string(kVariable) + "='" + value + "': " + why +
                   " (expected host:port, [v6]:port or :port)");
}

}  // namespace

std::optional<MetricsEndpointOptions> MetricsEndpointOptions::from_environment() {
  // getenv races with setenv; like the other E6DATA_* variables, read at start-up.
  const char* raw = std::getenv(kVariable);  // NOLINT(concurrency-mt-unsafe)
  if (raw == nullptr || *raw == '\0') return std::nullopt;
  const std::string value = raw;
  const auto colon = value.rfind(':');
  if (colon == std::string::npos) refuse(value, "no port");
  std::string host = value.substr(0, colon);
  const std::string port_text = value.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  } else if (host.find(':') != std::string::npos) {
    refuse(value, "an IPv6 address must be in brackets");
  }
  if (port_text.empty() || port_text.size() > 5 ||
      port_text.find_first_not_of("0123456789") != std::string::npos) {
    refuse(value, "the port is not a number");
  }
  const int port = std::stoi(port_text);
  if (port > 65535) refuse(value, "the port is not in 0..65535");
  MetricsEndpointOptions options;
  if (!host.empty()) options.address = host;
  options.port = port;
  return options;
}

std::unique_ptr<MetricsEndpoint> start_metrics_endpoint_from_environment() {
  auto options = MetricsEndpointOptions::from_environment();
  if (!options) return nullptr;
  return std::make_unique<MetricsEndpoint>(std::move(*options));
}

}  // namespace e6data

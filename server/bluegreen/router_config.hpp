#pragma once
// The blue-green router: the nginx configuration for each phase of the cluster (PROTOCOL §6).
//
//   STABLE(X)          strategy: X -> X; strategy: Y -> HTTP 456; no header -> X
//   SWITCHING(X -> Y)  each header to its deployment; no header -> Y
//   SUSPENDED          every QueryEngineService call -> HTTP 503; ClusterService still answers
//
// nginx answers `return 456` / `return 503` at the HTTP level, which gRPC clients see as UNKNOWN
// "Received http2 header with status: 456" and UNAVAILABLE "...status: 503", exactly as e6data's
// router does. Rendering is a pure function so every phase is unit-tested.

#include <string>

namespace e6data::bluegreen {

enum class Phase { kStable, kSwitching, kSuspended };

struct RouterConfig {
  std::string prefix;   // nginx's private directory: pid, logs, temp files
  int listen_port = 0;  // the cluster endpoint, on 127.0.0.1
  int blue_port = 0;
  int green_port = 0;
  int cluster_port = 0;  // the controller's ClusterService
  Phase phase = Phase::kStable;
  std::string active = "blue";  // STABLE: the serving deployment; SWITCHING: the old one (X)
  std::string pending;          // SWITCHING: the new one (Y)
};

// The whole nginx.conf. Throws std::invalid_argument on an inconsistent config.
std::string render_nginx_config(const RouterConfig& config);

}  // namespace e6data::bluegreen

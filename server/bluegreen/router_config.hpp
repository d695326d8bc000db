#pragma once
// The blue-green router: the nginx configuration for each phase of the cluster (PROTOCOL §6).
//
//   STABLE(X)          strategy: X -> X; strategy: Y -> 456; no header -> X
//   SWITCHING(X -> Y)  each header to its deployment; no header -> Y
//   SUSPENDED          every QueryEngineService call -> 503; ClusterService still answers
//
// How 456 and 503 are answered (`answers`):
//   kGateway (default)  as e6data's gateway does: a gRPC trailers-only response, grpc-status 2
//                       (UNKNOWN) "status: 456", and grpc-status 14 (UNAVAILABLE)
//                       "status: 503, cluster is suspended".
//   kHttp               a bare HTTP status (`return 456` / `return 503`), which gRPC clients see
//                       as UNKNOWN "Received http2 header with status: 456" / UNAVAILABLE "...:
//                       503".
// `flaky_fraction` (fault injection, off by default) answers that fraction of the calls whose
// strategy header is `flaky_side` with 456, chosen per request, as an inconsistent router would.
// Rendering is a pure function so every phase is unit-tested.

#include <string>

namespace e6data::bluegreen {

enum class Phase { kStable, kSwitching, kSuspended };

// How the router answers a wrong deployment (456) and a suspended cluster (503).
enum class RouterAnswers { kGateway, kHttp };

// "gateway" / "http"; throws std::invalid_argument for anything else.
RouterAnswers parse_router_answers(const std::string& text);
const char* router_answers_name(RouterAnswers answers);

struct RouterConfig {
  std::string prefix;   // nginx's private directory: pid, logs, temp files
  int listen_port = 0;  // the cluster endpoint, on 127.0.0.1
  int blue_port = 0;
  int green_port = 0;
  int cluster_port = 0;  // the controller's ClusterService
  Phase phase = Phase::kStable;
  std::string active = "blue";  // STABLE: the serving deployment; SWITCHING: the old one (X)
  std::string pending;          // SWITCHING: the new one (Y)
  RouterAnswers answers = RouterAnswers::kGateway;
  std::string flaky_side;     // fault injection: calls with this strategy header...
  double flaky_fraction = 0;  // ...get 456 this often (0 = never, 1 = always)
};

// The whole nginx.conf. Throws std::invalid_argument on an inconsistent config.
std::string render_nginx_config(const RouterConfig& config);

}  // namespace e6data::bluegreen

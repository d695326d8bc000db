#pragma once
// The blue-green controller: runs an e6data cluster on one machine, as e6data runs one for real.
//
// It owns two dev servers (the blue and the green deployment), an nginx router in front of them
// (router_config.hpp) and the cluster's ClusterService, and moves the cluster through its phases:
// STABLE(X) -> SWITCHING(X -> Y) -> STABLE(Y) once X has no active query (or the drain timeout
// passes), SUSPENDED (503) and back through `resuming`. Every child process is started and
// stopped by pid, and dies with the controller.
//
// Order of every phase change (PROTOCOL §6): the router is reloaded first, and the controller
// waits until no nginx worker of the previous configuration is left; only then is the change
// announced (X's new_strategy: Y, the cluster status "suspended" / "active"). So once any
// response carries new_strategy: Y, a call with strategy: Y is never answered 456 until the next
// switch begins -- unless a test asks for the opposite with SwitchFaults.

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "bluegreen/router_config.hpp"

namespace e6data::bluegreen {

// One deployment as the controller sees it (plain C++; the control service sends it as the
// DeploymentState message of proto/bluegreen_control.proto).
class DeploymentInfo {
 public:
  struct Fields {
    std::string name;  // blue | green
    int port = 0;
    int admin_port = 0;
    int pid = 0;
    std::int64_t active_queries = 0;
    std::int64_t active_sessions = 0;
    std::string draining_toward;  // empty unless it announces the other side
    bool reachable = false;       // its admin control answered
    std::string role;             // active, pending, retired, idle
  };
  DeploymentInfo() = default;
  explicit DeploymentInfo(Fields fields) : f_(std::move(fields)) {}
  const Fields& fields() const { return f_; }
  const std::string& name() const { return f_.name; }
  int port() const { return f_.port; }
  int admin_port() const { return f_.admin_port; }
  int pid() const { return f_.pid; }
  std::int64_t active_queries() const { return f_.active_queries; }
  std::int64_t active_sessions() const { return f_.active_sessions; }
  const std::string& draining_toward() const { return f_.draining_toward; }
  bool reachable() const { return f_.reachable; }
  const std::string& role() const { return f_.role; }

 private:
  Fields f_;
};

// The cluster as the controller sees it (plain C++; sent as ClusterInfo by the control service).
class ClusterInfo {
 public:
  struct Fields {
    std::string phase;                        // STABLE, SWITCHING, SUSPENDED
    std::string active;                       // the serving deployment (SWITCHING: the old one)
    std::string pending;                      // SWITCHING: the new one
    std::string cluster_status;               // active, suspending, suspended, resuming
    int port = 0;                             // the cluster endpoint on 127.0.0.1
    std::vector<DeploymentInfo> deployments;  // blue, then green
    std::int64_t switches = 0;                // completed switches
    std::int64_t reloads = 0;                 // nginx reloads
    int router_pid = 0;
    std::string router_answers;           // gateway | http
    bool router_accepts_pending = false;  // SWITCHING: false during an announce lead
  };
  ClusterInfo() = default;
  explicit ClusterInfo(Fields fields) : f_(std::move(fields)) {}
  const Fields& fields() const { return f_; }
  const std::string& phase() const { return f_.phase; }
  const std::string& active() const { return f_.active; }
  const std::string& pending() const { return f_.pending; }
  const std::string& cluster_status() const { return f_.cluster_status; }
  int port() const { return f_.port; }
  const std::vector<DeploymentInfo>& deployments() const { return f_.deployments; }
  const DeploymentInfo& deployments(int i) const {
    return f_.deployments.at(static_cast<std::size_t>(i));
  }
  std::int64_t switches() const { return f_.switches; }
  std::int64_t reloads() const { return f_.reloads; }
  int router_pid() const { return f_.router_pid; }
  const std::string& router_answers() const { return f_.router_answers; }
  bool router_accepts_pending() const { return f_.router_accepts_pending; }

 private:
  Fields f_;
};

// Fault injection for client tests (docs/bluegreen.md, "Test tools"); all off by default.
struct SwitchFaults {
  // X announces Y (new_strategy: Y) this long BEFORE the router accepts strategy: Y. Meanwhile
  // the router stays STABLE(X): strategy: Y gets 456, X keeps serving and does not drain.
  std::chrono::milliseconds announce_lead{0};
  // For flaky_window after the router accepts Y, this fraction (0..1) of the calls with
  // strategy: Y is answered 456, drawn per request (an inconsistent router).
  double flaky_fraction = 0;
  std::chrono::milliseconds flaky_window{0};
};

struct ControllerOptions {
  std::string runtime_dir;      // everything lives here: configs, pids, ports, logs
  int port = 0;                 // the cluster endpoint on 127.0.0.1; 0 picks a free one
  std::string active = "blue";  // the deployment serving at start
  std::string db_path;          // both deployments serve this SQLite file; empty: demo
  int scale = 1;                // demo dataset size
  std::string users_file;       // empty: demo / demo
  std::string devserver_path;   // empty: e6data-devserver next to this program
  std::string nginx_path = "/usr/sbin/nginx";
  std::size_t batch_rows = 8192;
  std::chrono::milliseconds drain_timeout = std::chrono::seconds(60);
  std::chrono::milliseconds resume_duration = std::chrono::seconds(3);  // time spent `resuming`
  std::chrono::milliseconds startup_timeout = std::chrono::seconds(180);
  // How the router answers a wrong deployment and a suspended cluster (router_config.hpp).
  RouterAnswers router_answers = RouterAnswers::kGateway;
  // Applied to every switch that does not pass its own (switch_to's 3-argument form, the
  // control service's Switch without fault fields).
  SwitchFaults switch_faults;
  // Passed to both dev servers: a query no call touched for this long is dropped (e6data's
  // planner query lifetime); 0 keeps the dev server's default (900 s).
  std::chrono::milliseconds query_idle_timeout{0};
  // Passed to both dev servers: "ansi" or "backslash" (docs/devserver.md); empty: ansi.
  std::string string_literals;
  // Passed to both dev servers: chunks per getNextResultBatchV2 response at most; 0 keeps the
  // dev server's default (8).
  std::size_t v2_chunks_per_response = 0;
  // false: both dev servers answer getNextResultBatchV2 with UNIMPLEMENTED (older servers).
  bool result_batch_v2 = true;
};

class Controller {
 public:
  explicit Controller(ControllerOptions options);
  ~Controller();  // down()
  Controller(const Controller&) = delete;
  Controller& operator=(const Controller&) = delete;

  // Starts both deployments, the router and the control server; returns once all are ready.
  // Throws std::runtime_error naming the part that failed (with the end of its log).
  void up();
  // Stops everything it started, by pid. Idempotent.
  void down();

  int port() const;          // the cluster endpoint
  int control_port() const;  // the BlueGreenControl service on 127.0.0.1

  ClusterInfo state();
  // Starts a switch to `to` ("" = the other deployment). With `wait`, returns once STABLE(to).
  // Throws std::invalid_argument / std::logic_error when the phase does not allow it.
  ClusterInfo switch_to(const std::string& to, std::chrono::milliseconds drain_timeout, bool wait);
  // The same with fault injection for this switch (overrides options.switch_faults).
  ClusterInfo switch_to(const std::string& to, std::chrono::milliseconds drain_timeout, bool wait,
                        const SwitchFaults& faults);
  ClusterInfo suspend();
  ClusterInfo resume();
  // Restarts an idle deployment (neither active nor pending), e.g. with a new version.
  ClusterInfo restart(const std::string& deployment);
  // Rewrites the router configuration and reloads nginx (graceful).
  ClusterInfo reload();
  // Makes `deployment` forget every session (fault injection for tests).
  void expire_sessions(const std::string& deployment);
  // The cluster status the ClusterService reports: active, suspending, suspended, resuming.
  std::string cluster_status();
  bool check_user(const std::string& user, const std::string& token) const;
  // Asks the program that runs the controller to stop (the control service's Shutdown).
  void request_shutdown();
  // Blocks until request_shutdown() (or down()) is called.
  void wait_for_shutdown_request();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace e6data::bluegreen

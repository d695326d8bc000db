#pragma once
// The blue-green controller: runs an e6data cluster on one machine, as e6data runs one for real.
//
// It owns two dev servers (the blue and the green deployment), an nginx router in front of them
// (router_config.hpp) and the cluster's ClusterService, and moves the cluster through its phases:
// STABLE(X) -> SWITCHING(X -> Y) -> STABLE(Y) once X has no active query (or the drain timeout
// passes), SUSPENDED (503) and back through `resuming`. Every child process is started and
// stopped by pid, and dies with the controller.

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "bluegreen_control.pb.h"

namespace e6data::bluegreen {

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

  ClusterState state();
  // Starts a switch to `to` ("" = the other deployment). With `wait`, returns once STABLE(to).
  // Throws std::invalid_argument / std::logic_error when the phase does not allow it.
  ClusterState switch_to(const std::string& to, std::chrono::milliseconds drain_timeout, bool wait);
  ClusterState suspend();
  ClusterState resume();
  // Restarts an idle deployment (neither active nor pending), e.g. with a new version.
  ClusterState restart(const std::string& deployment);
  // Rewrites the router configuration and reloads nginx (graceful).
  ClusterState reload();
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

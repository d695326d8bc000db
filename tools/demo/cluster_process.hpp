#pragma once
// The demo's local cluster, owned by the demo but out of reach of its terminal.
//
// `e6data-bluegreen up --foreground` (nginx router, blue and green dev servers) runs as a child
// in a session of its own (setsid before exec): a terminal's Ctrl-C goes to the foreground
// process group, which is the demo's, so only the demo sees it and can stop its workers before
// the cluster. The child is told to die with the demo (PR_SET_PDEATHSIG: SIGTERM, on which the
// controller stops everything it started), and the controller's own children die with it, so a
// crashed or killed demo leaves nothing running. The demo drives the cluster through the
// controller's BlueGreenControl service on 127.0.0.1, as `e6data-bluegreen switch` does.
//
// Thread safety: start(), stop() and the destructor from the thread that runs main() (see
// start()); the control calls from one thread at a time; pid() from any thread.

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace e6data::demo {

struct ClusterOptions {
  std::string bluegreen_path;  // the e6data-bluegreen program
  std::string runtime_dir;     // emptied, then holds the cluster's files and controller.log
  std::string db_path;         // the SQLite file both deployments serve
  std::size_t batch_rows = 4096;
  double resume_seconds = 2;
  std::chrono::milliseconds startup_timeout = std::chrono::seconds(180);
};

// What the demo reads of the cluster's state.
struct ClusterStatus {
  std::string phase;           // STABLE, SWITCHING, SUSPENDED
  std::string active;          // the serving deployment (SWITCHING: the old one)
  std::string pending;         // SWITCHING: the new one
  std::string cluster_status;  // active, suspending, suspended, resuming
  std::int64_t switches = 0;   // completed switches
  int port = 0;                // the cluster endpoint on 127.0.0.1
  std::vector<int> pids;       // the router's and the deployments' (0 when not running)
};

class ClusterProcess {
 public:
  // Starts the controller and returns once the cluster is up. Must run on the thread that runs
  // main(): PR_SET_PDEATHSIG fires when the thread that forked the child ends, and the main
  // thread ends only with the process. `cancelled` is polled while waiting; when it returns
  // true the child is stopped and start() returns nullptr.
  // Throws std::runtime_error (with the end of the controller's log) when the cluster does not
  // come up.
  static std::unique_ptr<ClusterProcess> start(const ClusterOptions& options,
                                               const std::function<bool()>& cancelled);
  ~ClusterProcess();  // stop()
  ClusterProcess(const ClusterProcess&) = delete;
  ClusterProcess& operator=(const ClusterProcess&) = delete;

  // The controller's pid (its session id too); 0 once stopped. Any thread.
  pid_t pid() const { return pid_.load(); }
  int port() const { return port_; }
  const std::string& log_path() const { return log_path_; }

  // Control calls; each throws std::runtime_error with the controller's message on failure.
  ClusterStatus status();
  // Starts a switch to `to` and returns without waiting for it to complete.
  void switch_to(const std::string& to, std::chrono::milliseconds drain_timeout);
  void suspend();

  // Stops the cluster: SIGTERM to the controller (which stops nginx and both dev servers), up
  // to `grace` for it to exit, then SIGKILL; then makes sure that no process it reported (the
  // router, the deployments) is left, killing any that is. Idempotent. Returns the pids that
  // had to be killed (normally none).
  std::vector<int> stop(std::chrono::milliseconds grace);

  // Async-signal-safe last resort (a second Ctrl-C): SIGKILL to the controller; its children
  // get SIGTERM from their parent-death signal.
  static void kill_now(pid_t controller);

 private:
  ClusterProcess() = default;
  struct Control;

  std::atomic<pid_t> pid_{0};
  int port_ = 0;
  std::string runtime_dir_;
  std::string log_path_;
  std::vector<int> known_pids_;  // every router/deployment pid seen in a status
  std::unique_ptr<Control> control_;
};

}  // namespace e6data::demo

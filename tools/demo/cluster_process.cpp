#include "demo/cluster_process.hpp"

#include <fcntl.h>
#include <grpcpp/grpcpp.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "bluegreen_control.grpc.pb.h"

namespace e6data::demo {
namespace {

namespace bg = e6data::bluegreen;
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

constexpr auto kPoll = std::chrono::milliseconds(20);
// How long processes of the cluster's session get to go after their controller is gone before
// they are killed: their parent-death signal (SIGTERM) normally ends them well within it.
constexpr auto kOrphanGrace = std::chrono::milliseconds(1500);

std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string tail(const std::string& path, std::size_t bytes = 2000) {
  const std::string all = read_text(path);
  return all.size() > bytes ? "..." + all.substr(all.size() - bytes) : all;
}

int read_number(const fs::path& path) {
  std::ifstream in(path);
  int n = 0;
  return (in >> n) ? n : 0;
}

// The session id and state of a process from /proc/PID/stat, or false when it is gone.
bool session_of(int pid, int& session, char& state) {
  const std::string stat = read_text("/proc/" + std::to_string(pid) + "/stat");
  // "pid (comm) state ppid pgrp session ...": comm may hold spaces and parentheses.
  const auto close = stat.rfind(')');
  if (close == std::string::npos) return false;
  std::istringstream fields(stat.substr(close + 1));
  int ppid = 0;
  int group = 0;
  if (!(fields >> state >> ppid >> group >> session)) return false;
  return true;
}

// Live (not zombie) processes of session `sid`, the session leader included.
std::vector<int> live_in_session(int sid) {
  std::vector<int> pids;
  std::error_code ignored;
  for (const auto& entry : fs::directory_iterator("/proc", ignored)) {
    const std::string name = entry.path().filename().string();
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
    const int pid = std::stoi(name);
    int session = 0;
    char state = '?';
    if (session_of(pid, session, state) && session == sid && state != 'Z') pids.push_back(pid);
  }
  return pids;
}

// Reaps `pid` if it has exited; true when it is gone.
bool reaped(pid_t pid) {
  int status = 0;
  const pid_t r = ::waitpid(pid, &status, WNOHANG);
  return r == pid || (r < 0 && errno == ECHILD);
}

}  // namespace

struct ClusterProcess::Control {
  std::unique_ptr<bg::BlueGreenControl::Stub> stub;

  template <typename Call>
  bg::ClusterState call(const char* what, std::chrono::seconds deadline, Call&& rpc) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + deadline);
    bg::ClusterState state;
    const grpc::Status status = rpc(*stub, context, state);
    if (!status.ok()) {
      throw std::runtime_error(std::string(what) + " failed: " + status.error_message() +
                               " (gRPC status " + std::to_string(status.error_code()) + ")");
    }
    return state;
  }
};

std::unique_ptr<ClusterProcess> ClusterProcess::start(const ClusterOptions& options,
                                                      const std::function<bool()>& cancelled) {
  std::unique_ptr<ClusterProcess> cluster(new ClusterProcess());
  const fs::path dir = fs::absolute(options.runtime_dir);
  fs::remove_all(dir);
  fs::create_directories(dir);
  cluster->runtime_dir_ = dir.string();
  cluster->log_path_ = (dir / "controller.log").string();

  // Everything the child needs is prepared before fork: other threads exist (the demo's signal
  // thread), so after fork the child makes only async-signal-safe calls.
  std::ostringstream resume;
  resume << options.resume_seconds;
  std::vector<std::string> argv = {options.bluegreen_path,
                                   "--runtime-dir",
                                   dir.string(),
                                   "up",
                                   "--foreground",
                                   "--db",
                                   options.db_path,
                                   "--batch-rows",
                                   std::to_string(options.batch_rows),
                                   "--resume-seconds",
                                   resume.str()};
  std::vector<char*> args;
  for (auto& a : argv) args.push_back(a.data());
  args.push_back(nullptr);
  const int log_fd =
      ::open(cluster->log_path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (log_fd < 0) {
    throw std::runtime_error("cannot open " + cluster->log_path_ + ": " + std::strerror(errno));
  }
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid == 0) {
    // A session of its own: no controlling terminal, so no Ctrl-C, SIGHUP or job-control stop
    // from the demo's terminal reaches the cluster; nginx and the dev servers inherit it.
    ::setsid();
    ::prctl(PR_SET_PDEATHSIG, SIGTERM);       // the controller stops the cluster and exits
    if (::getppid() != parent) ::_exit(127);  // the demo is already gone
    ::dup2(log_fd, STDOUT_FILENO);
    ::dup2(log_fd, STDERR_FILENO);
    const int null_fd = ::open("/dev/null", O_RDONLY);
    if (null_fd >= 0) ::dup2(null_fd, STDIN_FILENO);
    // The demo blocks its stop signals (a thread takes them with sigwait): the mask survives
    // exec, so clear it.
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  const int fork_errno = errno;
  ::close(log_fd);
  if (pid < 0) throw std::runtime_error(std::string("fork failed: ") + std::strerror(fork_errno));
  cluster->pid_ = pid;

  const auto deadline = Clock::now() + options.startup_timeout;
  for (;;) {
    if (cancelled()) {
      cluster->stop(std::chrono::seconds(3));
      return nullptr;
    }
    const std::string endpoint = read_text(dir / "endpoint");
    const auto colon = endpoint.rfind(':');
    const int control_port = read_number(dir / "control.port");
    if (colon != std::string::npos && control_port > 0 &&
        read_number(dir / "controller.pid") == pid) {
      cluster->port_ = std::atoi(endpoint.c_str() + colon + 1);
      cluster->control_ = std::make_unique<Control>();
      cluster->control_->stub = bg::BlueGreenControl::NewStub(grpc::CreateChannel(
          "127.0.0.1:" + std::to_string(control_port), grpc::InsecureChannelCredentials()));
      return cluster;
    }
    if (reaped(pid)) {
      cluster->pid_ = 0;
      throw std::runtime_error("the cluster controller exited during start-up; " +
                               cluster->log_path_ + ":\n" + tail(cluster->log_path_));
    }
    if (Clock::now() >= deadline) {
      cluster->stop(std::chrono::seconds(5));
      throw std::runtime_error("the cluster did not come up in time; " + cluster->log_path_ +
                               ":\n" + tail(cluster->log_path_));
    }
    std::this_thread::sleep_for(kPoll);
  }
}

ClusterProcess::~ClusterProcess() {
  stop(std::chrono::seconds(20));
}

ClusterStatus ClusterProcess::status() {
  const bg::ClusterState s =
      control_->call("cluster status", std::chrono::seconds(10), [](auto& stub, auto& c, auto& r) {
        return stub.GetClusterState(&c, bg::ControlRequest(), &r);
      });
  ClusterStatus out;
  out.phase = s.phase();
  out.active = s.active();
  out.pending = s.pending();
  out.cluster_status = s.cluster_status();
  out.switches = s.switches();
  out.port = s.port();
  out.pids.push_back(s.router_pid());
  for (const auto& d : s.deployments()) out.pids.push_back(d.pid());
  return out;
}

void ClusterProcess::switch_to(const std::string& to, std::chrono::milliseconds drain_timeout) {
  bg::SwitchRequest request;
  request.set_to(to);
  request.set_drain_timeout_ms(drain_timeout.count());
  request.set_wait(false);
  const std::string what = "switch to " + to;
  control_->call(what.c_str(), std::chrono::seconds(30),
                 [&](auto& stub, auto& c, auto& r) { return stub.Switch(&c, request, &r); });
}

void ClusterProcess::suspend() {
  control_->call("suspend", std::chrono::seconds(60), [](auto& stub, auto& c, auto& r) {
    return stub.Suspend(&c, bg::ControlRequest(), &r);
  });
}

std::vector<int> ClusterProcess::stop(std::chrono::milliseconds grace) {
  const pid_t pid = pid_.exchange(0);
  std::vector<int> killed;
  if (pid <= 0) return killed;
  control_.reset();  // our channel to the control service closes before it shuts down
  // SIGTERM: the controller's signal thread asks it to shut down, which stops nginx and both
  // dev servers and waits for them.
  ::kill(pid, SIGTERM);
  const auto deadline = Clock::now() + grace;
  bool gone = reaped(pid);
  while (!gone && Clock::now() < deadline) {
    std::this_thread::sleep_for(kPoll);
    gone = reaped(pid);
  }
  if (!gone) {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
    killed.push_back(pid);
  }
  // The guard: whatever is left of the cluster's session (a dev server or an nginx worker whose
  // parent was killed) gets a moment to follow its parent-death signal, then SIGKILL.
  const auto orphan_deadline = Clock::now() + kOrphanGrace;
  std::vector<int> left = live_in_session(pid);
  while (!left.empty() && Clock::now() < orphan_deadline) {
    std::this_thread::sleep_for(kPoll);
    left = live_in_session(pid);
  }
  for (const int orphan : left) {
    ::kill(orphan, SIGKILL);
    killed.push_back(orphan);
  }
  return killed;
}

void ClusterProcess::kill_now(pid_t controller) {
  if (controller > 0) ::kill(controller, SIGKILL);
}

}  // namespace e6data::demo

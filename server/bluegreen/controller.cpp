#include "bluegreen/controller.hpp"

#include <arpa/inet.h>
#include <grpcpp/grpcpp.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "bluegreen/child_process.hpp"
#include "bluegreen/router_config.hpp"
#include "bluegreen_control.grpc.pb.h"
#include "cluster.grpc.pb.h"
#include "devserver/users.hpp"
#include "devserver_admin.grpc.pb.h"
#include "log/logger.hpp"

namespace e6data::bluegreen {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

std::string other(const std::string& d) {
  return d == "blue" ? "green" : "blue";
}

// A free port on 127.0.0.1 for nginx (it cannot report the port it picked, as gRPC servers do).
int pick_free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof addr;
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    if (fd >= 0) ::close(fd);
    throw std::runtime_error("cannot find a free port on 127.0.0.1");
  }
  ::close(fd);
  return ntohs(addr.sin_port);
}

// Throws when `port` on 127.0.0.1 cannot be bound (another program listens there).
void check_port_free(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  const int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);  // as nginx binds
  const bool free = fd >= 0 && ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  if (fd >= 0) ::close(fd);
  if (!free) {
    throw std::runtime_error("the cluster port 127.0.0.1:" + std::to_string(port) +
                             " is in use by another program; pick another with --port (0 picks "
                             "a free one)");
  }
}

// One HTTP/1.0 GET on 127.0.0.1; the body, or nullopt when nothing answers.
std::optional<std::string> http_get(int port, const std::string& path) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return std::nullopt;
  timeval tv{1, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  std::optional<std::string> body;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
    const std::string request = "GET " + path + " HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
    if (::send(fd, request.data(), request.size(), MSG_NOSIGNAL) ==
        static_cast<ssize_t>(request.size())) {
      std::string response;
      char buffer[512];
      ssize_t n = 0;
      while ((n = ::recv(fd, buffer, sizeof buffer, 0)) > 0)
        response.append(buffer, static_cast<std::size_t>(n));
      const auto split = response.find("\r\n\r\n");
      if (response.rfind("HTTP/1.1 200", 0) == 0 && split != std::string::npos) {
        body = response.substr(split + 4);
      }
    }
  }
  ::close(fd);
  return body;
}

// The worker processes of an nginx master. After a reload, old workers retitle themselves
// "worker process is shutting down" once they stop taking connections and new calls; until they
// exit they finish the calls they had already taken.
struct Workers {
  int accepting = 0;
  int shutting_down = 0;
};

Workers workers_of(pid_t master) {
  Workers w;
  for (const auto& entry : fs::directory_iterator("/proc")) {
    const std::string name = entry.path().filename().string();
    if (name.empty() || !std::isdigit(static_cast<unsigned char>(name[0]))) continue;
    std::ifstream stat(entry.path() / "stat");
    std::string line;
    if (!std::getline(stat, line)) continue;
    // Field 4 (ppid) follows the command name in parentheses, which may contain spaces.
    const auto close = line.rfind(')');
    if (close == std::string::npos) continue;
    std::istringstream rest(line.substr(close + 2));
    char state = 0;
    pid_t ppid = 0;
    rest >> state >> ppid;
    if (ppid != master || state == 'Z') continue;
    std::ifstream cmd(entry.path() / "cmdline");
    // Read argument by argument (istreambuf_iterator trips a GCC 12 -O3 false positive).
    std::string title;
    for (std::string part; std::getline(cmd, part, '\0');) title += part + ' ';
    if (title.find("worker process") == std::string::npos) continue;
    if (title.find("shutting down") == std::string::npos) {
      ++w.accepting;
    } else {
      ++w.shutting_down;
    }
  }
  return w;
}

void write_file_atomically(const fs::path& path, const std::string& text) {
  const fs::path tmp = path.string() + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << text;
    if (!out) throw std::runtime_error("cannot write " + tmp.string());
  }
  fs::rename(tmp, path);
}

const char* phase_name(Phase p) {
  switch (p) {
    case Phase::kStable:
      return "STABLE";
    case Phase::kSwitching:
      return "SWITCHING";
    case Phase::kSuspended:
      return "SUSPENDED";
  }
  return "?";
}

}  // namespace

struct Deployment {
  std::string name;
  ChildProcess process;
  int port = 0;
  int admin_port = 0;
  std::unique_ptr<devserver::DevServerAdmin::Stub> admin;
};

struct Controller::Impl {
  ControllerOptions options;
  devserver::Users users = devserver::Users::demo();
  std::shared_ptr<spdlog::logger> log = e6data::log::get("e6data.bluegreen");

  std::mutex mutex;  // guards everything below
  std::condition_variable changed;
  std::map<std::string, Deployment> deployments;
  ChildProcess router;
  int port = 0;
  int status_port = 0;  // nginx's own HTTP/1 listener that reports the config generation
  int control_port = 0;
  std::int64_t generation = 0;
  std::int64_t reloads = 0;
  std::int64_t switches = 0;
  Phase phase = Phase::kStable;
  std::string active;
  std::string pending;
  std::string cluster_status = "active";
  Clock::time_point drain_deadline{};
  Clock::time_point resume_at{};
  // SWITCHING: whether the router accepts strategy: pending yet. False only while an announce
  // lead (fault injection) runs: X already announces, the router is still STABLE(X).
  bool router_accepts_pending = true;
  Clock::time_point accept_at{};
  std::chrono::milliseconds switch_drain_timeout{0};
  SwitchFaults switch_faults;  // of the switch in progress
  // Fault injection: calls with strategy: flaky_side get 456 this often until flaky_until.
  std::string flaky_side;
  double flaky_fraction = 0;
  Clock::time_point flaky_until{};
  std::set<std::string> retired_once;  // deployments that were active once
  bool up = false;
  bool shutdown_requested = false;

  std::unique_ptr<grpc::Server> control_server;
  std::unique_ptr<grpc::Service> control_service;
  std::unique_ptr<grpc::Service> cluster_service;
  std::thread ticker;
  bool stopping = false;

  fs::path dir() const { return options.runtime_dir; }
  fs::path nginx_dir() const { return dir() / "nginx"; }

  // ---- children --------------------------------------------------------------------------------

  Deployment start_deployment(const std::string& name) {
    const fs::path d = dir() / name;
    fs::create_directories(d / "data");
    fs::remove(d / "port");
    fs::remove(d / "admin.port");
    std::vector<std::string> argv = {options.devserver_path,
                                     "--port",
                                     "0",
                                     "--port-file",
                                     (d / "port").string(),
                                     "--admin-port",
                                     "0",
                                     "--admin-port-file",
                                     (d / "admin.port").string(),
                                     "--deployment",
                                     name,
                                     "--data-dir",
                                     (d / "data").string(),
                                     "--batch-rows",
                                     std::to_string(options.batch_rows)};
    if (!options.db_path.empty()) {
      argv.insert(argv.end(), {"--db", options.db_path});
    } else {
      argv.insert(argv.end(), {"--scale", std::to_string(options.scale)});
    }
    if (!options.users_file.empty()) argv.insert(argv.end(), {"--users", options.users_file});
    if (!options.string_literals.empty()) {
      argv.insert(argv.end(), {"--string-literals", options.string_literals});
    }
    if (options.query_idle_timeout.count() > 0) {
      argv.insert(argv.end(),
                  {"--query-idle-timeout",
                   std::to_string(static_cast<double>(options.query_idle_timeout.count()) / 1000)});
    }
    Deployment dep;
    dep.name = name;
    dep.process = ChildProcess::spawn(argv, (d / "devserver.log").string());
    dep.port = wait_for_port_file((d / "port").string(), dep.process, options.startup_timeout);
    dep.admin_port =
        wait_for_port_file((d / "admin.port").string(), dep.process, options.startup_timeout);
    write_file_atomically(d / "pid", std::to_string(dep.process.pid()) + "\n");
    dep.admin = devserver::DevServerAdmin::NewStub(grpc::CreateChannel(
        "127.0.0.1:" + std::to_string(dep.admin_port), grpc::InsecureChannelCredentials()));
    log->info("{} deployment up on 127.0.0.1:{} (pid {})", name, dep.port, dep.process.pid());
    return dep;
  }

  devserver::AdminStatus admin_call(Deployment& dep, const std::string* drain_toward) {
    if (!dep.admin) throw std::runtime_error(dep.name + " is not running");
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(2));
    devserver::AdminStatus status;
    grpc::Status st;
    if (drain_toward) {
      devserver::SetDrainingRequest req;
      req.set_toward(*drain_toward);
      st = dep.admin->SetDraining(&ctx, req, &status);
    } else {
      st = dep.admin->GetStatus(&ctx, devserver::GetStatusRequest(), &status);
    }
    if (!st.ok()) {
      throw std::runtime_error(dep.name + " admin control: " + st.error_message());
    }
    return status;
  }

  // ---- router ----------------------------------------------------------------------------------

  std::string render() const {
    RouterConfig c;
    c.prefix = nginx_dir().string();
    c.listen_port = port;
    c.blue_port = deployments.at("blue").port;
    c.green_port = deployments.at("green").port;
    c.cluster_port = control_port;
    // During an announce lead the router still routes as STABLE(X).
    c.phase = phase == Phase::kSwitching && !router_accepts_pending ? Phase::kStable : phase;
    c.active = active;
    c.pending = c.phase == Phase::kSwitching ? pending : "";
    c.answers = options.router_answers;
    if (flaky_fraction > 0) {
      c.flaky_side = flaky_side;
      c.flaky_fraction = flaky_fraction;
    }
    std::string conf = render_nginx_config(c);
    // A second listener, HTTP/1 on its own port, reports which configuration the workers run,
    // so a reload is known to be complete before the controller answers.
    const auto last = conf.rfind('}');
    conf.insert(last, "  server {\n    listen 127.0.0.1:" + std::to_string(status_port) +
                          ";\n    location = /generation { return 200 \"" +
                          std::to_string(generation) + "\"; }\n  }\n");
    return conf;
  }

  // Returns once nginx runs the current configuration and no worker of a previous one serves a
  // new call. nginx tells old workers to stop ~100 ms after starting the new ones; an old worker
  // that got the word retitles itself "shutting down", closes its listening sockets and ends
  // every HTTP/2 connection it has with a GOAWAY, after which it skips any new stream (clients
  // retry those on a new connection, served by the new workers): from then on it only finishes
  // the calls it had already taken, routed before the change. (Waiting for old workers to exit
  // would deadlock with such a call when it is a ClusterService call waiting for the controller.)
  void wait_for_generation() {
    const auto deadline = Clock::now() + std::chrono::seconds(20);
    const std::string want = std::to_string(generation);
    while (Clock::now() < deadline) {
      if (http_get(status_port, "/generation") == want && workers_of(router.pid()).accepting == 1) {
        return;
      }
      if (!router.running()) {
        throw std::runtime_error("nginx exited; its log:\n" +
                                 tail_of((nginx_dir() / "error.log").string()));
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    throw std::runtime_error("nginx did not apply configuration " + want + "; log:\n" +
                             tail_of((nginx_dir() / "error.log").string()));
  }

  void start_router() {
    fs::create_directories(nginx_dir() / "tmp");
    port = options.port != 0 ? options.port : pick_free_port();
    status_port = pick_free_port();
    ++generation;
    write_file_atomically(nginx_dir() / "nginx.conf", render());
    router = ChildProcess::spawn(
        {options.nginx_path, "-e", (nginx_dir() / "error.log").string(), "-p", nginx_dir().string(),
         "-c", (nginx_dir() / "nginx.conf").string(), "-g", "daemon off;"},
        (nginx_dir() / "nginx.out").string());
    wait_for_generation();
    log->info("router (nginx pid {}) on 127.0.0.1:{}", router.pid(), port);
  }

  // With mutex held.
  void reload_locked() {
    ++generation;
    write_file_atomically(nginx_dir() / "nginx.conf", render());
    router.signal(SIGHUP);  // graceful: old workers finish their requests
    wait_for_generation();
    ++reloads;
    log->info("router reloaded: {}", phase == Phase::kSwitching
                                         ? "SWITCHING(" + active + " -> " + pending + ")"
                                         : std::string(phase_name(phase)) + "(" + active + ")");
  }

  // ---- phases ----------------------------------------------------------------------------------

  void complete_switch_locked(const char* why) {
    log->info("switch {} -> {} complete ({})", active, pending, why);
    const std::string retired = active;
    retired_once.insert(retired);
    active = pending;
    pending.clear();
    phase = Phase::kStable;
    ++switches;
    // Router first: strategy: retired gets 456 from now on, and no call reaches it any more.
    reload_locked();
    // The retired deployment keeps nothing, as a decommissioned one would: queries cut by a
    // drain timeout cannot be cleared through the router (456), and must not hold the next
    // drain of that deployment hostage. It no longer points anywhere either.
    try {
      expire_sessions_locked(deployments.at(retired));
      const std::string none;
      admin_call(deployments.at(retired), &none);
    } catch (const std::exception& e) {
      log->warn("switch: could not clear {}'s sessions: {}", retired, e.what());
    }
    changed.notify_all();
  }

  // The router starts accepting strategy: pending (SWITCHING); with a flaky fault, it refuses a
  // fraction of those calls for a while.
  void accept_pending_locked() {
    router_accepts_pending = true;
    if (switch_faults.flaky_fraction > 0 && switch_faults.flaky_window.count() > 0) {
      flaky_side = pending;
      flaky_fraction = switch_faults.flaky_fraction;
    }
    reload_locked();
    const auto now = Clock::now();
    flaky_until = now + switch_faults.flaky_window;
    drain_deadline = now + switch_drain_timeout;
  }

  void stop_flaky_locked() {
    if (flaky_fraction <= 0) return;
    flaky_fraction = 0;
    flaky_side.clear();
    reload_locked();
    log->info("router: flaky window over");
  }

  void expire_sessions_locked(Deployment& dep) {
    if (!dep.admin) throw std::runtime_error(dep.name + " is not running");
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(2));
    devserver::AdminStatus status;
    const grpc::Status st =
        dep.admin->ExpireSessions(&ctx, devserver::ExpireSessionsRequest(), &status);
    if (!st.ok()) throw std::runtime_error(dep.name + " admin control: " + st.error_message());
  }

  void tick() {
    std::unique_lock lock(mutex);
    while (!stopping) {
      changed.wait_for(lock, std::chrono::milliseconds(20));
      if (stopping || !up) continue;
      try {
        if (flaky_fraction > 0 && Clock::now() >= flaky_until) stop_flaky_locked();
        if (phase == Phase::kSwitching && !router_accepts_pending) {
          // An announce lead (fault injection): X announces, the router is still STABLE(X).
          if (Clock::now() >= accept_at) {
            accept_pending_locked();
            log->info("router accepts {} (after the announce lead)", pending);
          }
        } else if (phase == Phase::kSwitching) {
          // A deployment that no longer answers has nothing left to drain.
          bool drained = false;
          try {
            drained = admin_call(deployments.at(active), nullptr).active_queries() == 0;
          } catch (const std::exception& e) {
            log->warn("switch: {} does not answer ({}); waiting for the drain deadline", active,
                      e.what());
          }
          if (drained) {
            complete_switch_locked("drained");
          } else if (Clock::now() >= drain_deadline) {
            complete_switch_locked("drain timeout");
          }
        } else if (phase == Phase::kSuspended && cluster_status == "resuming" &&
                   Clock::now() >= resume_at) {
          // Router first, then the status clients poll.
          phase = Phase::kStable;
          reload_locked();
          cluster_status = "active";
          log->info("cluster resumed");
          changed.notify_all();
        }
      } catch (const std::exception& e) {
        log->warn("controller: {}", e.what());
      }
    }
  }

  ClusterState state_locked() {
    ClusterState s;
    s.set_phase(phase_name(phase));
    s.set_active(active);
    s.set_pending(pending);
    s.set_cluster_status(cluster_status);
    s.set_port(port);
    s.set_switches(switches);
    s.set_reloads(reloads);
    s.set_router_pid(router.pid());
    s.set_router_answers(router_answers_name(options.router_answers));
    s.set_router_accepts_pending(phase == Phase::kSwitching && router_accepts_pending);
    for (auto& [name, dep] : deployments) {
      auto* d = s.add_deployments();
      d->set_name(name);
      d->set_role(name == active             ? "active"
                  : name == pending          ? "pending"
                  : retired_once.count(name) ? "retired"
                                             : "idle");
      d->set_port(dep.port);
      d->set_admin_port(dep.admin_port);
      d->set_pid(dep.process.pid());
      try {
        const auto st = admin_call(dep, nullptr);
        d->set_active_queries(st.active_queries());
        d->set_active_sessions(st.active_sessions());
        d->set_draining_toward(st.draining_toward());
        d->set_reachable(true);
      } catch (const std::exception&) {
        d->set_reachable(false);
      }
    }
    return s;
  }
};

namespace {

grpc::Status guarded(const std::function<void()>& body) {
  try {
    body();
    return grpc::Status::OK;
  } catch (const std::invalid_argument& e) {
    return {grpc::StatusCode::INVALID_ARGUMENT, e.what()};
  } catch (const std::logic_error& e) {
    return {grpc::StatusCode::FAILED_PRECONDITION, e.what()};
  } catch (const std::exception& e) {
    return {grpc::StatusCode::INTERNAL, e.what()};
  }
}

class ControlService final : public BlueGreenControl::Service {
 public:
  explicit ControlService(Controller& c) : c_(c) {}
  grpc::Status GetClusterState(grpc::ServerContext*, const ControlRequest*,
                               ClusterState* res) override {
    return guarded([&] { *res = c_.state(); });
  }
  grpc::Status Switch(grpc::ServerContext*, const SwitchRequest* req, ClusterState* res) override {
    return guarded([&] {
      const auto drain = std::chrono::milliseconds(req->drain_timeout_ms());
      if (req->announce_lead_ms() == 0 && req->flaky_fraction() == 0 &&
          req->flaky_window_ms() == 0) {
        *res = c_.switch_to(req->to(), drain, req->wait());
        return;
      }
      SwitchFaults faults;
      faults.announce_lead = std::chrono::milliseconds(req->announce_lead_ms());
      faults.flaky_fraction = req->flaky_fraction();
      faults.flaky_window = std::chrono::milliseconds(req->flaky_window_ms());
      *res = c_.switch_to(req->to(), drain, req->wait(), faults);
    });
  }
  grpc::Status Suspend(grpc::ServerContext*, const ControlRequest*, ClusterState* res) override {
    return guarded([&] { *res = c_.suspend(); });
  }
  grpc::Status Resume(grpc::ServerContext*, const ControlRequest*, ClusterState* res) override {
    return guarded([&] { *res = c_.resume(); });
  }
  grpc::Status Restart(grpc::ServerContext*, const RestartRequest* req,
                       ClusterState* res) override {
    return guarded([&] { *res = c_.restart(req->deployment()); });
  }
  grpc::Status Reload(grpc::ServerContext*, const ControlRequest*, ClusterState* res) override {
    return guarded([&] { *res = c_.reload(); });
  }
  grpc::Status Shutdown(grpc::ServerContext*, const ControlRequest*, ClusterState* res) override;

 private:
  Controller& c_;
};

// The cluster's ClusterService (PROTOCOL §4), reached through the router.
class ClusterServiceImpl final : public ::ClusterService::Service {
 public:
  explicit ClusterServiceImpl(Controller& c) : c_(c) {}
  grpc::Status status(grpc::ServerContext*, const ::ClusterStatusRequest* req,
                      ::ClusterStatusResponse* res) override {
    if (!c_.check_user(req->user(), req->password())) return denied();
    res->set_status(c_.cluster_status());
    return grpc::Status::OK;
  }
  grpc::Status resume(grpc::ServerContext*, const ::ResumeRequest* req,
                      ::ResumeResponse* res) override {
    if (!c_.check_user(req->user(), req->password())) return denied();
    return guarded([&] { res->set_status(c_.resume().cluster_status()); });
  }
  grpc::Status suspend(grpc::ServerContext*, const ::SuspendRequest* req,
                       ::SuspendResponse* res) override {
    if (!c_.check_user(req->user(), req->password())) return denied();
    return guarded([&] { res->set_status(c_.suspend().cluster_status()); });
  }

 private:
  static grpc::Status denied() {
    return {grpc::StatusCode::UNAUTHENTICATED, "invalid username or access token"};
  }
  Controller& c_;
};

}  // namespace

// Shutdown only flags the request: stopping the server from inside one of its own calls would
// wait for that call. The program's main thread sees the flag and calls down().
grpc::Status ControlService::Shutdown(grpc::ServerContext*, const ControlRequest*,
                                      ClusterState* res) {
  return guarded([&] {
    *res = c_.state();
    c_.request_shutdown();
  });
}

Controller::Controller(ControllerOptions options) : impl_(std::make_unique<Impl>()) {
  if (options.active != "blue" && options.active != "green") {
    throw std::invalid_argument("--active must be blue or green, got '" + options.active + "'");
  }
  if (options.runtime_dir.empty()) throw std::invalid_argument("a runtime directory is required");
  if (options.devserver_path.empty()) {
    options.devserver_path =
        (fs::read_symlink("/proc/self/exe").parent_path() / "e6data-devserver").string();
  }
  if (!fs::exists(options.devserver_path)) {
    throw std::runtime_error("e6data-devserver not found at " + options.devserver_path);
  }
  if (!fs::exists(options.nginx_path)) {
    throw std::runtime_error("nginx not found at " + options.nginx_path +
                             " (install the Debian package nginx)");
  }
  if (!options.users_file.empty()) impl_->users = devserver::Users::load(options.users_file);
  impl_->options = std::move(options);
  impl_->active = impl_->options.active;
}

Controller::~Controller() {
  down();
}

void Controller::up() {
  Impl& m = *impl_;
  fs::create_directories(m.dir());
  if (m.options.port != 0) check_port_free(m.options.port);  // fail before starting anything
  try {
    // The control server first: nginx routes /ClusterService/ to its port.
    m.control_service = std::make_unique<ControlService>(*this);
    m.cluster_service = std::make_unique<ClusterServiceImpl>(*this);
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &m.control_port);
    builder.RegisterService(m.control_service.get());
    builder.RegisterService(m.cluster_service.get());
    m.control_server = builder.BuildAndStart();
    if (!m.control_server || m.control_port == 0) {
      throw std::runtime_error("cannot listen on 127.0.0.1 for the control service");
    }
    std::lock_guard lock(m.mutex);
    for (const char* name : {"blue", "green"}) m.deployments[name] = m.start_deployment(name);
    // The active deployment serves; make sure neither carries a stale drain.
    const std::string none;
    for (auto& [name, dep] : m.deployments) m.admin_call(dep, &none);
    m.start_router();
    write_file_atomically(m.dir() / "endpoint", "127.0.0.1:" + std::to_string(m.port) + "\n");
    write_file_atomically(m.dir() / "control.port", std::to_string(m.control_port) + "\n");
    write_file_atomically(m.dir() / "controller.pid", std::to_string(::getpid()) + "\n");
    m.up = true;
  } catch (...) {
    down();
    throw;
  }
  m.ticker = std::thread([&m] { m.tick(); });
  m.log->info("cluster up: 127.0.0.1:{} STABLE({})", m.port, m.active);
}

void Controller::down() {
  Impl& m = *impl_;
  {
    std::lock_guard lock(m.mutex);
    m.stopping = true;
    m.shutdown_requested = true;
    m.changed.notify_all();
  }
  if (m.ticker.joinable()) m.ticker.join();
  if (m.control_server) {
    m.control_server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
    m.control_server.reset();
  }
  std::lock_guard lock(m.mutex);
  // Fast shutdown: the deployments behind it are stopping too, so nothing is left to finish.
  if (m.router.pid() > 0) m.router.stop(SIGTERM, std::chrono::seconds(10));
  // Our admin connections close first: a gRPC server's shutdown waits for its clients' channels.
  for (auto& [name, dep] : m.deployments) dep.admin.reset();
  for (auto& [name, dep] : m.deployments) dep.process.signal(SIGTERM);  // both stop at once
  for (auto& [name, dep] : m.deployments) {
    if (dep.process.pid() > 0) dep.process.stop(SIGTERM, std::chrono::seconds(15));
    std::error_code ignored;
    fs::remove(m.dir() / name / "pid", ignored);
  }
  std::error_code ignored;
  for (const char* f : {"endpoint", "control.port", "controller.pid"})
    fs::remove(m.dir() / f, ignored);
  if (m.up) m.log->info("cluster down");
  m.up = false;
}

int Controller::port() const {
  return impl_->port;
}
int Controller::control_port() const {
  return impl_->control_port;
}

ClusterState Controller::state() {
  std::lock_guard lock(impl_->mutex);
  return impl_->state_locked();
}

ClusterState Controller::switch_to(const std::string& to, std::chrono::milliseconds drain_timeout,
                                   bool wait) {
  return switch_to(to, drain_timeout, wait, impl_->options.switch_faults);
}

ClusterState Controller::switch_to(const std::string& to_arg,
                                   std::chrono::milliseconds drain_timeout, bool wait,
                                   const SwitchFaults& faults) {
  Impl& m = *impl_;
  std::unique_lock lock(m.mutex);
  if (!m.up) throw std::logic_error("the cluster is not up");
  if (m.phase == Phase::kSuspended)
    throw std::logic_error("the cluster is suspended; resume it first");
  if (m.phase == Phase::kSwitching) {
    throw std::logic_error("a switch " + m.active + " -> " + m.pending + " is in progress");
  }
  const std::string to = to_arg.empty() ? other(m.active) : to_arg;
  if (to != "blue" && to != "green") throw std::invalid_argument("--to must be blue or green");
  if (to == m.active) throw std::invalid_argument(to + " is already the active deployment");
  if (faults.announce_lead.count() < 0 || faults.flaky_window.count() < 0 ||
      !(faults.flaky_fraction >= 0 && faults.flaky_fraction <= 1)) {
    throw std::invalid_argument(
        "fault options: the announce lead and flaky window must not be negative and the flaky "
        "fraction must be in [0, 1]");
  }
  const std::string none;
  m.admin_call(m.deployments.at(to), &none);  // the new side carries no hint
  // A new switch ends the flaky window of the previous one.
  m.flaky_fraction = 0;
  m.flaky_side.clear();
  m.switch_faults = faults;
  m.switch_drain_timeout = drain_timeout.count() > 0 ? drain_timeout : m.options.drain_timeout;
  m.pending = to;
  m.phase = Phase::kSwitching;
  const bool lead = faults.announce_lead.count() > 0;
  m.router_accepts_pending = !lead;
  auto announce = [&] {
    try {
      m.admin_call(m.deployments.at(m.active), &to);  // the old side points to the new one
    } catch (const std::exception& e) {
      // The old side is gone (crashed, killed): switch away from it at once.
      m.log->warn("switch: {} does not answer ({}); switching without a drain", m.active, e.what());
      m.switch_drain_timeout = std::chrono::milliseconds(1);
      m.drain_deadline = Clock::now();
    }
  };
  if (lead) {
    // Fault injection: announce first; the ticker lets the router accept Y after the lead.
    m.accept_at = Clock::now() + faults.announce_lead;
    m.drain_deadline = m.accept_at + m.switch_drain_timeout;
    announce();
    m.log->info("switch {} -> {} started; announced {} ms before the router accepts {}", m.active,
                to, faults.announce_lead.count(), to);
  } else {
    // Router first (every old worker gone), then the announcement.
    try {
      m.accept_pending_locked();
    } catch (...) {
      m.phase = Phase::kStable;
      m.pending.clear();
      throw;
    }
    announce();
    m.log->info("switch {} -> {} started", m.active, to);
  }
  m.changed.notify_all();
  if (wait) {
    const auto limit = m.drain_deadline + std::chrono::seconds(30);
    m.changed.wait_until(lock, limit, [&] { return m.phase == Phase::kStable && m.active == to; });
  }
  return m.state_locked();
}

ClusterState Controller::suspend() {
  Impl& m = *impl_;
  std::lock_guard lock(m.mutex);
  if (m.phase == Phase::kSwitching) throw std::logic_error("a switch is in progress");
  if (m.phase == Phase::kSuspended) return m.state_locked();
  m.cluster_status = "suspending";
  m.phase = Phase::kSuspended;
  m.flaky_fraction = 0;
  m.flaky_side.clear();
  // Router first: no call reaches a deployment any more once the old workers are gone...
  m.reload_locked();
  // ...then the deployments lose their running state, as a cluster scaled to zero does.
  for (auto& [name, dep] : m.deployments) {
    try {
      m.expire_sessions_locked(dep);
    } catch (const std::exception& e) {
      m.log->warn("suspend: could not drop {}'s sessions: {}", name, e.what());
    }
  }
  m.cluster_status = "suspended";
  m.log->info("cluster suspended (sessions and queries dropped)");
  return m.state_locked();
}

ClusterState Controller::resume() {
  Impl& m = *impl_;
  std::lock_guard lock(m.mutex);
  if (m.phase == Phase::kSuspended && m.cluster_status == "suspended") {
    m.cluster_status = "resuming";  // clients poll status until it says active
    m.resume_at = Clock::now() + m.options.resume_duration;
    m.log->info("cluster resuming");
    m.changed.notify_all();
  }
  return m.state_locked();
}

ClusterState Controller::restart(const std::string& name) {
  Impl& m = *impl_;
  std::lock_guard lock(m.mutex);
  if (name != "blue" && name != "green")
    throw std::invalid_argument("--deployment must be blue or green");
  if (m.phase != Phase::kStable || name == m.active) {
    throw std::logic_error(name + " is serving; only an idle deployment can be restarted");
  }
  m.deployments.at(name).process.stop(SIGTERM, std::chrono::seconds(15));
  m.deployments[name] = m.start_deployment(name);
  m.reload_locked();  // its port changed
  return m.state_locked();
}

void Controller::expire_sessions(const std::string& name) {
  std::lock_guard lock(impl_->mutex);
  impl_->expire_sessions_locked(impl_->deployments.at(name));
}

ClusterState Controller::reload() {
  std::lock_guard lock(impl_->mutex);
  impl_->reload_locked();
  return impl_->state_locked();
}

std::string Controller::cluster_status() {
  std::lock_guard lock(impl_->mutex);
  return impl_->cluster_status;
}

bool Controller::check_user(const std::string& user, const std::string& token) const {
  return impl_->users.check(user, token);
}

void Controller::request_shutdown() {
  std::lock_guard lock(impl_->mutex);
  impl_->shutdown_requested = true;
  impl_->changed.notify_all();
}

void Controller::wait_for_shutdown_request() {
  std::unique_lock lock(impl_->mutex);
  impl_->changed.wait(lock, [&] { return impl_->shutdown_requested; });
}

}  // namespace e6data::bluegreen

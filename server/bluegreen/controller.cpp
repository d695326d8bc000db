#include "bluegreen/controller.hpp"

#include <grpcpp/grpcpp.h>
#include <signal.h>
#include <unistd.h>

#include <condition_variable>
#include <filesystem>
#include <map>
#include <mutex>
#include <set>
#include <stdexcept>
#include <thread>

#include "bluegreen/child_process.hpp"
#include "bluegreen/control_service.hpp"
#include "bluegreen/nginx_router.hpp"
#include "bluegreen/router_config.hpp"
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
  NginxRouter router;
  int control_port = 0;
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
    if (options.v2_chunks_per_response > 0) {
      argv.insert(argv.end(),
                  {"--v2-chunks-per-response", std::to_string(options.v2_chunks_per_response)});
    }
    if (!options.result_batch_v2) argv.emplace_back("--no-result-batch-v2");
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

  // The router configuration of the current phase (prefix and listen port: the router's own).
  RouterConfig router_config() const {
    RouterConfig c;
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
    return c;
  }

  void start_router() {
    router = NginxRouter(options.nginx_path, nginx_dir());
    router.start(options.port, router_config());
    log->info("router (nginx pid {}) on 127.0.0.1:{}", router.pid(), router.port());
  }

  // With mutex held.
  void reload_locked() {
    router.apply(router_config());
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
  // fraction of those calls for a while. A flaky router models replicas of which some do not
  // accept Y yet: X keeps serving and the drain (and its timeout) starts once the window is over.
  void accept_pending_locked() {
    router_accepts_pending = true;
    const bool flaky = switch_faults.flaky_fraction > 0 && switch_faults.flaky_window.count() > 0;
    if (flaky) {
      flaky_side = pending;
      flaky_fraction = switch_faults.flaky_fraction;
    }
    reload_locked();
    const auto now = Clock::now();
    flaky_until = now + (flaky ? switch_faults.flaky_window : std::chrono::milliseconds(0));
    drain_deadline = flaky_until + switch_drain_timeout;
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
        } else if (phase == Phase::kSwitching && flaky_fraction > 0) {
          // A flaky router (fault injection): not every replica accepts Y yet; no drain.
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

  ClusterInfo state_locked() {
    ClusterInfo::Fields s;
    s.phase = phase_name(phase);
    s.active = active;
    s.pending = pending;
    s.cluster_status = cluster_status;
    s.port = router.port();
    s.switches = switches;
    s.reloads = reloads;
    s.router_pid = router.pid();
    s.router_answers = router_answers_name(options.router_answers);
    s.router_accepts_pending = phase == Phase::kSwitching && router_accepts_pending;
    for (auto& [name, dep] : deployments) {
      DeploymentInfo::Fields d;
      d.name = name;
      d.role = name == active             ? "active"
               : name == pending          ? "pending"
               : retired_once.count(name) ? "retired"
                                          : "idle";
      d.port = dep.port;
      d.admin_port = dep.admin_port;
      d.pid = dep.process.pid();
      try {
        const auto st = admin_call(dep, nullptr);
        d.active_queries = st.active_queries();
        d.active_sessions = st.active_sessions();
        d.draining_toward = st.draining_toward();
        d.reachable = true;
      } catch (const std::exception&) {
        d.reachable = false;
      }
      s.deployments.emplace_back(std::move(d));
    }
    return ClusterInfo(std::move(s));
  }
};

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
    m.control_service = make_control_service(*this);
    m.cluster_service = make_cluster_service(*this);
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
    write_file_atomically(m.dir() / "endpoint",
                          "127.0.0.1:" + std::to_string(m.router.port()) + "\n");
    write_file_atomically(m.dir() / "control.port", std::to_string(m.control_port) + "\n");
    write_file_atomically(m.dir() / "controller.pid", std::to_string(::getpid()) + "\n");
    m.up = true;
  } catch (...) {
    down();
    throw;
  }
  m.ticker = std::thread([&m] { m.tick(); });
  m.log->info("cluster up: 127.0.0.1:{} STABLE({})", m.router.port(), m.active);
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
  m.router.stop();
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
  return impl_->router.port();
}
int Controller::control_port() const {
  return impl_->control_port;
}

ClusterInfo Controller::state() {
  std::lock_guard lock(impl_->mutex);
  return impl_->state_locked();
}

ClusterInfo Controller::switch_to(const std::string& to, std::chrono::milliseconds drain_timeout,
                                  bool wait) {
  return switch_to(to, drain_timeout, wait, impl_->options.switch_faults);
}

ClusterInfo Controller::switch_to(const std::string& to_arg,
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

ClusterInfo Controller::suspend() {
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

ClusterInfo Controller::resume() {
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

ClusterInfo Controller::restart(const std::string& name) {
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

ClusterInfo Controller::reload() {
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

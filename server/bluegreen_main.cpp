// e6data-bluegreen: a blue-green e6data cluster on one machine (docs/bluegreen.md).
//
//   up [--port P] [--active blue|green] [--db PATH | --scale N] [--router-answers gateway|http]
//      [--v2-chunks-per-response N] [--no-result-batch-v2] [--foreground]
//   down | status [--json] | switch [--to Y] [--drain-timeout S] [--wait]
//      [--announce-lead MS] [--flaky-router FRACTION --flaky-window MS]
//   suspend | resume | restart --deployment X | reload
// Every subcommand takes --runtime-dir D to address one cluster.

#include <fcntl.h>
#include <grpcpp/grpcpp.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <thread>

#include "bluegreen/child_process.hpp"
#include "bluegreen/controller.hpp"
#include "bluegreen_control.grpc.pb.h"
#include "log/logger.hpp"

namespace {

namespace bg = e6data::bluegreen;
namespace fs = std::filesystem;

std::string default_runtime_dir() {
  const char* xdg = std::getenv("XDG_RUNTIME_DIR");
  if (xdg && *xdg) return std::string(xdg) + "/e6data-bluegreen";
  return "/tmp/e6data-bluegreen-" + std::to_string(::getuid());
}

int read_number(const fs::path& path) {
  std::ifstream in(path);
  int n = 0;
  return (in >> n) ? n : 0;
}

bool clean_stale(const std::string& runtime_dir);

std::unique_ptr<bg::BlueGreenControl::Stub> control_stub(const std::string& runtime_dir) {
  clean_stale(runtime_dir);
  const int port = read_number(fs::path(runtime_dir) / "control.port");
  if (port == 0) {
    throw std::runtime_error("no cluster is running with runtime directory " + runtime_dir +
                             " (start one with: e6data-bluegreen up --runtime-dir " + runtime_dir +
                             ")");
  }
  return bg::BlueGreenControl::NewStub(
      grpc::CreateChannel("127.0.0.1:" + std::to_string(port), grpc::InsecureChannelCredentials()));
}

void print_state(const bg::ClusterState& s, bool json) {
  if (json) {
    nlohmann::ordered_json j{{"phase", s.phase()},
                             {"active", s.active()},
                             {"pending", s.pending()},
                             {"cluster_status", s.cluster_status()},
                             {"endpoint", "127.0.0.1:" + std::to_string(s.port())},
                             {"switches", s.switches()},
                             {"reloads", s.reloads()},
                             {"router_pid", s.router_pid()},
                             {"router_answers", s.router_answers()},
                             {"router_accepts_pending", s.router_accepts_pending()},
                             {"deployments", nlohmann::json::array()}};
    for (const auto& d : s.deployments()) {
      j["deployments"].push_back({{"name", d.name()},
                                  {"role", d.role()},
                                  {"port", d.port()},
                                  {"pid", d.pid()},
                                  {"reachable", d.reachable()},
                                  {"active_queries", d.active_queries()},
                                  {"active_sessions", d.active_sessions()},
                                  {"draining_toward", d.draining_toward()}});
    }
    std::cout << j.dump(2) << '\n';
    return;
  }
  std::cout << "endpoint  127.0.0.1:" << s.port() << "\nphase     " << s.phase() << " ("
            << (s.phase() == "SWITCHING" ? s.active() + " -> " + s.pending() : s.active())
            << ")\ncluster   " << s.cluster_status() << "\nswitches  " << s.switches()
            << "   reloads " << s.reloads() << '\n';
  for (const auto& d : s.deployments()) {
    std::cout << "  " << d.name() << " (" << d.role() << "): port " << d.port() << ", pid "
              << d.pid() << ", "
              << (d.reachable() ? std::to_string(d.active_queries()) + " active queries, " +
                                      std::to_string(d.active_sessions()) + " sessions"
                                : std::string("unreachable"))
              << (d.draining_toward().empty() ? "" : ", draining toward " + d.draining_toward())
              << '\n';
  }
}

template <typename Call>
int control_call(const std::string& runtime_dir, bool json, Call&& call, int timeout_s = 120) {
  auto stub = control_stub(runtime_dir);
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(timeout_s));
  bg::ClusterState state;
  const grpc::Status st = call(*stub, ctx, state);
  if (!st.ok()) {
    std::cerr << "e6data-bluegreen: " << st.error_message() << '\n';
    return 1;
  }
  print_state(state, json);
  return 0;
}

// Runs the controller in this process until SIGTERM/SIGINT or `down`.
int run_foreground(bg::ControllerOptions options) {
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  bg::Controller controller(std::move(options));
  controller.up();
  std::cout << "127.0.0.1:" << controller.port() << std::endl;
  // A signal also ends the wait: a helper thread turns it into a shutdown request.
  std::thread signals([&] {
    int sig = 0;
    sigwait(&stop_signals, &sig);
    controller.request_shutdown();
  });
  signals.detach();
  controller.wait_for_shutdown_request();
  controller.down();
  return 0;
}

// Running and not a zombie (a detached controller is reaped by init, which may take a moment).
bool alive(int pid) {
  if (pid <= 0 || ::kill(pid, 0) != 0) return false;
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(stat, line)) return true;
  const auto close = line.rfind(')');
  return close == std::string::npos || close + 2 >= line.size() || line[close + 2] != 'Z';
}

// The files a running controller keeps in its runtime directory (removed by `down`).
void remove_runtime_files(const std::string& runtime_dir) {
  std::error_code ignored;
  for (const char* f : {"endpoint", "control.port", "controller.pid"}) {
    fs::remove(fs::path(runtime_dir) / f, ignored);
  }
}

// A runtime directory whose controller is gone (killed with SIGKILL, machine rebooted) still
// holds its endpoint and ports: report it and clean it. Returns true when it was stale.
bool clean_stale(const std::string& runtime_dir) {
  const fs::path dir(runtime_dir);
  const int pid = read_number(dir / "controller.pid");
  const bool has_files = fs::exists(dir / "endpoint") || fs::exists(dir / "control.port") ||
                         fs::exists(dir / "controller.pid");
  if (!has_files || alive(pid)) return false;
  std::cerr << "e6data-bluegreen: the runtime directory " << runtime_dir
            << " is stale (its controller"
            << (pid > 0 ? " pid " + std::to_string(pid) : std::string()) << " is gone); cleaned\n";
  remove_runtime_files(runtime_dir);
  return true;
}

// Starts `up --foreground` detached, waits until it is ready, prints the endpoint. Returns as
// soon as the controller exits (failed), with the end of its log.
int run_detached(const std::vector<std::string>& args, const std::string& runtime_dir,
                 double timeout_s) {
  fs::create_directories(runtime_dir);
  const int running = read_number(fs::path(runtime_dir) / "controller.pid");
  if (alive(running)) {
    std::cerr << "e6data-bluegreen: a cluster is already running in " << runtime_dir << " (pid "
              << running << ")\n";
    return 1;
  }
  clean_stale(runtime_dir);
  const std::string log = (fs::path(runtime_dir) / "controller.log").string();
  const auto log_start = fs::exists(log) ? fs::file_size(log) : 0;
  std::vector<std::string> argv = {fs::read_symlink("/proc/self/exe").string()};
  argv.insert(argv.end(), args.begin(), args.end());
  argv.push_back("--foreground");
  // The controller must outlive this command: a double fork puts it in its own session. The
  // middle process reports the controller's pid through a pipe.
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
  const pid_t first = ::fork();
  if (first == 0) {
    ::setsid();
    const pid_t controller = ::fork();
    if (controller != 0) {
      const int pid = controller;
      (void)!::write(fds[1], &pid, sizeof pid);
      ::_exit(0);
    }
    std::vector<char*> raw;
    for (auto& a : argv) raw.push_back(a.data());
    raw.push_back(nullptr);
    const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd >= 0) {
      ::dup2(fd, 1);
      ::dup2(fd, 2);
    }
    ::execv(raw[0], raw.data());
    ::_exit(127);
  }
  ::close(fds[1]);
  int controller = 0;
  if (::read(fds[0], &controller, sizeof controller) != static_cast<ssize_t>(sizeof controller)) {
    controller = 0;
  }
  ::close(fds[0]);
  ::waitpid(first, nullptr, 0);
  auto log_since_start = [&] {
    std::ifstream in(log);
    in.seekg(static_cast<std::streamoff>(log_start));
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    return text.size() > 3000 ? text.substr(text.size() - 3000) : text;
  };
  const auto deadline = std::chrono::steady_clock::now() +
                        std::chrono::milliseconds(static_cast<long>(timeout_s * 1000));
  while (std::chrono::steady_clock::now() < deadline) {
    std::ifstream endpoint(fs::path(runtime_dir) / "endpoint");
    std::string text;
    if (endpoint >> text && read_number(fs::path(runtime_dir) / "control.port") != 0 &&
        read_number(fs::path(runtime_dir) / "controller.pid") == controller) {
      std::cout << text << '\n';
      return 0;
    }
    if (!alive(controller)) {
      std::cerr << "e6data-bluegreen: the controller failed to start; " << log << ":\n"
                << log_since_start() << '\n';
      return 1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  std::cerr << "e6data-bluegreen: the cluster did not come up within " << timeout_s
            << " s; stopping it. " << log << ":\n"
            << log_since_start() << '\n';
  ::kill(controller, SIGTERM);
  return 1;
}

int run_down(const std::string& runtime_dir) {
  const int pid = read_number(fs::path(runtime_dir) / "controller.pid");
  if (!alive(pid)) {
    clean_stale(runtime_dir);
    std::cout << "no cluster running in " << runtime_dir << '\n';
    return 0;
  }
  try {
    auto stub = control_stub(runtime_dir);
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    bg::ClusterState state;
    stub->Shutdown(&ctx, bg::ControlRequest(), &state);
  } catch (const std::exception&) {
    ::kill(pid, SIGTERM);  // no control port: ask by signal
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (::kill(pid, 0) == 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  if (::kill(pid, 0) == 0) {
    ::kill(pid, SIGKILL);  // its children die with it (PR_SET_PDEATHSIG)
    std::cerr << "e6data-bluegreen: controller " << pid << " did not stop; killed\n";
    return 1;
  }
  std::cout << "cluster in " << runtime_dir << " is down\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app("e6data-bluegreen: a blue-green e6data cluster on one machine", "e6data-bluegreen");
  app.require_subcommand(1);
  app.set_version_flag("--version", "e6data-bluegreen 0.1.0");
  // --runtime-dir may follow the subcommand: subcommands inherit this and pass it up.
  app.fallthrough();
  std::string runtime_dir = default_runtime_dir();
  app.add_option("--runtime-dir", runtime_dir, "Where the cluster keeps its files")
      ->capture_default_str();

  bg::ControllerOptions options;
  bool foreground = false;
  double drain_timeout_s = 60;
  double resume_s = 3;
  double up_timeout_s = 300;
  std::string log_level = "info";
  auto* up = app.add_subcommand("up", "Start nginx, a blue and a green dev server");
  up->add_option("--port", options.port, "Cluster endpoint port on 127.0.0.1; 0 picks one")
      ->check(CLI::Range(0, 65535));
  up->add_option("--active", options.active, "Deployment serving at start")
      ->check(CLI::IsMember({"blue", "green"}));
  auto* db = up->add_option("--db", options.db_path, "Both deployments serve this SQLite file")
                 ->check(CLI::ExistingFile);
  up->add_option("--scale", options.scale, "Demo dataset size")
      ->check(CLI::Range(1, 10000))
      ->excludes(db);
  up->add_option("--users", options.users_file, "Users file (default: demo / demo)")
      ->check(CLI::ExistingFile);
  up->add_option("--nginx", options.nginx_path, "The nginx binary")->capture_default_str();
  up->add_option("--devserver", options.devserver_path, "The e6data-devserver binary");
  up->add_option("--batch-rows", options.batch_rows, "Rows per result batch")
      ->capture_default_str();
  up->add_option("--drain-timeout", drain_timeout_s, "Default seconds a switch waits for drain")
      ->capture_default_str();
  up->add_option("--resume-seconds", resume_s, "Seconds a resume spends in `resuming`")
      ->capture_default_str();
  up->add_option("--timeout", up_timeout_s, "Seconds to wait for the cluster to come up")
      ->capture_default_str();
  up->add_option("--log-level", log_level, "Controller log level")->capture_default_str();
  std::string router_answers = "gateway";
  up->add_option("--router-answers", router_answers,
                 "How the router answers 456 and 503: gateway (gRPC statuses, as e6data's "
                 "gateway) or http (bare HTTP statuses)")
      ->capture_default_str()
      ->check(CLI::IsMember({"gateway", "http"}));
  double query_idle_s = 0;
  up->add_option("--query-idle-timeout", query_idle_s,
                 "Seconds before a query no call touched is dropped (0: the dev server's 900)")
      ->check(CLI::Range(0.0, 7.0 * 24 * 3600));
  up->add_option("--string-literals", options.string_literals,
                 "How both dev servers read string literals: ansi or backslash")
      ->check(CLI::IsMember({"ansi", "backslash"}));
  up->add_option("--v2-chunks-per-response", options.v2_chunks_per_response,
                 "Result chunks per getNextResultBatchV2 response at most, in both dev servers "
                 "(default: the dev server's, 8)")
      ->check(CLI::Range(std::size_t{1}, std::size_t{1024}));
  bool no_result_batch_v2 = false;
  up->add_flag("--no-result-batch-v2", no_result_batch_v2,
               "Both dev servers answer getNextResultBatchV2 with UNIMPLEMENTED (older servers)");
  up->add_flag("--foreground", foreground, "Run the controller in this process until SIGTERM");

  app.add_subcommand("down", "Stop everything the cluster started");
  bool json = false;
  auto* status = app.add_subcommand("status", "Phase, deployments and cluster state");
  status->add_flag("--json", json, "Machine-readable output");
  std::string to;
  bool wait = false;
  double switch_drain_s = 0;
  auto* sw = app.add_subcommand("switch", "Switch to the other (or --to) deployment");
  sw->add_option("--to", to, "Target deployment")->check(CLI::IsMember({"blue", "green"}));
  sw->add_option("--drain-timeout", switch_drain_s, "Seconds to wait for the old side to drain");
  sw->add_flag("--wait", wait, "Return once the switch has completed");
  long announce_lead_ms = 0;
  double flaky_fraction = 0;
  long flaky_window_ms = 0;
  sw->add_option("--announce-lead", announce_lead_ms,
                 "Test tool: the old side announces the new one this many ms before the router "
                 "accepts it")
      ->check(CLI::Range(0L, 3600L * 1000));
  auto* flaky = sw->add_option("--flaky-router", flaky_fraction,
                               "Test tool: this fraction of the calls to the new side get 456 "
                               "during --flaky-window after the router accepts it")
                    ->check(CLI::Range(0.0, 1.0));
  sw->add_option("--flaky-window", flaky_window_ms, "Test tool: ms the flaky router lasts")
      ->check(CLI::Range(0L, 3600L * 1000))
      ->needs(flaky);
  flaky->needs(sw->get_option("--flaky-window"));
  sw->add_flag("--json", json, "Machine-readable output");
  app.add_subcommand("suspend", "Suspend the cluster (the router answers 503)");
  app.add_subcommand("resume", "Resume a suspended cluster");
  std::string restart_name;
  auto* restart = app.add_subcommand("restart", "Restart an idle deployment");
  restart->add_option("--deployment", restart_name, "blue or green")->required();
  app.add_subcommand("reload", "Rewrite the router configuration and reload nginx");
  // Usage errors exit 2 (--help and --version exit 0), as docs/bluegreen.md says.
  if (argc > 1 && argv[1][0] != '-') {
    bool known = false;
    for (const auto* sub : app.get_subcommands({})) known |= sub->get_name() == argv[1];
    if (!known) {
      std::cerr << "e6data-bluegreen: unknown subcommand '" << argv[1]
                << "' (one of: up, down, status, switch, suspend, resume, restart, reload; "
                   "see --help)\n";
      return 2;
    }
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? 0 : 2;
  }

  try {
    const std::string cmd = app.get_subcommands().front()->get_name();
    if (cmd == "up") {
      options.runtime_dir = fs::absolute(runtime_dir).string();
      options.drain_timeout = std::chrono::milliseconds(static_cast<long>(drain_timeout_s * 1000));
      options.resume_duration = std::chrono::milliseconds(static_cast<long>(resume_s * 1000));
      options.router_answers = bg::parse_router_answers(router_answers);
      options.query_idle_timeout =
          std::chrono::milliseconds(static_cast<long>(query_idle_s * 1000));
      options.result_batch_v2 = !no_result_batch_v2;
      e6data::log::LogOptions log_options;
      log_options.level = log_level;
      e6data::log::configure(log_options);
      if (foreground) return run_foreground(options);
      std::vector<std::string> args(argv + 1, argv + argc);
      return run_detached(args, options.runtime_dir, up_timeout_s);
    }
    if (cmd == "down") return run_down(runtime_dir);
    if (cmd == "status") {
      return control_call(runtime_dir, json, [](auto& stub, auto& ctx, auto& state) {
        return stub.GetClusterState(&ctx, bg::ControlRequest(), &state);
      });
    }
    if (cmd == "switch") {
      bg::SwitchRequest req;
      req.set_to(to);
      req.set_drain_timeout_ms(static_cast<std::int64_t>(switch_drain_s * 1000));
      req.set_wait(wait);
      req.set_announce_lead_ms(announce_lead_ms);
      req.set_flaky_fraction(flaky_fraction);
      req.set_flaky_window_ms(flaky_window_ms);
      return control_call(
          runtime_dir, json,
          [&](auto& stub, auto& ctx, auto& state) { return stub.Switch(&ctx, req, &state); }, 3600);
    }
    if (cmd == "suspend") {
      return control_call(runtime_dir, false, [](auto& stub, auto& ctx, auto& state) {
        return stub.Suspend(&ctx, bg::ControlRequest(), &state);
      });
    }
    if (cmd == "resume") {
      return control_call(runtime_dir, false, [](auto& stub, auto& ctx, auto& state) {
        return stub.Resume(&ctx, bg::ControlRequest(), &state);
      });
    }
    if (cmd == "restart") {
      bg::RestartRequest req;
      req.set_deployment(restart_name);
      return control_call(runtime_dir, false, [&](auto& stub, auto& ctx, auto& state) {
        return stub.Restart(&ctx, req, &state);
      });
    }
    if (cmd == "reload") {
      return control_call(runtime_dir, false, [](auto& stub, auto& ctx, auto& state) {
        return stub.Reload(&ctx, bg::ControlRequest(), &state);
      });
    }
  } catch (const std::exception& e) {
    std::cerr << "e6data-bluegreen: " << e.what() << '\n';
    return 1;
  }
  return 2;
}

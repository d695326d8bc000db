// e6data-demo: the local blue-green e6data under a checked workload while deployments switch
// and the cluster is suspended and resumed. Prints a live progress line, then a summary table;
// writes the table, an SVG timeline and the full text of every failed query (errors.log) to the
// output directory. Exits 0 when every query succeeded with the right result, 1 if any failed or
// returned a wrong result, 2 if the cluster could not be brought up or controlled, 130 when
// interrupted (SIGINT, SIGTERM or SIGHUP).
//
// The cluster runs in a session of its own (cluster_process.hpp): a terminal's Ctrl-C reaches
// only this process, which stops its workers first (their running queries are cancelled and
// counted as interrupted, not failed), then the cluster, reports the run as interrupted and
// exits 130. A second signal kills the cluster at once and exits. If this process dies, the
// cluster dies with it.
#include <pthread.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <iomanip>
#include <iostream>
#include <limits>
#include <mutex>
#include <sstream>
#include <thread>

#include "demo/cluster_process.hpp"
#include "demo/demo_report.hpp"
#include "demo/workload.hpp"
#include "devserver/demo_dataset.hpp"

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

// ---- stop signals -------------------------------------------------------------------------
// SIGINT, SIGTERM and SIGHUP are blocked in every thread (the mask is set before any thread
// exists and inherited) and taken by one thread with sigwait, so the reaction runs as ordinary
// code: it may lock and cancel queries, which a signal handler may not.

std::atomic<int> stop_signal{0};         // the first stop signal received, 0 while none
std::atomic<pid_t> cluster_pid{0};       // for the second signal's last resort
std::mutex interrupt_mutex;              // guards interrupt_action
std::function<void()> interrupt_action;  // what the first signal does besides the flag

sigset_t stop_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGHUP);
  return set;
}

void start_signal_thread() {
  const sigset_t set = stop_signals();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  std::thread([set] {
    for (;;) {
      int sig = 0;
      if (sigwait(&set, &sig) != 0) continue;
      int none = 0;
      if (stop_signal.compare_exchange_strong(none, sig)) {
        std::lock_guard lock(interrupt_mutex);
        if (interrupt_action) interrupt_action();
        continue;
      }
      // A second signal: the user does not want to wait.
      static constexpr char kMessage[] =
          "\ne6data-demo: second interrupt: killing the cluster now\n";
      (void)!::write(STDERR_FILENO, kMessage, sizeof kMessage - 1);
      e6data::demo::ClusterProcess::kill_now(cluster_pid.load());
      ::_exit(130);
    }
  }).detach();
}

void set_interrupt_action(std::function<void()> action) {
  std::lock_guard lock(interrupt_mutex);
  interrupt_action = std::move(action);
}

bool interrupted() {
  return stop_signal.load() != 0;
}

std::string signal_name(int sig) {
  switch (sig) {
    case SIGINT:
      return "SIGINT (Ctrl-C)";
    case SIGTERM:
      return "SIGTERM";
    case SIGHUP:
      return "SIGHUP";
    default:
      return "signal " + std::to_string(sig);
  }
}

// ---- set-up -------------------------------------------------------------------------------

void make_database(const fs::path& path, int scale) {
  if (fs::exists(path)) return;
  fs::create_directories(path.parent_path());
  const fs::path partial = path.string() + ".partial";
  fs::remove(partial);
  sqlite3* db = nullptr;
  if (sqlite3_open(partial.c_str(), &db) != SQLITE_OK) {
    sqlite3_close(db);
    throw std::runtime_error("cannot create " + partial.string());
  }
  try {
    e6data::devserver::create_demo_dataset(db, scale);
  } catch (...) {
    sqlite3_close(db);
    throw;
  }
  sqlite3_close(db);
  fs::rename(partial, path);
}

struct Step {
  double at_s;
  std::string what;  // "switch:green", "suspend", "end"
};

std::size_t terminal_columns() {
  winsize size{};
  if (::ioctl(STDERR_FILENO, TIOCGWINSZ, &size) == 0 && size.ws_col > 0) return size.ws_col;
  return 0;
}

std::string join_pids(const std::vector<int>& pids) {
  std::string out;
  for (const int pid : pids) out += (out.empty() ? "" : " ") + std::to_string(pid);
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"e6data-demo: zero-downtime queries on a local blue-green e6data"};
  std::string out_dir = "build/demo";
  int own_workers = 8;
  int shared_workers = 4;
  int long_rows = 50000;
  double seconds_per_phase = 7;
  int scale = 1;
  app.add_option("--out", out_dir, "where the report, database and cluster files go");
  app.add_option("--workers", own_workers, "workers with a connection each")
      ->check(CLI::Range(0, 256));
  app.add_option("--shared-workers", shared_workers, "workers sharing one connection")
      ->check(CLI::Range(0, 256));
  app.add_option("--long-rows", long_rows, "rows of a long query")->check(CLI::Range(1, 10000000));
  app.add_option("--phase-seconds", seconds_per_phase,
                 "seconds between cluster events (the run lasts six times this)")
      ->check(CLI::Range(1.0, 600.0));
  CLI11_PARSE(app, argc, argv);
  if (own_workers + shared_workers == 0) {
    std::cerr << "e6data-demo: at least one worker is needed\n";
    return 2;
  }

  start_signal_thread();  // first: every later thread inherits the blocked stop signals
  const fs::path out = fs::absolute(out_dir);
  const fs::path db_path = out / "demo.db";
  const fs::path bluegreen = fs::read_symlink("/proc/self/exe").parent_path() / "e6data-bluegreen";
  std::unique_ptr<e6data::demo::ClusterProcess> cluster;
  e6data::demo::ClusterStatus initial;
  try {
    std::cerr << "e6data-demo: preparing the demo database...\n";
    make_database(db_path, scale);
    if (!fs::exists(bluegreen)) {
      throw std::runtime_error(bluegreen.string() +
                               " not found (build the e6data-bluegreen target)");
    }
    e6data::demo::ClusterOptions copts;
    copts.bluegreen_path = bluegreen.string();
    copts.runtime_dir = (out / "cluster").string();
    copts.db_path = db_path.string();
    copts.batch_rows = 4096;
    copts.resume_seconds = 2;
    std::cerr << "e6data-demo: starting the local cluster (nginx router, blue and green)...\n";
    cluster = e6data::demo::ClusterProcess::start(copts, [] { return interrupted(); });
    if (cluster) {
      cluster_pid = cluster->pid();
      initial = cluster->status();
    }
  } catch (const std::exception& e) {
    std::cerr << "e6data-demo: cannot bring the cluster up: " << e.what() << '\n';
    return interrupted() ? 130 : 2;
  }
  if (!cluster || interrupted()) {
    if (cluster) cluster->stop(std::chrono::seconds(3));
    std::cerr << "e6data-demo: interrupted by " << signal_name(stop_signal.load())
              << " during start-up; everything started was stopped\n";
    return 130;
  }
  std::cerr << "e6data-demo: cluster up on 127.0.0.1:" << cluster->port() << ", controller pid "
            << cluster->pid()
            << " in a session of its own (router and deployments: " << join_pids(initial.pids)
            << "); its log: " << cluster->log_path() << '\n';

  e6data::demo::WorkloadOptions wopts;
  wopts.connection.host = "127.0.0.1";
  wopts.connection.port = cluster->port();
  wopts.connection.username = "demo";
  wopts.connection.password = "demo";
  wopts.connection.cluster_name = "demo";
  // The fast path for results (#15): Result Batch V2 (the default, "auto", uses it when the
  // deployment offers it, as the local e6data does) with two responses downloaded ahead.
  wopts.connection.result_batch_v2 = "auto";
  wopts.connection.download_ahead = 2;
  wopts.connection.logging.grpc_level = e6data::LogLevel::kError;
  wopts.connection.logging.output = (out / "connector.log").string();
  wopts.connection.logging.level = e6data::LogLevel::kInfo;
  wopts.connection.logging.strategy_level = e6data::LogLevel::kInfo;
  wopts.db_path = db_path.string();
  wopts.own_connection_workers = own_workers;
  wopts.shared_connection_workers = shared_workers;
  wopts.long_rows = long_rows;

  std::vector<e6data::demo::EventRecord> events;
  const double p = seconds_per_phase;
  const std::vector<Step> steps = {{p, "switch:green"},    {2 * p, "switch:blue"},
                                   {3 * p, "suspend"},     {4 * p, "switch:green"},
                                   {5 * p, "switch:blue"}, {6 * p, "end"}};
  const double planned_s = steps.back().at_s;

  const auto started_unix =
      std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  const auto epoch = Clock::now();
  auto since = [&] { return std::chrono::duration<double>(Clock::now() - epoch).count(); };
  e6data::demo::Workload workload(wopts);
  set_interrupt_action([&workload] { workload.interrupt(); });
  if (interrupted()) workload.interrupt();  // a signal before the action was set
  workload.set_phase(initial.active);
  workload.start(epoch);
  std::cerr << "e6data-demo: " << own_workers << " workers with a connection each, "
            << shared_workers << " sharing one; cluster events every " << p << " s, " << planned_s
            << " s in all; Ctrl-C stops it\n";

  // Which deployment alone served when: queries are counted on blue, on green, or during a
  // switch (ServingCounts). A switch's period opens before it is asked for and closes once it
  // is seen complete, so it covers the real one.
  constexpr double kOpen = std::numeric_limits<double>::infinity();
  std::vector<e6data::demo::ServingPeriod> periods{{0, kOpen, initial.active}};

  const bool tty = ::isatty(STDERR_FILENO) != 0;
  std::string phase = initial.active;
  std::string switching_to;
  bool suspended = false;
  std::size_t next_step = 0;
  double last_print = -1;
  std::uint64_t last_ok = 0;
  double last_ok_at = 0;
  double qps = 0;
  std::string error;
  while (!interrupted() && next_step < steps.size()) {
    const double now = since();
    try {
      const auto state = cluster->status();
      if (!switching_to.empty() && state.phase == "STABLE" && state.active == switching_to) {
        periods.back().end_s = since();
        periods.push_back({periods.back().end_s, kOpen, switching_to});
        phase = switching_to;
        switching_to.clear();
        workload.set_phase(phase);
      }
      if (suspended && state.cluster_status == "active") {
        suspended = false;
        events.push_back({since(), "resume", "auto-resumed"});
        phase = state.active + " (resumed)";
        workload.set_phase(phase);
      }
      // An event waits until the previous one is over (a switch drained, a resume done): with
      // short phases a step can come due while the cluster is still resuming or switching.
      const bool settled = switching_to.empty() && !suspended && state.phase == "STABLE" &&
                           state.cluster_status == "active";
      if (now >= steps[next_step].at_s && (settled || steps[next_step].what == "end")) {
        const std::string what = steps[next_step++].what;
        if (what.rfind("switch:", 0) == 0) {
          const std::string to = what.substr(7);
          periods.back().end_s = since();
          periods.push_back({periods.back().end_s, kOpen, ""});
          cluster->switch_to(to, std::chrono::seconds(60));
          switching_to = to;
          phase = state.active + "→" + to;
          events.push_back({since(), "switch", phase});
          workload.set_phase(phase);
        } else if (what == "suspend") {
          // As a cluster auto-suspends when idle: let the running queries finish, suspend, and
          // send new queries, which find the cluster suspended and resume it.
          workload.set_phase("idle");
          workload.pause(std::chrono::seconds(60));
          if (interrupted()) break;
          cluster->suspend();
          suspended = true;
          phase = "suspended";
          events.push_back({since(), "suspend", "suspend"});
          std::this_thread::sleep_for(std::chrono::seconds(1));
          workload.set_phase(phase);
          workload.resume();
        }
      }
    } catch (const std::exception& e) {
      error = e.what();
      break;
    }
    if (now - last_print >= (tty ? 0.25 : 2.0)) {
      const auto t = workload.totals();
      if (now - last_ok_at >= 1.0) {
        qps = static_cast<double>(t.ok - last_ok) / (now - last_ok_at);
        last_ok = t.ok;
        last_ok_at = now;
      }
      const auto s = workload.strategy();
      const std::size_t columns = tty ? terminal_columns() : 0;
      const std::string line = e6data::demo::progress_line(
          {now, planned_s, phase, t.ok, t.failed, qps, s.active, s.pending},
          columns > 1 ? columns - 1 : 0);
      std::cerr << (tty ? "\r" : "") << line << (tty ? "" : "\n") << std::flush;
      last_print = now;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  if (tty) std::cerr << '\n';
  const int sig = stop_signal.load();
  if (sig != 0) {
    events.push_back({since(), "interrupt", signal_name(sig)});
    std::cerr << "e6data-demo: interrupted by " << signal_name(sig)
              << ": stopping the workers, then the cluster...\n";
    workload.interrupt();
  }
  workload.stop();
  set_interrupt_action(nullptr);
  const double wall = since();
  periods.back().end_s = wall;
  std::int64_t switches_completed = 0;
  try {
    switches_completed = cluster->status().switches;
  } catch (const std::exception& e) {
    if (error.empty()) error = e.what();
  }
  const std::vector<int> killed =
      cluster->stop(sig != 0 ? std::chrono::seconds(3) : std::chrono::seconds(30));
  cluster_pid = 0;
  if (!killed.empty()) {
    std::cerr << "e6data-demo: the cluster did not stop in time; killed pids " << join_pids(killed)
              << '\n';
  }

  const auto totals = workload.totals();
  const auto snapshot = workload.strategy();
  const auto& c = snapshot.counters;
  const auto records = workload.records();
  const auto serving = e6data::demo::count_by_serving_deployment(records, periods);
  e6data::demo::Counters counters;
  counters.values = {{"switches completed", static_cast<std::uint64_t>(switches_completed)},
                     {"switches followed", c.transitions},
                     {"456 recoveries", c.recoveries_456},
                     {"re-authentications", c.reauthentications},
                     {"resumes", c.resumes},
                     {"transient retries", c.retries},
                     {"transparent re-runs", c.reruns},
                     {"queries on blue", serving.on_blue},
                     {"queries on green", serving.on_green},
                     {"queries during a switch", serving.during_switch},
                     {"queries in total", records.size()},
                     {"wrong results", totals.wrong}};
  for (const auto& r : records) {
    if (!r.ok && !r.interrupted) events.push_back({r.end_s, "error", r.error.substr(0, 60)});
  }
  const fs::path errors_path = out / "errors.log";
  std::ostringstream report;
  report << e6data::demo::summary_table(records, counters, wall);
  report << "timeline: " << (out / "timeline.svg").string() << '\n';
  report << "errors:   " << errors_path.string() << " (" << totals.failed
         << " failed queries, with their full messages)\n";
  for (const auto& [message, count] : workload.failures()) {
    report << "FAILED x" << count << ": " << message << '\n';
  }
  int code = 0;
  if (sig != 0) {
    std::ostringstream planned;
    planned << planned_s;
    report << "RESULT: INTERRUPTED by " << signal_name(sig) << " after " << std::fixed
           << std::setprecision(1) << wall << " s of " << planned.str() << " s: " << totals.ok
           << " queries ok, " << totals.failed << " failed, " << totals.wrong << " wrong results, "
           << totals.interrupted
           << " interrupted (cancelled by the interrupt, not failures); the cluster was stopped\n";
    code = 130;
  } else if (!error.empty()) {
    report << "RESULT: the cluster control failed: " << error << '\n';
    code = 2;
  } else if (totals.failed > 0 || totals.wrong > 0) {
    report << "RESULT: " << totals.failed << " failed queries (full texts in "
           << errors_path.string() << ")\n";
    code = 1;
  } else {
    report << "RESULT: " << totals.ok << " queries, zero failed, zero wrong results\n";
  }
  std::cout << report.str() << std::flush;
  try {
    e6data::demo::write_file(out / "summary.txt", report.str());
    e6data::demo::write_file(errors_path, e6data::demo::errors_log(records, started_unix));
    e6data::demo::write_file(out / "timeline.svg",
                             e6data::demo::timeline_svg(records, events, wall));
    e6data::demo::write_file(out / "strategy.json", snapshot.to_json() + "\n");
  } catch (const std::exception& e) {
    std::cerr << "e6data-demo: " << e.what() << '\n';
  }
  return code;
}

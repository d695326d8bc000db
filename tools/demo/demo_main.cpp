// e6data-demo: the local blue-green e6data under a checked workload while deployments switch
// and the cluster is suspended and resumed. Prints a live progress line, then a summary table;
// writes the table and an SVG timeline to the output directory. Exits 1 if any query failed or
// returned a wrong result, 2 if the cluster could not be brought up; stops everything it
// started, also on Ctrl-C.
#include <sqlite3.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <iostream>
#include <thread>

#include "bluegreen/controller.hpp"
#include "demo/demo_report.hpp"
#include "demo/workload.hpp"
#include "devserver/demo_dataset.hpp"

namespace {

std::atomic<bool> interrupted{false};

extern "C" void on_signal(int) {
  interrupted = true;
}

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

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
  std::string what;  // "switch:green", "suspend"
};

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
  app.add_option("--phase-seconds", seconds_per_phase, "seconds between cluster events")
      ->check(CLI::Range(1.0, 600.0));
  CLI11_PARSE(app, argc, argv);
  if (own_workers + shared_workers == 0) {
    std::cerr << "e6data-demo: at least one worker is needed\n";
    return 2;
  }

  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  const fs::path out = fs::absolute(out_dir);
  const fs::path db_path = out / "demo.db";
  std::unique_ptr<e6data::bluegreen::Controller> controller;
  try {
    std::cerr << "e6data-demo: preparing the demo database...\n";
    make_database(db_path, scale);
    e6data::bluegreen::ControllerOptions copts;
    copts.runtime_dir = (out / "cluster").string();
    copts.db_path = db_path.string();
    copts.batch_rows = 4096;
    copts.resume_duration = std::chrono::seconds(2);
    fs::remove_all(copts.runtime_dir);
    controller = std::make_unique<e6data::bluegreen::Controller>(copts);
    std::cerr << "e6data-demo: starting the local cluster (nginx router, blue and green)...\n";
    controller->up();
  } catch (const std::exception& e) {
    std::cerr << "e6data-demo: cannot bring the cluster up: " << e.what() << '\n';
    return 2;
  }
  if (interrupted) return 130;

  e6data::demo::WorkloadOptions wopts;
  wopts.connection.host = "127.0.0.1";
  wopts.connection.port = controller->port();
  wopts.connection.username = "demo";
  wopts.connection.password = "demo";
  wopts.connection.cluster_name = "demo";
  wopts.connection.logging.grpc_level = e6data::LogLevel::kError;
  wopts.connection.logging.output = (out / "connector.log").string();
  wopts.connection.logging.level = e6data::LogLevel::kInfo;
  wopts.connection.logging.strategy_level = e6data::LogLevel::kInfo;
  wopts.db_path = db_path.string();
  wopts.own_connection_workers = own_workers;
  wopts.shared_connection_workers = shared_workers;
  wopts.long_rows = long_rows;

  std::vector<e6data::demo::EventRecord> events;
  std::vector<Step> steps;
  const double p = seconds_per_phase;
  steps = {{p, "switch:green"},     {2 * p, "switch:blue"}, {3 * p, "suspend"},
           {4 * p, "switch:green"}, {5 * p, "switch:blue"}, {6 * p, "end"}};

  const auto epoch = Clock::now();
  auto since = [&] { return std::chrono::duration<double>(Clock::now() - epoch).count(); };
  e6data::demo::Workload workload(wopts);
  workload.set_phase("blue");
  workload.start(epoch);
  std::cerr << "e6data-demo: " << own_workers << " workers with a connection each, "
            << shared_workers << " sharing one; cluster events every " << p << " s\n";

  const bool tty = ::isatty(STDERR_FILENO) != 0;
  std::string phase = "blue";
  std::string switching_to;
  bool suspended = false;
  std::size_t next_step = 0;
  double last_print = -1;
  std::uint64_t last_ok = 0;
  double last_ok_at = 0;
  double qps = 0;
  std::string error;
  while (!interrupted && next_step < steps.size()) {
    const double now = since();
    try {
      if (now >= steps[next_step].at_s) {
        const std::string what = steps[next_step++].what;
        if (what.rfind("switch:", 0) == 0) {
          const std::string to = what.substr(7);
          const std::string from = controller->state().active();
          controller->switch_to(to, std::chrono::seconds(60), false);
          switching_to = to;
          phase = from + "→" + to;
          events.push_back({since(), "switch", phase});
        } else if (what == "suspend") {
          // As a cluster auto-suspends when idle: let the running queries finish, suspend, and
          // send new queries, which find the cluster suspended and resume it.
          workload.set_phase("idle");
          workload.pause(std::chrono::seconds(60));
          controller->suspend();
          suspended = true;
          phase = "suspended";
          events.push_back({since(), "suspend", "suspend"});
          std::this_thread::sleep_for(std::chrono::seconds(1));
          workload.set_phase(phase);
          workload.resume();
        }
        workload.set_phase(phase);
      }
      const auto state = controller->state();
      if (!switching_to.empty() && state.phase() == "STABLE" && state.active() == switching_to) {
        phase = switching_to;
        switching_to.clear();
        workload.set_phase(phase);
      }
      if (suspended && state.cluster_status() == "active") {
        suspended = false;
        events.push_back({since(), "resume", "auto-resumed"});
        phase = state.active() + " (resumed)";
        workload.set_phase(phase);
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
      char line[256];
      std::snprintf(line, sizeof line,
                    "%6.1fs  %-18s ok %-7llu failed %-4llu %5.0f q/s  active %-5s pending %-5s",
                    now, phase.c_str(), static_cast<unsigned long long>(t.ok),
                    static_cast<unsigned long long>(t.failed), qps, s.active.c_str(),
                    s.pending.empty() ? "-" : s.pending.c_str());
      std::cerr << (tty ? "\r" : "") << line << (tty ? "" : "\n") << std::flush;
      last_print = now;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  if (tty) std::cerr << '\n';
  workload.stop();
  const double wall = since();
  const auto final_state = controller->state();
  controller->down();
  controller.reset();

  const auto totals = workload.totals();
  const auto snapshot = workload.strategy();
  const auto& c = snapshot.counters;
  e6data::demo::Counters counters;
  counters.values = {{"switches completed", static_cast<std::uint64_t>(final_state.switches())},
                     {"switches followed", c.transitions},
                     {"456 recoveries", c.recoveries_456},
                     {"re-authentications", c.reauthentications},
                     {"resumes", c.resumes},
                     {"transient retries", c.retries},
                     {"transparent re-runs", c.reruns},
                     {"queries on blue", c.queries_blue},
                     {"queries on green", c.queries_green},
                     {"wrong results", totals.wrong}};
  const auto records = workload.records();
  for (const auto& r : records) {
    if (!r.ok) events.push_back({r.end_s, "error", r.error.substr(0, 60)});
  }
  const std::string table = e6data::demo::summary_table(records, counters, wall);
  std::cout << table;
  try {
    e6data::demo::write_file(out / "summary.txt", table);
    e6data::demo::write_file(out / "timeline.svg",
                             e6data::demo::timeline_svg(records, events, wall));
    e6data::demo::write_file(out / "strategy.json", snapshot.to_json() + "\n");
  } catch (const std::exception& e) {
    std::cerr << "e6data-demo: " << e.what() << '\n';
  }
  std::cout << "timeline: " << (out / "timeline.svg").string() << "\n";
  if (!error.empty()) {
    std::cerr << "e6data-demo: the cluster control failed: " << error << '\n';
    return 2;
  }
  if (interrupted) {
    std::cerr << "e6data-demo: interrupted; everything started was stopped\n";
    return 130;
  }
  for (const auto& [message, count] : workload.failures()) {
    std::cout << "FAILED x" << count << ": " << message << '\n';
  }
  if (totals.failed > 0 || totals.wrong > 0) {
    std::cout << "RESULT: " << totals.failed << " failed queries\n";
    return 1;
  }
  std::cout << "RESULT: " << totals.ok << " queries, zero failed, zero wrong results\n";
  return 0;
}

#include "monitor_command.hpp"

#include <chrono>
#include <cstdio>
#include <ctime>
#include <iostream>
#include <map>
#include <optional>
#include <thread>

#include "connection_args.hpp"
#include "e6data/connection.hpp"
#include "e6data/errors.hpp"
#include "exit_codes.hpp"
#include "interrupt_watcher.hpp"
#include "result_writer.hpp"
#include "shared_state_view.hpp"

namespace e6data::cli {
namespace {

using Clock = std::chrono::steady_clock;

struct MonitorArgs {
  ConnectionArgs connection;
  std::string uri;
  double interval_s = 0.5;
  double duration_s = 0;
  bool jsonl = false;
  std::string shared_state;  // --shared-state: watch the host's shared strategy file instead
};

// What a line reports; a line is printed when any of it changes.
struct Observed {
  std::string active;
  std::string pending;
  std::int64_t bound_blue = 0;
  std::int64_t bound_green = 0;
  std::uint64_t transitions = 0;
  std::uint64_t announcements = 0;
  std::string failure;  // "<kind>: <message>" of the last probe, empty when it succeeded
  friend bool operator==(const Observed&, const Observed&) = default;
};

std::string utc_now() {
  const auto now = std::chrono::system_clock::now();
  const std::time_t seconds = std::chrono::system_clock::to_time_t(now);
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()) % 1000;
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char text[96];
  std::snprintf(text, sizeof text, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(ms.count()));
  return text;
}

void print_line(const Observed& o, const std::string& event, bool jsonl) {
  const std::string time = utc_now();
  if (jsonl) {
    std::cout << "{\"time\":";
    write_json_string(std::cout, time);
    std::cout << ",\"event\":";
    write_json_string(std::cout, event);
    std::cout << ",\"active\":";
    write_json_string(std::cout, o.active);
    std::cout << ",\"pending\":";
    write_json_string(std::cout, o.pending);
    std::cout << ",\"bound_blue\":" << o.bound_blue << ",\"bound_green\":" << o.bound_green
              << ",\"transitions\":" << o.transitions << ",\"announcements\":" << o.announcements;
    if (!o.failure.empty()) {
      std::cout << ",\"failure\":";
      write_json_string(std::cout, o.failure);
    }
    std::cout << "}\n";
  } else {
    std::cout << time << "  " << event << "  active " << (o.active.empty() ? "-" : o.active)
              << ", pending " << (o.pending.empty() ? "-" : o.pending) << ", bound blue "
              << o.bound_blue << " green " << o.bound_green << ", transitions " << o.transitions
              << (o.failure.empty() ? "" : ", probe failed: " + o.failure) << '\n';
  }
  std::cout.flush();
}

// Names what changed between two observations, for the line's event column.
std::string event_between(const std::optional<Observed>& before, const Observed& now) {
  if (!before) return "start";
  if (!now.failure.empty() && before->failure.empty()) return "probe-failed";
  if (now.failure.empty() && !before->failure.empty()) return "probe-recovered";
  if (now.active != before->active) return "switch-completed";
  if (!now.pending.empty() && now.pending != before->pending) return "switch-announced";
  if (now.bound_blue != before->bound_blue || now.bound_green != before->bound_green) {
    return "bound-queries";
  }
  return "changed";
}

void print_summary(bool jsonl, bool interrupted, int switches_seen,
                   const std::vector<double>& switch_seconds, int unannounced) {
  if (jsonl) {
    std::cout << "{\"summary\":true,\"switches\":" << switches_seen << ",\"switch_seconds\":[";
    for (std::size_t i = 0; i < switch_seconds.size(); ++i) {
      std::cout << (i ? "," : "") << switch_seconds[i];
    }
    std::cout << "],\"unannounced\":" << unannounced << "}\n";
  } else {
    std::cout << "--- summary" << (interrupted ? " (interrupted)" : "") << " ---\n"
              << switches_seen << " switches seen";
    if (!switch_seconds.empty()) {
      std::cout << "; announcement to completion:";
      for (double s : switch_seconds) {
        char text[32];
        std::snprintf(text, sizeof text, " %.1f s", s);
        std::cout << text;
      }
    }
    if (unannounced > 0) std::cout << "; " << unannounced << " seen without their announcement";
    std::cout << '\n';
  }
  std::cout.flush();
}

// What changed in a slot of the shared strategy file between two reads.
std::string slot_event(const std::optional<SharedStrategySlot>& before,
                       const SharedStrategySlot& now) {
  if (!before) return "start";
  if (now.active != before->active) {
    if (now.active.empty()) return "strategy-cleared";
    return before->active.empty() ? "detected" : "switch-completed";
  }
  if (!now.pending.empty() && now.pending != before->pending) return "switch-announced";
  if (now.pending.empty() && !before->pending.empty()) return "switch-abandoned";
  if (now.pending_confirmed != before->pending_confirmed) return "pending-answered";
  return "changed";
}

void print_slot_line(const SharedStrategySlot& s, const std::string& event, bool jsonl) {
  const std::string time = utc_now();
  const std::string endpoint = s.endpoint.empty()
                                   ? "slot " + std::to_string(s.slot) + " (endpoint not recorded)"
                                   : s.endpoint;
  if (jsonl) {
    std::cout << "{\"time\":";
    write_json_string(std::cout, time);
    std::cout << ",\"event\":";
    write_json_string(std::cout, event);
    std::cout << ",\"slot\":" << s.slot << ",\"endpoint\":";
    write_json_string(std::cout, s.endpoint);
    std::cout << ",\"active\":";
    write_json_string(std::cout, s.active);
    std::cout << ",\"pending\":";
    write_json_string(std::cout, s.pending);
    std::cout << ",\"pending_confirmed\":" << (s.pending_confirmed ? "true" : "false")
              << ",\"generation\":" << s.generation << "}\n";
  } else {
    std::cout << time << "  " << event << "  " << endpoint << ": active "
              << (s.active.empty() ? "-" : s.active) << ", pending "
              << (s.pending.empty() ? "-" : s.pending)
              << (s.pending.empty() ? ""
                                    : (s.pending_confirmed ? " (answered)" : " (not answered)"))
              << ", generation " << s.generation << '\n';
  }
  std::cout.flush();
}

// Watches every slot of the shared strategy file (read without joining it) instead of an
// endpoint: what every process on the host that shares the file believes.
int run_monitor_shared(MonitorArgs& args) {
  const SharedStateLocation where = parse_shared_state_argument(args.shared_state);
  InterruptWatcher watcher;
  std::map<std::size_t, SharedStrategySlot> last;  // by slot
  std::map<std::size_t, Clock::time_point> announced_at;
  std::vector<double> switch_seconds;
  int switches_seen = 0;
  int unannounced = 0;
  std::string last_failure;
  bool first = true;
  if (!args.jsonl) {
    std::cout << "Watching " << where.path() << " every " << args.interval_s
              << " s (Ctrl-C for the summary)\n";
  }
  const auto start = Clock::now();
  while (!watcher.interrupted()) {
    try {
      for (const auto& s : read_shared_strategy(where.name, where.directory)) {
        const auto it = last.find(s.slot);
        const std::optional<SharedStrategySlot> before =
            it == last.end() ? std::nullopt : std::optional<SharedStrategySlot>(it->second);
        if (before && before->active == s.active && before->pending == s.pending &&
            before->pending_confirmed == s.pending_confirmed) {
          continue;
        }
        const std::string event = slot_event(before, s);
        if (event == "switch-announced") announced_at[s.slot] = Clock::now();
        if (event == "switch-completed") {
          ++switches_seen;
          if (auto a = announced_at.find(s.slot); a != announced_at.end()) {
            switch_seconds.push_back(
                std::chrono::duration<double>(Clock::now() - a->second).count());
            announced_at.erase(a);
          } else {
            ++unannounced;
          }
        }
        print_slot_line(s, event, args.jsonl);
        last[s.slot] = s;
      }
      last_failure.clear();
    } catch (const SharedStateError& e) {
      if (first) {
        std::cerr << "e6data-cli monitor: " << refusal_text(e) << '\n';
        return kExitFailure;
      }
      if (refusal_text(e) != last_failure) {
        last_failure = refusal_text(e);
        std::cerr << utc_now() << "  read-failed  " << last_failure << '\n';
      }
    }
    first = false;
    if (args.duration_s > 0 &&
        std::chrono::duration<double>(Clock::now() - start).count() >= args.duration_s) {
      break;
    }
    const auto until = Clock::now() + std::chrono::duration<double>(args.interval_s);
    while (!watcher.interrupted() && Clock::now() < until) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }
  print_summary(args.jsonl, watcher.interrupted(), switches_seen, switch_seconds, unannounced);
  return watcher.interrupted() ? watcher.exit_code() : kExitOk;
}

int run_monitor(MonitorArgs& args) {
  if (!args.shared_state.empty()) {
    if (!args.uri.empty()) {
      throw UsageFailure{
          "--shared-state reads the file and connects nowhere: give no connection URI with it"};
    }
    return run_monitor_shared(args);
  }
  args.connection.uri = args.uri;
  const EnvironmentReader env = EnvironmentReader::process();
  std::vector<std::string> warnings;
  ConnectionOptions options =
      resolve_connection(args.connection, env, prompt_on_terminal, warnings);
  for (const auto& w : warnings) std::cerr << "e6data-cli monitor: warning: " << w << '\n';
  configure_cli_logging(options, env);
  if (!args.jsonl) {
    std::cout << "Watching " << options.host << ':' << options.port << " every " << args.interval_s
              << " s (Ctrl-C for the summary)\n";
  }
  InterruptWatcher watcher;
  Connection connection(options);
  std::optional<Observed> last;
  std::vector<double> switch_seconds;  // announcement seen -> completion seen, per switch
  std::optional<Clock::time_point> announced_at;
  int switches_seen = 0;
  int unannounced = 0;  // switches seen without their announcement
  const auto start = Clock::now();
  while (!watcher.interrupted()) {
    Observed now;
    try {
      // A light call through the strategy engine: its answer carries `new_strategy` while the
      // active deployment announces a switch, and completes the switch once the new side answers.
      (void)connection.schemas(options.catalog,
                               call_options(args.connection, watcher.next_token()));
    } catch (const Error& e) {
      if (watcher.interrupted()) break;
      now.failure = std::string(to_string(e.kind())) + ": " + e.what();
    }
    watcher.clear_token();
    const StrategySnapshot s = connection.strategy();
    now.active = s.active;
    now.pending = s.pending;
    now.bound_blue = s.bound_blue;
    now.bound_green = s.bound_green;
    now.transitions = s.counters.transitions;
    now.announcements = s.counters.announcements;
    if (!last || !(now == *last)) {
      if (last && now.announcements != last->announcements && !announced_at) {
        announced_at = Clock::now();
      }
      // A switch, as the connector saw it: its active deployment changed, by completing an
      // announced switch or by detecting again (after a 456, when the announcement fell between
      // two probes).
      const bool switched =
          last && !last->active.empty() && !now.active.empty() && now.active != last->active;
      if (switched) {
        ++switches_seen;
        if (announced_at) {
          switch_seconds.push_back(
              std::chrono::duration<double>(Clock::now() - *announced_at).count());
        } else {
          ++unannounced;
        }
        announced_at.reset();
      }
      print_line(now, event_between(last, now), args.jsonl);
      last = now;
    }
    if (args.duration_s > 0 &&
        std::chrono::duration<double>(Clock::now() - start).count() >= args.duration_s) {
      break;
    }
    const auto until = Clock::now() + std::chrono::duration<double>(args.interval_s);
    while (!watcher.interrupted() && Clock::now() < until) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }
  print_summary(args.jsonl, watcher.interrupted(), switches_seen, switch_seconds, unannounced);
  std::cout.flush();
  return watcher.interrupted() ? watcher.exit_code() : kExitOk;
}

}  // namespace

void add_monitor_command(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<MonitorArgs>();
  CLI::App* cmd = app.add_subcommand(
      "monitor", "Watch an endpoint's blue-green strategy and print one line per change");
  cmd->add_option("uri", args->uri, "Connection URI (default: flags and E6DATA_*)");
  cmd->add_option("--interval", args->interval_s, "Seconds between probes (default 0.5)")
      ->check(CLI::Range(0.01, 3600.0));
  cmd->add_option("--duration", args->duration_s, "Stop after this many seconds (default: Ctrl-C)")
      ->check(CLI::Range(0.0, 30.0 * 86400));
  cmd->add_flag("--jsonl", args->jsonl, "One JSON object per line, for machines");
  cmd->add_option("--shared-state", args->shared_state,
                  "Watch this shared strategy file instead of an endpoint: a name in /dev/shm "
                  "(E6DATA_STRATEGY_SHARED_STATE) or a path");
  add_connection_options(*cmd, args->connection);
  cmd->footer(R"(Probes the endpoint with a light call (schema names) every --interval through one
connection, and prints a line whenever the connector's view changes: active, pending (a switch
announced), bound queries, completed switches, a probe that failed (with its error kind). At
exit: how many switches were seen and how long each took from announcement to completion.
With --shared-state NAME it connects nowhere and watches the shared strategy file of the
applications on this host instead (read without joining it): one line per change of any
endpoint slot (start, switch-announced, pending-answered, switch-completed, switch-abandoned,
strategy-cleared, detected), the same summary at exit. A file not safe to trust is refused (exit 1).
Exit status: 130 on Ctrl-C, 0 after --duration, 1 a refused file, 2 usage errors.

Examples:
  e6data-cli monitor e6data://demo@127.0.0.1:50051
  e6data-cli monitor --jsonl --interval 0.2 > strategy.jsonl
  e6data-cli monitor --shared-state "$E6DATA_STRATEGY_SHARED_STATE")");
  cmd->callback([args, &exit_code] { exit_code = run_monitor(*args); });
}

}  // namespace e6data::cli

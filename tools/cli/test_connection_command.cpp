#include "test_connection_command.hpp"

#include <chrono>
#include <cstdio>
#include <iostream>
#include <map>
#include <set>
#include <thread>

#include "connection_args.hpp"
#include "e6data/connection.hpp"
#include "e6data/errors.hpp"
#include "exit_codes.hpp"
#include "interrupt_watcher.hpp"
#include "latency_summary.hpp"

namespace e6data::cli {
namespace {

using Clock = std::chrono::steady_clock;

struct TestConnectionArgs {
  ConnectionArgs connection;
  std::string uri;
  int count = 5;
  double duration_s = 0;
  double interval_s = 0.1;
  std::string query;
};

struct Attempt {
  bool ok = false;
  bool interrupted = false;
  double ms = 0;
  std::string deployment;  // what the connector detected / used
  std::string failure;     // "<kind>: <message>"
};

Attempt run_attempt(const TestConnectionArgs& args, const ConnectionOptions& options,
                    InterruptWatcher& watcher) {
  Attempt attempt;
  const QueryOptions call = call_options(args.connection, watcher.next_token());
  const auto start = Clock::now();
  try {
    Connection connection(options);
    connection.authenticate(call);
    if (!args.query.empty()) {
      Cursor cursor = connection.cursor();
      cursor.execute(args.query, call);
      (void)cursor.fetchall(call);
      cursor.clear(call);
    }
    attempt.deployment = connection.strategy().active;
    connection.close();
    attempt.ok = true;
  } catch (const Error& e) {
    attempt.interrupted = watcher.interrupted();
    attempt.failure = std::string(to_string(e.kind())) + ": " + e.what();
    if (!e.query_id().empty()) attempt.failure += " (query id " + e.query_id() + ")";
  }
  attempt.ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
  watcher.clear_token();
  return attempt;
}

// Waits `seconds`, returning early on an interrupt.
void pause(double seconds, const InterruptWatcher& watcher) {
  const auto until = Clock::now() + std::chrono::duration<double>(seconds);
  while (!watcher.interrupted() && Clock::now() < until) {
    std::this_thread::sleep_for(std::min<Clock::duration>(
        std::chrono::milliseconds(20),
        std::chrono::duration_cast<Clock::duration>(until - Clock::now())));
  }
}

int run_test_connection(TestConnectionArgs& args, bool count_given) {
  args.connection.uri = args.uri;
  const EnvironmentReader env = EnvironmentReader::process();
  std::vector<std::string> warnings;
  ConnectionOptions options =
      resolve_connection(args.connection, env, prompt_on_terminal, warnings);
  for (const auto& w : warnings) std::cerr << "e6data-cli test-connection: warning: " << w << '\n';
  configure_cli_logging(options, env);

  const bool by_duration = args.duration_s > 0;
  const std::int64_t max_attempts = by_duration && !count_given ? -1 : args.count;
  std::cout << "Testing " << options.username << " at " << options.host << ':' << options.port
            << (options.secure ? " (TLS)" : "")
            << (args.query.empty() ? "" : ", with query: " + args.query) << '\n';
  std::cout.flush();

  InterruptWatcher watcher;  // before the first connection starts gRPC's threads
  std::vector<double> times;
  std::map<std::string, int> deployments;
  std::int64_t attempts = 0;
  std::int64_t failures = 0;
  const auto start = Clock::now();
  // --duration: one line per second of outcomes, so a switch shows up as it happens.
  std::int64_t second = 1;
  int second_ok = 0;
  int second_failed = 0;
  std::set<std::string> second_deployments;  // every deployment that served in this second
  auto report_second = [&] {
    std::string served;
    for (const auto& d : second_deployments) served += (served.empty() ? "" : "+") + d;
    std::cout << "second " << second << ": " << second_ok << " ok, " << second_failed << " failed"
              << (served.empty() ? "" : ", deployment " + served) << '\n';
    std::cout.flush();
    second_ok = second_failed = 0;
    second_deployments.clear();
  };
  while (!watcher.interrupted() && (max_attempts < 0 || attempts < max_attempts)) {
    const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
    if (by_duration && elapsed >= args.duration_s) break;
    if (by_duration) {
      while (elapsed >= static_cast<double>(second)) {
        report_second();
        ++second;
      }
    }
    const Attempt a = run_attempt(args, options, watcher);
    if (a.interrupted) break;
    ++attempts;
    times.push_back(a.ms);
    if (a.ok) {
      ++deployments[a.deployment.empty() ? "(unknown)" : a.deployment];
      ++second_ok;
      if (!a.deployment.empty()) second_deployments.insert(a.deployment);
    } else {
      ++failures;
      ++second_failed;
    }
    char ms[32];
    std::snprintf(ms, sizeof ms, "%.1f ms", a.ms);
    if (!a.ok) {
      std::cout << "attempt " << attempts << ": FAILED after " << ms << ": " << a.failure << '\n';
    } else if (!by_duration) {
      std::cout << "attempt " << attempts << ": ok in " << ms << ", deployment "
                << (a.deployment.empty() ? "(unknown)" : a.deployment) << '\n';
    }
    std::cout.flush();
    if (max_attempts < 0 || attempts < max_attempts) pause(args.interval_s, watcher);
  }
  if (by_duration && (second_ok > 0 || second_failed > 0)) report_second();

  const LatencySummary s = summarize_latencies(times);
  const double rate = attempts == 0 ? 0.0
                                    : 100.0 * static_cast<double>(attempts - failures) /
                                          static_cast<double>(attempts);
  char line[256];
  std::snprintf(line, sizeof line,
                "%lld attempts: %lld succeeded, %lld failed (%.1f %% success)\n"
                "time: min %.1f ms, p50 %.1f ms, p95 %.1f ms, max %.1f ms\n",
                static_cast<long long>(attempts), static_cast<long long>(attempts - failures),
                static_cast<long long>(failures), rate, s.min, s.p50, s.p95, s.max);
  std::cout << "--- summary" << (watcher.interrupted() ? " (interrupted)" : "") << " ---\n"
            << line << "deployments:";
  if (deployments.empty()) std::cout << " (none)";
  for (const auto& [name, n] : deployments) std::cout << ' ' << name << ' ' << n;
  std::cout << '\n';
  std::cout.flush();
  if (watcher.interrupted()) return watcher.exit_code();
  return failures == 0 && attempts > 0 ? kExitOk : kExitFailure;
}

}  // namespace

void add_test_connection_command(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<TestConnectionArgs>();
  CLI::App* cmd = app.add_subcommand("test-connection",
                                     "Connect and authenticate repeatedly, timing each attempt");
  cmd->add_option("uri", args->uri, "Connection URI (default: flags and E6DATA_*)");
  CLI::Option* count = cmd->add_option("--count", args->count, "Attempts (default 5)")
                           ->check(CLI::Range(1, 1000000));
  cmd->add_option("--duration", args->duration_s,
                  "Keep testing for this many seconds (or until Ctrl-C), with one line per "
                  "second; --count then limits the attempts only when given")
      ->check(CLI::Range(0.0, 7.0 * 86400));
  cmd->add_option("--interval", args->interval_s, "Seconds between attempts (default 0.1)")
      ->check(CLI::Range(0.0, 3600.0));
  cmd->add_option("--query", args->query, "Also run this SQL in each attempt and read its rows");
  add_connection_options(*cmd, args->connection);
  cmd->footer(R"(Each attempt opens a new connection, authenticates (detecting the deployment when
the connector has no fresh strategy for the endpoint) and, with --query, runs the query.
Exit status: 0 when every attempt succeeded, 1 when any failed, 130 on Ctrl-C (after the
summary), 2 for usage errors.

Examples:
  e6data-cli test-connection e6data://demo@127.0.0.1:50051
  e6data-cli test-connection --count 20 --query "select 1"
  e6data-cli test-connection --duration 60 --interval 0.2    # during a blue-green switch)");
  cmd->callback(
      [args, count, &exit_code] { exit_code = run_test_connection(*args, count->count() > 0); });
}

}  // namespace e6data::cli

#include "support_bundle_command.hpp"

#include <google/protobuf/stubs/common.h>
#include <grpc/grpc.h>
#include <sys/utsname.h>
#include <unistd.h>
#include <zlib.h>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "connection_args.hpp"
#include "e6data/connection.hpp"
#include "e6data/errors.hpp"
#include "e6data/strategy.hpp"
#include "exit_codes.hpp"
#include "interrupt_watcher.hpp"
#include "latency_summary.hpp"
#include "shared_state_view.hpp"
#include "support_bundle.hpp"

extern char** environ;  // NOLINT: POSIX

#ifndef E6DATA_VERSION_TEXT
#define E6DATA_VERSION_TEXT "unknown"
#endif

namespace e6data::cli {
namespace {

using Clock = std::chrono::steady_clock;

struct BundleArgs {
  ConnectionArgs connection;
  std::string uri;
  std::string output;
  bool directory = false;
  int count = 3;
  std::string query = "select 1";
  std::string shared_state;
  std::size_t log_bytes = 1 << 20;
};

std::string utc_stamp(std::time_t t, const char* format) {
  std::tm tm{};
  gmtime_r(&t, &tm);
  char text[64];
  std::strftime(text, sizeof text, format, &tm);
  return text;
}

std::vector<std::pair<std::string, std::string>> process_environment() {
  std::vector<std::pair<std::string, std::string>> out;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    const std::string entry = *e;
    const auto eq = entry.find('=');
    if (eq != std::string::npos) out.emplace_back(entry.substr(0, eq), entry.substr(eq + 1));
  }
  return out;
}

std::string os_pretty_name() {
  std::ifstream in("/etc/os-release");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("PRETTY_NAME=", 0) == 0) {
      std::string value = line.substr(12);
      if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
        value = value.substr(1, value.size() - 2);
      }
      return value;
    }
  }
  return "";
}

std::string platform_json(std::time_t now) {
  struct utsname u {};
  ::uname(&u);
  char host[256] = {};
  ::gethostname(host, sizeof host - 1);
  nlohmann::ordered_json j {
    {"created_utc", utc_stamp(now, "%Y-%m-%dT%H:%M:%SZ")}, {"e6data_cli", E6DATA_VERSION_TEXT},
        {"e6data_library", E6DATA_VERSION_TEXT}, {"hostname", host},
        {"os",
         {{"name", os_pretty_name()},
          {"kernel", std::string(u.sysname) + " " + u.release},
          {"version", u.version},
          {"machine", u.machine}}},
#if defined(__clang__)
        {"compiler", std::string("clang ") + __clang_version__},
#elif defined(__GNUC__)
        {"compiler", std::string("gcc ") + __VERSION__},
#else
        {"compiler", "unknown"},
#endif
        {"cplusplus", __cplusplus},
#ifdef NDEBUG
        {"build", "optimised (NDEBUG)"},
#else
        {"build", "debug (assertions on)"},
#endif
        {"grpc", grpc_version_string()},
        {"protobuf", google::protobuf::internal::VersionString(GOOGLE_PROTOBUF_VERSION)},
        {"zlib", zlibVersion()}, {
      "cpus", ::sysconf(_SC_NPROCESSORS_ONLN)
    }
  };
  return j.dump(2) + "\n";
}

// "ConnectionOptions{a=1, b=2}" as one "a=1" line each (secrets are "***" already).
std::string options_lines(const ConnectionOptions& options) {
  std::string text = to_string(options);
  const auto open = text.find('{');
  if (open != std::string::npos && text.back() == '}') {
    text = text.substr(open + 1, text.size() - open - 2);
  }
  std::string out;
  for (std::size_t at = 0; at <= text.size();) {
    const auto comma = text.find(", ", at);
    out += text.substr(at, comma == std::string::npos ? std::string::npos : comma - at) + "\n";
    if (comma == std::string::npos) break;
    at = comma + 2;
  }
  return out;
}

std::string read_file(const std::string& path, std::string& error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = "cannot read " + path;
    return {};
  }
  std::ostringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

struct TestReport {
  std::string text;
  int attempts = 0;
  int ok = 0;
  std::string last_deployment;
  std::string strategy_json;  // the live snapshot after the attempts, or ""
  bool interrupted = false;
};

TestReport connection_test(const BundleArgs& args, const ConnectionOptions& options,
                           InterruptWatcher& watcher) {
  TestReport report;
  std::ostringstream out;
  out << "Testing " << options.username << " at " << options.host << ':' << options.port
      << (options.secure ? " (TLS)" : "") << ", " << args.count << " attempts"
      << (args.query.empty() ? "" : ", query: " + args.query) << '\n';
  std::vector<double> times;
  for (int i = 1; i <= args.count && !watcher.interrupted(); ++i) {
    const QueryOptions call = call_options(args.connection, watcher.next_token());
    const auto start = Clock::now();
    std::string failure;
    std::string deployment;
    try {
      Connection connection(options);
      connection.authenticate(call);
      if (!args.query.empty()) {
        Cursor cursor = connection.cursor();
        cursor.execute(args.query, call);
        (void)cursor.fetchall(call);
        cursor.clear(call);
      }
      const StrategySnapshot snapshot = connection.strategy();
      deployment = snapshot.active;
      report.strategy_json = snapshot.to_json();
      connection.close();
    } catch (const Error& e) {
      failure = std::string(to_string(e.kind())) + ": " + e.what();
      if (!e.query_id().empty()) failure += " (query id " + e.query_id() + ")";
    }
    watcher.clear_token();
    if (watcher.interrupted()) {
      report.interrupted = true;
      out << "attempt " << i << ": interrupted\n";
      break;
    }
    const double ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
    char took[32];
    std::snprintf(took, sizeof took, "%.1f ms", ms);
    ++report.attempts;
    if (failure.empty()) {
      ++report.ok;
      times.push_back(ms);
      report.last_deployment = deployment;
      out << "attempt " << i << ": ok in " << took << ", deployment " << deployment << '\n';
    } else {
      out << "attempt " << i << ": FAILED after " << took << ": " << failure << '\n';
    }
  }
  const LatencySummary s = summarize_latencies(times);
  char line[160];
  std::snprintf(line, sizeof line,
                "--- summary ---\n%d attempts: %d succeeded, %d failed\n"
                "time: min %.1f ms, p50 %.1f ms, p95 %.1f ms, max %.1f ms\n",
                report.attempts, report.ok, report.attempts - report.ok, s.min, s.p50, s.p95,
                s.max);
  out << line;
  report.text = out.str();
  return report;
}

constexpr const char* kReadme = R"(e6data connector support bundle
==============================

Made by `e6data-cli support-bundle` on the host named in platform.json. Nothing in it was sent
anywhere: read it, then attach it to your support request.

Secrets were removed before anything was written: the access token (E6DATA_PASSWORD, the URI's,
--password-file's) and every E6DATA_* variable named like a secret (*PASSWORD*, *TOKEN*,
*SECRET*, *CREDENTIAL*, *PRIVATE_KEY*) are masked, and every file was scrubbed of them as
written, URL-encoded, in hex, JSON-escaped and in base64 (each alignment); a scrubbed spot
reads [REDACTED].

Files
-----
README.txt          this file
summary.txt         one screen: versions, endpoint, connection test result, strategy
platform.json       OS, kernel, machine, compiler, build type, e6data-cli and library version,
                    gRPC, protobuf and zlib versions, CPU count, time of the bundle (UTC)
options.txt         the connection options in force (URI, then E6DATA_*, then flags), one per
                    line, as ConnectionOptions prints them (the token as ***)
environment.txt     every E6DATA_* variable of the environment the bundle was made in, secrets
                    masked (***)
warnings.txt        problems found in the settings (values the connector adjusted or ignored,
                    settings that prevented connecting)
connection-test.txt connect + authenticate (+ the query) N times: the time of each attempt, the
                    deployment that served it or the typed error kind, and a summary
strategy.json       the connector's strategy state for the endpoint after the test
                    (StrategySnapshot: active, pending, last check, last transition, bound
                    queries, counters), or why there is none
shared-state.json   the shared strategy file of the host (E6DATA_STRATEGY_SHARED_STATE or
                    --shared-state), read without joining it: every endpoint slot, or why it was
                    refused or is not configured
logs/               the end of the connector's log file when E6DATA_LOG_OUTPUT names one (the last
                    --log-bytes, 1 MiB by default), else a note saying none is configured
)";

int run_bundle(BundleArgs& args) {
  args.connection.uri = args.uri;
  const std::time_t now = std::time(nullptr);
  const std::string stamp = utc_stamp(now, "%Y%m%dT%H%M%SZ");
  const std::string root = "e6data-support-" + stamp;
  std::string output = args.output;
  if (output.empty()) output = args.directory ? root : root + ".tar.gz";
  if (::access(output.c_str(), F_OK) == 0) {
    throw UsageFailure{output + " exists already: give another --output"};
  }

  const EnvironmentReader env = EnvironmentReader::process();
  const auto variables = process_environment();
  SecretRedactor redactor;
  for (const auto& [name, value] : variables) {
    if (name.rfind("E6DATA_", 0) == 0 && is_secret_variable(name)) redactor.add(value);
  }

  std::vector<std::string> warnings;
  std::vector<std::string> problems;
  ConnectionOptions options;
  bool can_connect = false;
  try {
    options = resolve_connection(args.connection, env, prompt_on_terminal, warnings);
    can_connect = true;
  } catch (const UsageFailure& e) {
    problems.push_back("cannot connect: " + e.message);
    try {
      options = resolve_endpoint(args.connection, env, warnings);
    } catch (const UsageFailure&) {
      // Nothing usable: the defaults, for the options file.
    }
  }
  redactor.add(options.password);
  configure_cli_logging(options, env);

  InterruptWatcher watcher;
  TestReport test;
  if (!can_connect) {
    test.text = "not run: " + problems.front() + "\n";
  } else if (args.count <= 0) {
    test.text = "not run: --count 0\n";
  } else {
    test = connection_test(args, options, watcher);
  }

  std::string shared_json;
  std::string shared_summary = "not configured";
  const std::string shared_name =
      args.shared_state.empty() ? options.strategy.shared_state : args.shared_state;
  if (shared_name.empty()) {
    shared_json =
        R"({"configured":false,"note":"no E6DATA_STRATEGY_SHARED_STATE and no --shared-state"})";
  } else {
    const SharedStateLocation where = parse_shared_state_argument(shared_name);
    try {
      const auto slots = read_shared_strategy(where.name, where.directory);
      shared_json = shared_slots_json(where.path(), slots);
      shared_summary = where.path() + ", " + std::to_string(slots.size()) + " slot(s)";
    } catch (const SharedStateError& e) {
      shared_json = nlohmann::ordered_json{{"file", where.path()},
                                           {"error", e.what()},
                                           {"reason", std::string(to_string(e.reason()))}}
                        .dump();
      shared_summary = where.path() + ": " + refusal_text(e);
    }
  }

  std::vector<BundleFile> files;
  files.push_back({"README.txt", kReadme});
  files.push_back({"platform.json", platform_json(now)});
  files.push_back({"options.txt", options_lines(options)});
  files.push_back({"environment.txt", masked_environment(variables)});
  std::string warning_text;
  for (const auto& p : problems) warning_text += p + "\n";
  for (const auto& w : warnings) warning_text += w + "\n";
  files.push_back({"warnings.txt", warning_text.empty() ? "none\n" : warning_text});
  files.push_back({"connection-test.txt", test.text});
  files.push_back({"strategy.json",
                   (test.strategy_json.empty()
                        ? std::string(R"({"note":"no connection succeeded: no strategy state"})")
                        : test.strategy_json) +
                       "\n"});
  files.push_back({"shared-state.json", shared_json + "\n"});
  const std::string& log_output = options.logging.output;
  if (log_output.empty() || log_output == "stderr" || log_output == "stdout") {
    files.push_back(
        {"logs/README.txt", "No connector log file is configured (E6DATA_LOG_OUTPUT=" +
                                (log_output.empty() ? std::string("stderr") : log_output) +
                                "): set E6DATA_LOG_OUTPUT to a file in the applications to collect "
                                "their logs here.\n"});
  } else {
    std::string error;
    const std::string log = read_file(log_output, error);
    const auto slash = log_output.rfind('/');
    const std::string base = slash == std::string::npos ? log_output : log_output.substr(slash + 1);
    if (error.empty()) {
      files.push_back({"logs/" + (base.empty() ? std::string("connector.log") : base),
                       tail_lines(log, args.log_bytes)});
    } else {
      files.push_back({"logs/README.txt", "E6DATA_LOG_OUTPUT=" + log_output + ": " + error + "\n"});
    }
  }
  std::ostringstream summary;
  summary << "e6data-cli support bundle, " << utc_stamp(now, "%Y-%m-%dT%H:%M:%SZ") << '\n'
          << "e6data-cli / library " << E6DATA_VERSION_TEXT << ", gRPC " << grpc_version_string()
          << '\n'
          << "endpoint: "
          << (options.host.empty() ? std::string("(none)") : strategy_endpoint(options))
          << (options.secure ? " (TLS)" : "") << ", user "
          << (options.username.empty() ? std::string("(none)") : options.username) << '\n'
          << "connection test: "
          << (can_connect && args.count > 0
                  ? std::to_string(test.ok) + " of " + std::to_string(test.attempts) +
                        " attempts succeeded" +
                        (test.last_deployment.empty() ? "" : ", deployment " + test.last_deployment)
                  : test.text.substr(0, test.text.size() - 1))
          << '\n'
          << "shared strategy file: " << shared_summary << '\n';
  files.insert(files.begin() + 1, {"summary.txt", summary.str()});

  for (auto& f : files) {
    f.content = redactor.scrub(std::move(f.content));
    if (!redactor.clean(f.content)) {
      std::cerr << "e6data-cli support-bundle: a secret could not be removed from " << f.name
                << ": nothing written\n";
      return kExitFailure;
    }
  }
  try {
    if (args.directory) {
      write_directory(output, files);
    } else {
      write_tar_gz(output, root, files, now);
    }
  } catch (const std::runtime_error& e) {
    std::cerr << "e6data-cli support-bundle: " << e.what() << '\n';
    return kExitFailure;
  }
  std::cout << "wrote " << output << (args.directory ? " (a directory, " : " (") << files.size()
            << " files; secrets removed)\n"
            << redactor.scrub(summary.str());
  if (test.interrupted) return watcher.exit_code();
  return kExitOk;
}

}  // namespace

void add_support_bundle_command(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<BundleArgs>();
  CLI::App* cmd = app.add_subcommand(
      "support-bundle",
      "Collect versions, settings (secrets removed), a connection test, the strategy state and "
      "recent logs into one .tar.gz for a support request");
  cmd->add_option("uri", args->uri, "Connection URI (default: flags and E6DATA_*)");
  cmd->add_option("-o,--output", args->output,
                  "Where to write it (default: ./e6data-support-<UTC time>.tar.gz)");
  cmd->add_flag("--directory", args->directory,
                "Write a directory instead of a .tar.gz (to read it before sending)");
  cmd->add_option("--count", args->count, "Connection test attempts (0: no test)")
      ->check(CLI::Range(0, 1000));
  cmd->add_option("--query", args->query,
                  "SQL each attempt runs after authenticating (\"\": none)");
  cmd->add_option("--shared-state", args->shared_state,
                  "The shared strategy file to include (default: E6DATA_STRATEGY_SHARED_STATE)");
  cmd->add_option("--log-bytes", args->log_bytes,
                  "How much of the end of the connector's log file to include (default 1 MiB)")
      ->check(CLI::Range(std::size_t{0}, std::size_t{1} << 30));
  add_connection_options(*cmd, args->connection);
  cmd->footer(
      R"(One gzip-compressed tar archive (one file to attach; written under a temporary name and renamed,
so a half-written bundle never looks complete; mode 0600), holding a directory
e6data-support-<UTC time>/ with README.txt (what each file is), summary.txt, platform.json,
options.txt, environment.txt, warnings.txt, connection-test.txt, strategy.json,
shared-state.json and logs/. The access token and every secret-named E6DATA_* variable are
removed from every file, also URL-encoded, hex, JSON-escaped or base64-encoded. A failed
connection test is recorded, not fatal: the bundle is written (exit 0) unless writing fails
(exit 1).

Examples:
  e6data-cli support-bundle
  e6data-cli support-bundle --count 10 --query "select count(*) from customers" -o /tmp/case-1234.tar.gz
  E6DATA_LOG_OUTPUT=/var/log/app/e6data.log e6data-cli support-bundle --directory -o bundle)");
  cmd->callback([args, &exit_code] { exit_code = run_bundle(*args); });
}

}  // namespace e6data::cli

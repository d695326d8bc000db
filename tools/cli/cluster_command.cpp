#include "cluster_command.hpp"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>

#include "connection_args.hpp"
#include "e6data/cluster_manager.hpp"
#include "e6data/errors.hpp"
#include "exit_codes.hpp"

namespace e6data::cli {
namespace {

enum class Action { kStatus, kResume, kSuspend };

struct ClusterArgs {
  ConnectionArgs connection;
  std::string uri;
  bool json = false;
  bool wait = false;          // resume: until active
  double wait_timeout_s = 0;  // resume --wait: 0 = the options' auto_resume_timeout
  bool yes = false;           // suspend: without asking
};

const char* name_of(Action action) {
  switch (action) {
    case Action::kStatus:
      return "status";
    case Action::kResume:
      return "resume";
    case Action::kSuspend:
      return "suspend";
  }
  return "";
}

int run_cluster(ClusterArgs& args, Action action) {
  const std::string command = std::string("e6data-cli cluster ") + name_of(action);
  args.connection.uri = args.uri;
  const EnvironmentReader env = EnvironmentReader::process();
  std::vector<std::string> warnings;
  ConnectionOptions options =
      resolve_connection(args.connection, env, prompt_on_terminal, warnings);
  for (const auto& w : warnings) std::cerr << command << ": warning: " << w << '\n';
  configure_cli_logging(options, env);
  if (args.connection.timeout_s > 0) {
    // ClusterManager takes no per-call options: --timeout bounds each of its calls here.
    options.call_timeout =
        std::chrono::seconds(static_cast<std::int64_t>(std::ceil(args.connection.timeout_s)));
  }
  const std::string where = options.host + ":" + std::to_string(options.port) +
                            (options.cluster_name.empty() ? "" : " (" + options.cluster_name + ")");
  if (action == Action::kSuspend && !args.yes) {
    const auto answer =
        confirm_on_terminal("Suspend the cluster at " + where +
                            "? Its sessions and running queries end, for every client");
    if (!answer) {
      throw UsageFailure{"suspending ends the running queries of every client of " + where +
                         ": add --yes (no terminal to ask on)"};
    }
    if (!*answer) {
      std::cout << "not confirmed: nothing changed\n";
      return kExitFailure;
    }
  }
  ClusterManager cluster(options);
  const auto started = std::chrono::steady_clock::now();
  std::string status;
  try {
    switch (action) {
      case Action::kStatus:
        status = cluster.status();
        break;
      case Action::kResume:
        status = cluster.resume(
            args.wait,
            std::chrono::seconds(static_cast<std::int64_t>(args.wait_timeout_s + 0.999)));
        break;
      case Action::kSuspend:
        status = cluster.suspend();
        break;
    }
  } catch (const Error& e) {
    if (args.json) {
      std::cout << nlohmann::ordered_json{{"action", name_of(action)},
                                          {"error", e.what()},
                                          {"kind", std::string(to_string(e.kind()))}}
                       .dump()
                << '\n';
    }
    std::cerr << command << ": " << where << ": " << to_string(e.kind()) << " error: " << e.what()
              << '\n';
    return kExitFailure;
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  if (args.json) {
    std::cout << nlohmann::ordered_json{{"action", name_of(action)},
                                        {"status", status},
                                        {"seconds", seconds}}
                     .dump()
              << '\n';
    return kExitOk;
  }
  char took[32];
  std::snprintf(took, sizeof took, "%.1f s", seconds);
  switch (action) {
    case Action::kStatus:
      std::cout << "cluster at " << where << ": " << status << '\n';
      break;
    case Action::kResume:
      std::cout << "cluster at " << where << ": " << status
                << (args.wait ? std::string(" (waited ") + took + ")"
                              : std::string(" (resume asked; --wait waits until active)"))
                << '\n';
      break;
    case Action::kSuspend:
      std::cout << "cluster at " << where << ": " << status << " (suspend asked)\n";
      break;
  }
  return kExitOk;
}

void add_action(CLI::App& parent, int& exit_code, Action action, const std::string& description,
                const std::string& footer) {
  auto args = std::make_shared<ClusterArgs>();
  CLI::App* cmd = parent.add_subcommand(name_of(action), description);
  cmd->add_option("uri", args->uri, "Connection URI (default: flags and E6DATA_*)");
  cmd->add_flag("--json", args->json,
                "Print {\"action\",\"status\",\"seconds\"} as one JSON object");
  if (action == Action::kResume) {
    cmd->add_flag("--wait", args->wait, "Wait until the cluster is active");
    cmd->add_option("--wait-timeout", args->wait_timeout_s,
                    "Seconds --wait may take (default: E6DATA_AUTO_RESUME_TIMEOUT)")
        ->check(CLI::Range(0.0, 86400.0));
  }
  if (action == Action::kSuspend) {
    cmd->add_flag("-y,--yes", args->yes, "Suspend without asking (required off a terminal)");
  }
  add_connection_options(*cmd, args->connection);
  cmd->footer(footer);
  cmd->callback([args, &exit_code, action] { exit_code = run_cluster(*args, action); });
}

}  // namespace

void add_cluster_command(CLI::App& app, int& exit_code) {
  CLI::App* cmd = app.add_subcommand("cluster", "The cluster's status; resume or suspend it");
  cmd->require_subcommand(1);
  cmd->footer(
      R"(The cluster's own state through the ClusterService (ClusterManager): status prints it
("active", "suspended", "resuming", "suspending", "failed"); resume asks a suspended cluster to
start (with --wait, until it is active); suspend stops it, ending the sessions and running
queries of every client (it asks first on a terminal; --yes otherwise). Connections with
auto-resume resume a suspended cluster by themselves; `cluster resume --wait` does it ahead of
the first query. Exit 0 on success, 1 when the call failed (the error kind is named), 2 usage.

Examples:
  e6data-cli cluster status
  e6data-cli cluster resume --wait --wait-timeout 300
  e6data-cli cluster suspend --yes)");
  add_action(*cmd, exit_code, Action::kStatus, "Print the cluster's status",
             R"(Examples:
  e6data-cli cluster status
  e6data-cli cluster status --json | jq -r .status)");
  add_action(*cmd, exit_code, Action::kResume, "Resume a suspended cluster",
             R"(Examples:
  e6data-cli cluster resume --wait
  e6data-cli cluster resume e6data://ops@10.0.0.5:443?cluster-name=prod --wait --wait-timeout 300)");
  add_action(*cmd, exit_code, Action::kSuspend,
             "Suspend the cluster (ends every client's sessions and running queries)",
             R"(Examples:
  e6data-cli cluster suspend            # asks first on a terminal
  e6data-cli cluster suspend --yes)");
}

}  // namespace e6data::cli

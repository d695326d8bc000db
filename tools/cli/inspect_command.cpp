#include "inspect_command.hpp"

#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>

#include "connection_args.hpp"
#include "e6data/connection.hpp"
#include "e6data/errors.hpp"
#include "exit_codes.hpp"
#include "interrupt_watcher.hpp"
#include "shared_state_view.hpp"
#include "table_printer.hpp"

namespace e6data::cli {
namespace {

struct InspectArgs {
  ConnectionArgs connection;
  std::string uri;
  bool json = false;
  std::string shared_state;  // --shared-state NAME|PATH: read the file, connect nowhere
};

std::string seconds_ago(double seconds) {
  if (seconds < 0) return "never";
  char text[64];
  std::snprintf(text, sizeof text, "%.1f s ago", seconds);
  return text;
}

// Reads the shared strategy file without joining it (read_shared_strategy) and prints every
// slot; a file not safe to trust is refused, saying why.
int run_inspect_shared(const InspectArgs& args) {
  const SharedStateLocation where = parse_shared_state_argument(args.shared_state);
  std::vector<SharedStrategySlot> slots;
  try {
    slots = read_shared_strategy(where.name, where.directory);
  } catch (const SharedStateError& e) {
    if (args.json) {
      std::cout << nlohmann::ordered_json{{"file", where.path()},
                                          {"error", e.what()},
                                          {"reason", std::string(to_string(e.reason()))}}
                       .dump()
                << '\n';
    }
    std::cerr << "e6data-cli inspect: " << refusal_text(e) << '\n';
    return kExitFailure;
  }
  if (args.json) {
    std::cout << shared_slots_json(where.path(), slots) << '\n';
  } else {
    print_shared_slots(std::cout, where.path(), slots);
  }
  return kExitOk;
}

int run_inspect(InspectArgs& args) {
  if (!args.shared_state.empty()) {
    if (!args.uri.empty()) {
      throw UsageFailure{
          "--shared-state reads the file and connects nowhere: give no connection URI with it"};
    }
    return run_inspect_shared(args);
  }
  args.connection.uri = args.uri;
  const EnvironmentReader env = EnvironmentReader::process();
  std::vector<std::string> warnings;
  ConnectionOptions options =
      resolve_connection(args.connection, env, prompt_on_terminal, warnings);
  for (const auto& w : warnings) std::cerr << "e6data-cli inspect: warning: " << w << '\n';
  configure_cli_logging(options, env);
  InterruptWatcher watcher;
  Connection connection(options);
  try {
    // Authenticating detects the deployment when the connector has no fresh strategy.
    connection.authenticate(call_options(args.connection, watcher.next_token()));
  } catch (const Error& e) {
    if (watcher.interrupted()) return watcher.exit_code();
    if (args.json) {
      std::cout << nlohmann::ordered_json{{"error", e.what()},
                                          {"kind", std::string(to_string(e.kind()))}}
                       .dump()
                << '\n';
    }
    std::cerr << "e6data-cli inspect: cannot connect to " << options.host << ':' << options.port
              << ": " << to_string(e.kind()) << " error: " << e.what() << '\n';
    return kExitFailure;
  }
  const StrategySnapshot snapshot = connection.strategy();
  if (args.json) {
    std::cout << snapshot.to_json() << '\n';
    return kExitOk;
  }
  TablePrinter table({"field", "value"});
  for (auto& [field, value] : snapshot_rows(snapshot)) table.add_row({field, value});
  table.print(std::cout);
  return kExitOk;
}

}  // namespace

std::vector<std::pair<std::string, std::string>> snapshot_rows(const StrategySnapshot& snapshot) {
  std::vector<std::pair<std::string, std::string>> rows;
  auto deployment = [](const std::string& d) { return d.empty() ? std::string("(none)") : d; };
  rows.emplace_back("endpoint", snapshot.endpoint);
  rows.emplace_back("active", deployment(snapshot.active));
  rows.emplace_back("pending", deployment(snapshot.pending));
  rows.emplace_back("last check", seconds_ago(snapshot.seconds_since_check));
  rows.emplace_back("last transition", snapshot.last_transition.empty()
                                           ? std::string("(none)")
                                           : snapshot.last_transition + ", " +
                                                 seconds_ago(snapshot.seconds_since_transition));
  rows.emplace_back("bound queries on blue", std::to_string(snapshot.bound_blue));
  rows.emplace_back("bound queries on green", std::to_string(snapshot.bound_green));
  // The counters as the library lists them, so a counter added there shows up here.
  const auto json = nlohmann::ordered_json::parse(snapshot.to_json());
  for (const auto& [name, value] : json.at("counters").items()) {
    rows.emplace_back(name, value.dump());
  }
  return rows;
}

void add_inspect_command(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<InspectArgs>();
  CLI::App* cmd = app.add_subcommand(
      "inspect", "Connect, detect the deployment and print the blue-green strategy state");
  cmd->add_option("uri", args->uri, "Connection URI (default: flags and E6DATA_*)");
  cmd->add_flag("--json", args->json, "Print the state as one JSON object");
  cmd->add_option("--shared-state", args->shared_state,
                  "Read this shared strategy file instead of connecting: a name in /dev/shm "
                  "(E6DATA_STRATEGY_SHARED_STATE) or a path");
  add_connection_options(*cmd, args->connection);
  cmd->footer(
      R"(Prints what the connector in this process knows about the endpoint after connecting:
the active deployment, the pending one during a switch, when the strategy was last confirmed,
the last transition, the queries bound to each deployment and every counter.

With --shared-state NAME it connects nowhere: it reads the shared strategy file that the
applications on this host use (E6DATA_STRATEGY_SHARED_STATE=NAME, /dev/shm/NAME) without joining
it, and prints every endpoint slot: active, pending, last check, generation. A file that is not
safe to trust (a link, another user's, writable by the group or others) is refused, saying why.

Examples:
  e6data-cli inspect e6data://demo@127.0.0.1:50051
  e6data-cli inspect --json | jq .active
  e6data-cli inspect --shared-state "$E6DATA_STRATEGY_SHARED_STATE")");
  cmd->callback([args, &exit_code] { exit_code = run_inspect(*args); });
}

}  // namespace e6data::cli

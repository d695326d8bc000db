#include "strategy_command.hpp"

#include <iostream>
#include <optional>

#include "connection_args.hpp"
#include "e6data/errors.hpp"
#include "e6data/strategy.hpp"
#include "exit_codes.hpp"
#include "shared_state_view.hpp"

namespace e6data::cli {
namespace {

struct StrategyArgs {
  ConnectionArgs connection;
  std::string uri;
  std::string shared_state;  // --shared-state; else the options' (E6DATA_STRATEGY_SHARED_STATE)
  bool yes = false;
};

enum class Action { kClear, kApplyPending };

int run_strategy(StrategyArgs& args, Action action) {
  const char* const command =
      action == Action::kClear ? "e6data-cli strategy clear" : "e6data-cli strategy apply-pending";
  args.connection.uri = args.uri;
  const EnvironmentReader env = EnvironmentReader::process();
  std::vector<std::string> warnings;
  ConnectionOptions options = resolve_endpoint(args.connection, env, warnings);
  for (const auto& w : warnings) std::cerr << command << ": warning: " << w << '\n';
  if (!args.shared_state.empty()) {
    const SharedStateLocation where = parse_shared_state_argument(args.shared_state);
    if (where.directory != "/dev/shm") {
      throw UsageFailure{"--shared-state " + args.shared_state +
                         ": the connector keeps shared strategy files in /dev/shm; give the name"};
    }
    options.strategy.shared_state = where.name;
  }
  if (options.strategy.shared_state.empty()) {
    throw UsageFailure{
        "no shared strategy file: give --shared-state NAME or set E6DATA_STRATEGY_SHARED_STATE. "
        "Without one, each application keeps its strategy in its own process (this one has "
        "none): call clear_strategy_cache / apply_pending_strategy there, or restart it"};
  }
  configure_cli_logging(options, env);
  const std::string endpoint = strategy_endpoint(options);
  const SharedStateLocation where{"/dev/shm", options.strategy.shared_state};
  std::vector<SharedStrategySlot> before;
  try {
    before = read_shared_strategy(where.name, where.directory);
  } catch (const SharedStateError& e) {
    std::cerr << command << ": " << refusal_text(e) << '\n';
    return kExitFailure;
  }
  const SharedStrategySlot* slot = find_slot(before, endpoint);
  if (slot == nullptr) {
    std::cout << where.path() << ": no slot for " << endpoint
              << " (no process sharing the file has used this endpoint)";
    if (action == Action::kClear) {
      std::cout << ": nothing to clear\n";
      return kExitOk;
    }
    std::cout << ": nothing to apply\n";
    return kExitFailure;
  }
  std::cout << where.path() << ", " << endpoint << ": " << describe_slot(*slot) << '\n';
  if (action == Action::kApplyPending && slot->pending.empty()) {
    std::cout << "no switch is pending: nothing to apply\n";
    return kExitFailure;
  }
  if (action == Action::kClear && slot->active.empty() && slot->pending.empty()) {
    std::cout << "nothing is cached: nothing to clear\n";
    return kExitOk;
  }
  if (!args.yes) {
    const std::string question =
        action == Action::kClear
            ? "Forget this strategy for every process on this host that shares " + where.path() +
                  " (each detects the deployment on its next call)?"
            : "Make " + slot->pending + " active now for every process on this host that shares " +
                  where.path() + " (queries still on " + slot->active + " may be cut)?";
    const auto answer = confirm_on_terminal(question);
    if (!answer) {
      throw UsageFailure{"this changes what every process on this host that shares " +
                         where.path() + " uses: add --yes (no terminal to ask on)"};
    }
    if (!*answer) {
      std::cout << "not confirmed: nothing changed\n";
      return kExitFailure;
    }
  }
  bool done = false;
  try {
    done =
        action == Action::kClear ? clear_strategy_cache(options) : apply_pending_strategy(options);
  } catch (const SharedStateError& e) {
    std::cerr << command << ": " << refusal_text(e) << '\n';
    return kExitFailure;
  }
  std::vector<SharedStrategySlot> after = read_shared_strategy(where.name, where.directory);
  const SharedStrategySlot* now = find_slot(after, endpoint);
  if (action == Action::kClear) {
    std::cout << (done ? "cleared: every process sharing the file detects the deployment on its "
                         "next call\n"
                       : "nothing was cached\n");
  } else {
    std::cout << (done ? "applied: new work of every process sharing the file goes to " +
                             (now != nullptr ? now->active : std::string("the new deployment")) +
                             "\n"
                       : "no switch was pending any more: nothing applied\n");
  }
  if (now != nullptr) std::cout << "now: " << describe_slot(*now) << '\n';
  return done || action == Action::kClear ? kExitOk : kExitFailure;
}

void add_action(CLI::App& parent, int& exit_code, Action action) {
  auto args = std::make_shared<StrategyArgs>();
  CLI::App* cmd =
      action == Action::kClear
          ? parent.add_subcommand("clear",
                                  "Forget the endpoint's strategy in the shared strategy file, "
                                  "so every process sharing it detects again")
          : parent.add_subcommand("apply-pending",
                                  "Complete the endpoint's pending switch in the shared strategy "
                                  "file now");
  cmd->add_option("uri", args->uri,
                  "Connection URI naming the endpoint (default: flags and E6DATA_*)");
  cmd->add_option("--shared-state", args->shared_state,
                  "The shared strategy file's name in /dev/shm (default: "
                  "E6DATA_STRATEGY_SHARED_STATE)");
  cmd->add_flag("-y,--yes", args->yes, "Do it without asking (required when not on a terminal)");
  add_connection_options(*cmd, args->connection);
  cmd->footer(action == Action::kClear ? R"(Examples:
  e6data-cli strategy clear --shared-state workers --yes
  E6DATA_STRATEGY_SHARED_STATE=workers e6data-cli strategy clear --host 10.0.0.5 --port 443
See "e6data-cli strategy --help".)"
                                       : R"(Examples:
  e6data-cli strategy apply-pending --shared-state workers --yes
  e6data-cli inspect --shared-state workers   # what is pending, per endpoint
See "e6data-cli strategy --help".)");
  cmd->callback([args, &exit_code, action] { exit_code = run_strategy(*args, action); });
}

}  // namespace

void add_strategy_command(CLI::App& app, int& exit_code) {
  CLI::App* cmd = app.add_subcommand(
      "strategy", "Operator actions on the strategy every process on this host shares");
  cmd->require_subcommand(1);
  add_action(*cmd, exit_code, Action::kClear);
  add_action(*cmd, exit_code, Action::kApplyPending);
  cmd->footer(
      R"(The strategy (which deployment takes new work) of applications that share a strategy file
(E6DATA_STRATEGY_SHARED_STATE=NAME, /dev/shm/NAME) is one slot per endpoint in that file; these
actions change that slot, so they change what every such process on this host uses. They make
no network call and need no token; the endpoint (host, port, cluster) comes from the URI, the
flags or E6DATA_*. On a terminal they ask before changing anything; otherwise add --yes.

  clear          forget the endpoint's strategy: every process detects the deployment again on
                 its next call (e.g. after a deployment was replaced outside a blue-green switch)
  apply-pending  complete an announced switch now: the pending deployment becomes active at
                 once, without waiting for queries still bound to the old one (which its drain
                 may then cut)

Exit status: 0 done (clear: also when nothing was cached), 1 nothing to apply, a file refused or
not confirmed, 2 usage (no shared file configured; not on a terminal without --yes).

Examples:
  e6data-cli inspect --shared-state workers
  e6data-cli strategy clear --shared-state workers --yes e6data://demo@10.0.0.5:443/?cluster-name=prod
  E6DATA_STRATEGY_SHARED_STATE=workers e6data-cli strategy apply-pending --yes)");
}

}  // namespace e6data::cli

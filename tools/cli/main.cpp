// e6data-cli: run SQL against e6data and diagnose the connector during blue-green deployments.

#include <CLI/CLI.hpp>
#include <iostream>

#include "cluster_command.hpp"
#include "decode_command.hpp"
#include "e6data/errors.hpp"
#include "exit_codes.hpp"
#include "inspect_command.hpp"
#include "metrics_command.hpp"
#include "monitor_command.hpp"
#include "query_command.hpp"
#include "shell_command.hpp"
#include "strategy_command.hpp"
#include "support_bundle_command.hpp"
#include "test_connection_command.hpp"

namespace {

constexpr const char* kFooter =
    R"(Connection settings (every subcommand but decode): a URI argument
(e6data://user@host:port/catalog/database?key=value; e6datas:// for TLS), or --host, --port,
--user, ..., else the E6DATA_* environment (E6DATA_HOST, E6DATA_PORT, E6DATA_USERNAME,
E6DATA_PASSWORD, E6DATA_CATALOG, ...). The access token comes from E6DATA_PASSWORD,
--password-file or a prompt on the terminal; it is never printed.

Exit status: 0 success, 1 the operation failed, 2 usage error, 130 interrupted (Ctrl-C).

Examples:
  e6data-cli query -c "select 1"
  e6data-cli shell
  e6data-cli test-connection --count 10
  e6data-cli inspect --json
  e6data-cli monitor --jsonl
  e6data-cli inspect --shared-state workers
  e6data-cli strategy clear --shared-state workers --yes
  e6data-cli cluster resume --wait
  e6data-cli support-bundle
  e6data-cli metrics --query "select 1"
  e6data-cli decode batch.bin
Run "e6data-cli SUBCOMMAND --help" for each subcommand's options and examples.)";

}  // namespace

int main(int argc, char** argv) {
  CLI::App app("e6data-cli: run SQL on e6data and diagnose the connector", "e6data-cli");
  app.require_subcommand(1);
  app.set_version_flag("--version", "e6data-cli " E6DATA_VERSION_TEXT);
  app.footer(kFooter);
  int exit_code = e6data::cli::kExitOk;
  e6data::cli::add_query_command(app, exit_code);
  e6data::cli::add_shell_command(app, exit_code);
  e6data::cli::add_test_connection_command(app, exit_code);
  e6data::cli::add_inspect_command(app, exit_code);
  e6data::cli::add_monitor_command(app, exit_code);
  e6data::cli::add_strategy_command(app, exit_code);
  e6data::cli::add_cluster_command(app, exit_code);
  e6data::cli::add_support_bundle_command(app, exit_code);
  e6data::cli::add_metrics_command(app, exit_code);
  e6data::cli::add_decode_command(app, exit_code);
  auto command_name = [&app] {
    std::string name = "e6data-cli";
    for (const CLI::App* at = &app; !at->get_subcommands().empty();) {
      at = at->get_subcommands().front();
      name += " " + at->get_name();
    }
    return name;
  };
  // CLI11 would only say "A subcommand is required" for a misspelt one: name it.
  if (argc > 1 && argv[1][0] != '-') {
    const std::string first = argv[1];
    bool known = true;
    try {
      (void)app.get_subcommand(first);
    } catch (const CLI::OptionNotFound&) {
      known = false;
    }
    if (!known) {
      std::cerr << "e6data-cli: unknown subcommand '" << first
                << "' (query, shell, test-connection, inspect, monitor, strategy, cluster, "
                   "support-bundle, metrics, decode; see e6data-cli --help)\n";
      return e6data::cli::kExitUsage;
    }
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? e6data::cli::kExitOk : e6data::cli::kExitUsage;
  } catch (const e6data::cli::UsageFailure& e) {
    std::cerr << command_name() << ": " << e.message << '\n';
    return e6data::cli::kExitUsage;
  } catch (const e6data::UsageError& e) {
    std::cerr << command_name() << ": " << e.what() << '\n';
    return e6data::cli::kExitUsage;
  } catch (const e6data::Error& e) {
    std::cerr << command_name() << ": " << e6data::to_string(e.kind()) << " error: " << e.what()
              << '\n';
    return e6data::cli::kExitFailure;
  } catch (const std::exception& e) {
    std::cerr << command_name() << ": " << e.what() << '\n';
    return e6data::cli::kExitFailure;
  }
  return exit_code;
}

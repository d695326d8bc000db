#include "metrics_command.hpp"

#include <chrono>
#include <cmath>
#include <iostream>
#include <memory>

#include "connection_args.hpp"
#include "e6data/connection.hpp"
#include "e6data/cursor.hpp"
#include "e6data/errors.hpp"
#include "e6data/metrics.hpp"
#include "exit_codes.hpp"

namespace e6data::cli {
namespace {

struct MetricsArgs {
  ConnectionArgs connection;
  std::string uri;
  std::string query;        // --query: run and read it before printing
  bool no_connect = false;  // print without connecting (the names and types only)
};

int run_metrics(MetricsArgs& args) {
  const char* const command = "e6data-cli metrics";
  args.connection.uri = args.uri;
  const EnvironmentReader env = EnvironmentReader::process();
  std::vector<std::string> warnings;
  ConnectionOptions options =
      resolve_connection(args.connection, env, prompt_on_terminal, warnings);
  for (const auto& w : warnings) std::cerr << command << ": warning: " << w << '\n';
  configure_cli_logging(options, env);
  QueryOptions call;
  if (args.connection.timeout_s > 0) {
    call.timeout = std::chrono::milliseconds(
        static_cast<std::int64_t>(std::ceil(args.connection.timeout_s * 1000)));
  }
  try {
    Connection connection(options);
    connection.authenticate(call);
    if (!args.query.empty()) {
      Cursor cursor = connection.cursor();
      cursor.execute(args.query, call);
      while (cursor.next_batch(call)) {
      }
      cursor.clear(call);
    }
  } catch (const Error& e) {
    // The failure is counted too: print the metrics, then fail.
    std::cerr << command << ": " << to_string(e.kind()) << " error: " << e.what() << '\n';
    std::cout << metrics_text();
    return kExitFailure;
  }
  std::cout << metrics_text();
  return kExitOk;
}

}  // namespace

void add_metrics_command(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<MetricsArgs>();
  CLI::App* cmd = app.add_subcommand(
      "metrics", "Connect (and run --query), then print the library's metrics (Prometheus text)");
  cmd->add_option("uri", args->uri, "Connection URI (default: flags and E6DATA_*)");
  cmd->add_option("-q,--query", args->query, "A statement to run and read before printing");
  add_connection_options(*cmd, args->connection);
  cmd->footer(
      R"(Prints e6data::metrics_text() of this process after it connected (detecting the active
deployment) and ran --query: the same series, names and types an application exports (see
docs/observability.md; applications serve them at E6DATA_METRICS_ADDRESS). Metrics are per
process: to see an application's numbers, scrape its endpoint (curl http://HOST:PORT/metrics).
Exit 0 on success, 1 when the connection or the query failed (the metrics are printed anyway,
with the failure counted), 2 usage.

Examples:
  e6data-cli metrics --query "select count(*) from orders"
  e6data-cli metrics e6data://ops@10.0.0.5:443/main?cluster-name=prod | grep e6data_)");
  cmd->callback([args, &exit_code] { exit_code = run_metrics(*args); });
}

}  // namespace e6data::cli

#pragma once
// `e6data-cli metrics`: the library's metrics (Prometheus text) after a connection, and a query
// when asked, so an operator sees the series and their names as the application exports them.

#include <CLI/CLI.hpp>

namespace e6data::cli {

// Adds the subcommand to `app`; its callback sets `exit_code`.
void add_metrics_command(CLI::App& app, int& exit_code);

}  // namespace e6data::cli

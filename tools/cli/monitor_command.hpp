#pragma once
// `e6data-cli monitor`: watches an endpoint's blue-green strategy and prints each change.

#include <CLI/CLI.hpp>

namespace e6data::cli {

// Adds the subcommand to `app`; its callback sets `exit_code`.
void add_monitor_command(CLI::App& app, int& exit_code);

}  // namespace e6data::cli

#pragma once
// `e6data-cli query`: runs SQL from -c, -f or standard input and prints the results.

#include <CLI/CLI.hpp>

namespace e6data::cli {

// Adds the subcommand to `app`; its callback sets `exit_code`.
void add_query_command(CLI::App& app, int& exit_code);

}  // namespace e6data::cli

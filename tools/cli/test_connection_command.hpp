#pragma once
// `e6data-cli test-connection`: repeated connect + authenticate (+ a query), timed.

#include <CLI/CLI.hpp>

namespace e6data::cli {

// Adds the subcommand to `app`; its callback sets `exit_code`.
void add_test_connection_command(CLI::App& app, int& exit_code);

}  // namespace e6data::cli

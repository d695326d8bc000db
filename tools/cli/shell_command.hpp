#pragma once
// `e6data-cli shell`: an interactive SQL shell (libedit line editing and history).

#include <CLI/CLI.hpp>

namespace e6data::cli {

// Adds the subcommand to `app`; its callback sets `exit_code`.
void add_shell_command(CLI::App& app, int& exit_code);

}  // namespace e6data::cli

#pragma once
// `e6data-cli strategy clear|apply-pending`: the operator actions of e6data's zero-downtime
// guide on the strategy file that the processes on this host share.

#include <CLI/CLI.hpp>

namespace e6data::cli {

// Adds the subcommand to `app`; its callbacks set `exit_code`.
void add_strategy_command(CLI::App& app, int& exit_code);

}  // namespace e6data::cli

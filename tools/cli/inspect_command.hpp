#pragma once
// `e6data-cli inspect`: the connector's blue-green strategy state for an endpoint.

#include <CLI/CLI.hpp>
#include <string>

#include "e6data/strategy.hpp"

namespace e6data::cli {

// Adds the subcommand to `app`; its callback sets `exit_code`.
void add_inspect_command(CLI::App& app, int& exit_code);

// The snapshot as "field | value" rows: every field of StrategySnapshot::to_json(), counters
// included, with times as "1.2 s ago" / "never" and empty deployments as "(none)".
std::vector<std::pair<std::string, std::string>> snapshot_rows(const StrategySnapshot& snapshot);

}  // namespace e6data::cli

#pragma once
// `e6data-cli cluster status|resume|suspend`: the cluster's own state, through ClusterManager.

#include <CLI/CLI.hpp>

namespace e6data::cli {

// Adds the subcommand to `app`; its callbacks set `exit_code`.
void add_cluster_command(CLI::App& app, int& exit_code);

}  // namespace e6data::cli

#pragma once
// `e6data-cli support-bundle`: everything support needs to see about this host's connector, in
// one .tar.gz with the secrets removed.

#include <CLI/CLI.hpp>

namespace e6data::cli {

// Adds the subcommand to `app`; its callback sets `exit_code`.
void add_support_bundle_command(CLI::App& app, int& exit_code);

}  // namespace e6data::cli

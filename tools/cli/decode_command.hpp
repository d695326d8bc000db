#pragma once
// `e6data-cli decode`: decodes a captured result batch or result metadata payload.

#include <CLI/CLI.hpp>

namespace e6data::cli {

// Adds the subcommand to `app`; its callback sets `exit_code`.
void add_decode_command(CLI::App& app, int& exit_code);

}  // namespace e6data::cli

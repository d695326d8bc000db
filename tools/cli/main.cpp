// e6data-cli: the operator's tool for the e6data connector.

#include <CLI/CLI.hpp>

#include "decode_command.hpp"

int main(int argc, char** argv) {
  CLI::App app("e6data-cli: tools for the e6data C++ connector", "e6data-cli");
  app.require_subcommand(1);
  app.set_version_flag("--version", "e6data-cli 0.1.0");
  int exit_code = 0;
  e6data::cli::add_decode_command(app, exit_code);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? 0 : 2;  // usage errors exit 2; decoding errors exit 1
  }
  return exit_code;
}

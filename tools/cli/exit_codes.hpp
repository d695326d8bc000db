#pragma once
// The exit codes of every e6data-cli subcommand (docs/cli.md, "Exit codes").

#include <string>

namespace e6data::cli {

inline constexpr int kExitOk = 0;
// The operation failed: a query error, a failed connection attempt, an undecodable payload.
inline constexpr int kExitFailure = 1;
// The command line or the connection settings are wrong; nothing was attempted.
inline constexpr int kExitUsage = 2;
// 128 + SIGINT: the user pressed Ctrl-C (after the running query was cancelled on the server).
inline constexpr int kExitInterrupted = 130;

// Thrown by argument checks that CLI11 cannot express (e.g. conflicting connection settings);
// main() prints "e6data-cli <subcommand>: <message>" and exits kExitUsage.
struct UsageFailure {
  std::string message;
};

}  // namespace e6data::cli

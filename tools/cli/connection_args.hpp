#pragma once
// Connection settings shared by every subcommand that talks to a cluster: a URI argument or
// --host/--port/--user/..., else the E6DATA_* environment exactly as the library reads it
// (ConnectionOptions::from_uri + fill_from_env); the token from the environment, the URI,
// --password-file or a prompt on the terminal. The token is never printed.

#include <CLI/CLI.hpp>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "e6data/options.hpp"
#include "e6data/query_options.hpp"

namespace e6data::cli {

struct ConnectionArgs {
  std::string uri;  // e6data://user@host:port/catalog/database?key=value; empty when not given
  std::optional<std::string> host;
  std::optional<int> port;
  std::optional<std::string> user;
  std::optional<std::string> catalog;
  std::optional<std::string> database;
  std::optional<std::string> cluster_name;
  std::optional<std::string> ca_certificate;
  std::optional<std::string> password_file;
  bool secure = false;
  bool no_prompt = false;
  double timeout_s = 0;  // per call; 0 = the library's defaults
};

// Adds --host, --port, --user, --catalog, --database, --cluster-name, --secure,
// --ca-certificate, --password-file, --no-password-prompt and --timeout to `cmd`, in a
// "Connection" group. The URI positional (or the SQL/URI mix of `query`) is the command's own.
void add_connection_options(CLI::App& cmd, ConnectionArgs& args);

// True when `text` is a connection URI (e6data:// or e6datas://).
bool looks_like_uri(const std::string& text);

// Asks for the token; nullopt when nobody can be asked (no terminal).
using PasswordPrompt = std::function<std::optional<std::string>(const std::string& question)>;

// The options in force, in this order: the URI (or defaults), the E6DATA_* variables for every
// field the URI left at its default (ConnectionOptions::fill_from_env), then the flags, which win
// over both. The token comes from --password-file, else the URI or E6DATA_PASSWORD, else
// `prompt`. Environment issues are appended to `warnings` (they never contain a secret).
// \throws UsageFailure naming every problem (ConnectionOptions::validate, a bad URI, an
// unreadable password file, no token and no terminal); messages never contain the token.
ConnectionOptions resolve_connection(const ConnectionArgs& args, const EnvironmentReader& env,
                                     const PasswordPrompt& prompt,
                                     std::vector<std::string>& warnings);

// The same settings without credentials, for commands that only name an endpoint (host, port,
// cluster, shared state) and make no call: no user or token is needed or asked for.
// \throws UsageFailure when there is no host or a setting is invalid
ConnectionOptions resolve_endpoint(const ConnectionArgs& args, const EnvironmentReader& env,
                                   std::vector<std::string>& warnings);

// Reads a token from /dev/tty with echo off; nullopt when there is no terminal.
std::optional<std::string> prompt_on_terminal(const std::string& question);

// Asks `question` (with " [y/N] ") on the terminal; true for y or yes. nullopt when standard
// input is not a terminal: the caller then needs --yes.
std::optional<bool> confirm_on_terminal(const std::string& question);

// The per-call settings of --timeout with `cancel`.
QueryOptions call_options(const ConnectionArgs& args,
                          std::shared_ptr<CancellationToken> cancel = nullptr);

// Applies the logging settings: the connector's loggers at WARNING unless E6DATA_LOG_LEVEL /
// E6DATA_STRATEGY_LOG_LEVEL say otherwise (INFO strategy events would drown the output).
void configure_cli_logging(ConnectionOptions& options, const EnvironmentReader& env);

}  // namespace e6data::cli

#include "connection_args.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <sstream>

#include "e6data/errors.hpp"
#include "e6data/logging.hpp"
#include "exit_codes.hpp"

namespace e6data::cli {
namespace {

std::string read_password_file(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    throw UsageFailure{"--password-file " + path + ": " + std::strerror(errno)};
  }
  if (S_ISDIR(st.st_mode)) throw UsageFailure{"--password-file " + path + ": is a directory"};
  std::ifstream in(path, std::ios::binary);
  if (!in) throw UsageFailure{"--password-file " + path + ": cannot open it"};
  std::ostringstream buffer;
  buffer << in.rdbuf();
  std::string token = buffer.str();
  // One trailing line end is the file's, not the token's (`echo TOKEN > file`).
  if (!token.empty() && token.back() == '\n') token.pop_back();
  if (!token.empty() && token.back() == '\r') token.pop_back();
  if (token.empty()) throw UsageFailure{"--password-file " + path + ": the file is empty"};
  return token;
}

std::string join_problems(const std::vector<std::string>& problems) {
  std::string out;
  for (const auto& p : problems) out += (out.empty() ? "" : "; ") + p;
  return out;
}

// The terminal state the prompt changed, for the SIGINT handler to put back.
int g_tty_fd = -1;
struct termios g_saved_tty {};

extern "C" void restore_tty_and_exit(int) {
  // Only async-signal-safe calls: tcsetattr, write, _exit.
  if (g_tty_fd >= 0) ::tcsetattr(g_tty_fd, TCSAFLUSH, &g_saved_tty);
  static const char kNewline[] = "\n";
  if (g_tty_fd >= 0) (void)!::write(g_tty_fd, kNewline, 1);
  ::_exit(kExitInterrupted);
}

}  // namespace

void add_connection_options(CLI::App& cmd, ConnectionArgs& args) {
  const std::string group = "Connection (default: the E6DATA_* environment)";
  cmd.add_option("--host", args.host, "Host name or address (E6DATA_HOST)")->group(group);
  cmd.add_option("--port", args.port, "Port (E6DATA_PORT; default 80)")
      ->check(CLI::Range(1, 65535))
      ->group(group);
  cmd.add_option("--user", args.user, "User name, an e-mail (E6DATA_USERNAME)")->group(group);
  cmd.add_option("--catalog", args.catalog, "Catalog (E6DATA_CATALOG)")->group(group);
  cmd.add_option("--database", args.database, "Database (schema) (E6DATA_DATABASE)")->group(group);
  cmd.add_option("--cluster-name", args.cluster_name, "Cluster name (E6DATA_CLUSTER_NAME)")
      ->group(group);
  cmd.add_flag("--secure", args.secure, "Use TLS (E6DATA_SECURE)")->group(group);
  cmd.add_option("--ca-certificate", args.ca_certificate, "CA bundle (PEM file) for --secure")
      ->group(group);
  cmd.add_option("--password-file", args.password_file,
                 "Read the access token from this file (else E6DATA_PASSWORD, else a prompt)")
      ->group(group);
  cmd.add_flag("--no-password-prompt", args.no_prompt,
               "Never prompt for the token; fail when none is configured")
      ->group(group);
  cmd.add_option("--timeout", args.timeout_s,
                 "Seconds each call may take (0: the connector's defaults)")
      ->check(CLI::Range(0.0, 86400.0))
      ->group(group);
}

bool looks_like_uri(const std::string& text) {
  return text.rfind("e6data://", 0) == 0 || text.rfind("e6datas://", 0) == 0;
}

namespace {

// The URI, then the environment, then the flags; no check of what is missing.
ConnectionOptions resolve_settings(const ConnectionArgs& args, const EnvironmentReader& env,
                                   std::vector<std::string>& warnings) {
  ConnectionOptions options;
  if (!args.uri.empty()) {
    try {
      options = ConnectionOptions::from_uri(args.uri);
    } catch (const Error& e) {
      throw UsageFailure{std::string("bad connection URI: ") + e.what()};
    }
  }
  std::vector<ConfigIssue> issues;
  options.fill_from_env(env, &issues);
  // As loud as the library: a value not of its type is a usage error naming the variable (the
  // library's own message, from a read without a list of issues); a clamped one is a warning.
  const bool unusable = std::any_of(issues.begin(), issues.end(), [](const ConfigIssue& i) {
    return i.severity == ConfigIssue::Severity::kError;
  });
  if (unusable) {
    try {
      ConnectionOptions scratch;
      scratch.fill_from_env(env);
    } catch (const UsageError& e) {
      throw UsageFailure{e.what()};
    }
  }
  for (const auto& issue : issues) warnings.push_back(issue.variable + ": " + issue.message);

  // Flags are the user's own words for this run: they win over the URI and the environment.
  if (args.host) options.host = *args.host;
  if (args.port) options.port = *args.port;
  if (args.user) options.username = *args.user;
  if (args.catalog) options.catalog = *args.catalog;
  if (args.database) options.database = *args.database;
  if (args.cluster_name) options.cluster_name = *args.cluster_name;
  if (args.secure) options.secure = true;
  if (args.ca_certificate) options.ca_certificate = *args.ca_certificate;
  if (args.password_file) options.password = read_password_file(*args.password_file);
  return options;
}

}  // namespace

ConnectionOptions resolve_endpoint(const ConnectionArgs& args, const EnvironmentReader& env,
                                   std::vector<std::string>& warnings) {
  ConnectionOptions options = resolve_settings(args, env, warnings);
  if (options.host.empty()) throw UsageFailure{"no host: give a URI, --host or E6DATA_HOST"};
  // Only the endpoint's own settings matter here: no user or token is needed.
  std::vector<std::string> problems;
  for (auto& p : options.validate()) {
    if (p != "username is required" && p != "password (the access token) is required") {
      problems.push_back(p);
    }
  }
  if (!problems.empty()) throw UsageFailure{join_problems(problems)};
  return options;
}

ConnectionOptions resolve_connection(const ConnectionArgs& args, const EnvironmentReader& env,
                                     const PasswordPrompt& prompt,
                                     std::vector<std::string>& warnings) {
  ConnectionOptions options = resolve_settings(args, env, warnings);
  std::vector<std::string> missing;
  if (options.host.empty()) missing.push_back("no host: give a URI, --host or E6DATA_HOST");
  if (options.username.empty()) {
    missing.push_back("no user: give a URI, --user or E6DATA_USERNAME");
  }
  if (!missing.empty()) throw UsageFailure{join_problems(missing)};
  if (options.password.empty()) {
    std::optional<std::string> token;
    if (!args.no_prompt && prompt) {
      token = prompt("Access token for " + options.username + " at " + options.host + ": ");
    }
    if (!token || token->empty()) {
      throw UsageFailure{
          "no access token: set E6DATA_PASSWORD, use --password-file or run on a terminal to be "
          "asked"};
    }
    options.password = *token;
  }
  if (auto problems = options.validate(); !problems.empty()) {
    throw UsageFailure{join_problems(problems)};
  }
  return options;
}

std::optional<std::string> prompt_on_terminal(const std::string& question) {
  const int fd = ::open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  struct termios saved {};
  const bool is_tty = ::tcgetattr(fd, &saved) == 0;
  if (!is_tty) {
    ::close(fd);
    return std::nullopt;
  }
  g_saved_tty = saved;
  g_tty_fd = fd;
  struct sigaction on_interrupt {};
  struct sigaction previous {};
  on_interrupt.sa_handler = restore_tty_and_exit;
  sigemptyset(&on_interrupt.sa_mask);
  ::sigaction(SIGINT, &on_interrupt, &previous);
  struct termios quiet = saved;
  quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
  quiet.c_lflag |= ECHONL;
  ::tcsetattr(fd, TCSAFLUSH, &quiet);
  (void)!::write(fd, question.data(), question.size());
  std::string token;
  char c = 0;
  while (::read(fd, &c, 1) == 1 && c != '\n') token += c;
  ::tcsetattr(fd, TCSAFLUSH, &saved);
  ::sigaction(SIGINT, &previous, nullptr);
  g_tty_fd = -1;
  ::close(fd);
  if (!token.empty() && token.back() == '\r') token.pop_back();
  return token;
}

std::optional<bool> confirm_on_terminal(const std::string& question) {
  if (::isatty(STDIN_FILENO) == 0) return std::nullopt;
  const int fd = ::open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  const std::string prompt = question + " [y/N] ";
  (void)!::write(fd, prompt.data(), prompt.size());
  std::string answer;
  char c = 0;
  while (::read(fd, &c, 1) == 1 && c != '\n') answer += c;
  ::close(fd);
  if (!answer.empty() && answer.back() == '\r') answer.pop_back();
  return answer == "y" || answer == "Y" || answer == "yes" || answer == "YES";
}

QueryOptions call_options(const ConnectionArgs& args, std::shared_ptr<CancellationToken> cancel) {
  QueryOptions options;
  options.timeout = std::chrono::milliseconds(static_cast<std::int64_t>(args.timeout_s * 1000));
  options.cancel = std::move(cancel);
  return options;
}

void configure_cli_logging(ConnectionOptions& options, const EnvironmentReader& env) {
  if (!env.get("E6DATA_LOG_LEVEL")) {
    options.logging.level = LogLevel::kWarning;
    if (!env.get("E6DATA_STRATEGY_LOG_LEVEL")) options.logging.strategy_level = LogLevel::kWarning;
  }
  configure_logging(options.logging, options.debug);
}

}  // namespace e6data::cli

#include "shell_command.hpp"

// libedit (BSD-licensed; readline is GPL) through its readline-compatible interface.
#include <editline/readline.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <iomanip>
#include <iostream>
#include <mutex>
#include <thread>

#ifndef E6DATA_VERSION_TEXT
#define E6DATA_VERSION_TEXT "unknown"
#endif

#include "connection_args.hpp"
#include "e6data/connection.hpp"
#include "e6data/errors.hpp"
#include "e6data/query_options.hpp"
#include "exit_codes.hpp"
#include "inspect_command.hpp"
#include "result_writer.hpp"
#include "shell_input.hpp"
#include "table_printer.hpp"

namespace e6data::cli {
namespace {

using Clock = std::chrono::steady_clock;

constexpr std::chrono::milliseconds kCancelCallTimeout{3000};
constexpr int kHistoryEntries = 1000;

constexpr const char* kHelp = R"(Statements end with ';' and may span lines. Commands:
  \d              list the schemas (of the catalog in use)
  \dt [SCHEMA]    list the tables of SCHEMA (default: the database in use)
  \d TABLE        describe TABLE (SCHEMA.TABLE, or TABLE in the database in use)
  \timing [on|off]  show each statement's time and query id
  \format [NAME]  show or set the output format: table, vertical, csv, tsv, json, jsonl, markdown
  \x [on|off]     vertical (expanded) output, one block per row
  \strategy       the connector's blue-green state for this endpoint (as e6data-cli inspect)
  \r              forget the statement typed so far
  \?              this help
  \q              quit (also Ctrl-D)
Ctrl-C cancels the running statement on the server and returns to the prompt.)";

// SIGINT and SIGTERM, received by a thread of their own (sigwait) so that cancelling runs as
// ordinary code. Unlike InterruptWatcher, a shell lives through many interrupts: each cancels
// the operation running then. In a non-interactive shell, and for SIGTERM, the shell ends
// after the running operation is cancelled.
class ShellInterrupts {
 public:
  explicit ShellInterrupts(bool interactive) : interactive_(interactive) {
    const sigset_t set = signals();
    pthread_sigmask(SIG_BLOCK, &set, nullptr);
    thread_ = std::thread([this] { watch(); });
  }
  ~ShellInterrupts() {
    pthread_kill(thread_.native_handle(), SIGUSR2);
    thread_.join();
  }
  ShellInterrupts(const ShellInterrupts&) = delete;
  ShellInterrupts& operator=(const ShellInterrupts&) = delete;

  // The token of the operation starting now; `on_interrupt` runs first on an interrupt (e.g.
  // Cursor::cancel, which stops the query on the server).
  std::shared_ptr<CancellationToken> begin(std::function<void()> on_interrupt = {}) {
    auto token = std::make_shared<CancellationToken>();
    std::lock_guard lock(mutex_);
    token_ = token;
    action_ = std::move(on_interrupt);
    hit_ = false;
    return token;
  }
  // The operation ended; true when an interrupt cancelled it.
  bool end() {
    std::lock_guard lock(mutex_);
    token_.reset();
    action_ = nullptr;
    return hit_;
  }
  // The signal that ends the shell (after the running operation), or 0.
  int ending() const { return ending_; }

 private:
  static sigset_t signals() {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGUSR2);
    return set;
  }

  void watch() {
    const sigset_t set = signals();
    for (;;) {
      int received = 0;
      if (sigwait(&set, &received) != 0) continue;
      if (received == SIGUSR2) return;
      std::unique_lock lock(mutex_);
      const bool busy = token_ != nullptr;
      if (received == SIGTERM || !interactive_) ending_ = received;
      if (!busy) {
        // Waiting for input: an interactive shell ignores Ctrl-C there (\r forgets a half-typed
        // statement, \q quits); otherwise the shell ends now.
        if (ending_ != 0) ::_exit(128 + ending_);
        continue;
      }
      if (hit_) continue;  // the cancel already runs (bounded by kCancelCallTimeout)
      hit_ = true;
      if (action_) {
        try {
          action_();
        } catch (...) {  // the token below still stops the wait
        }
      }
      token_->cancel();
    }
  }

  const bool interactive_;
  std::mutex mutex_;
  std::shared_ptr<CancellationToken> token_;
  std::function<void()> action_;
  bool hit_ = false;
  std::atomic<int> ending_{0};
  std::thread thread_;
};

struct ShellArgs {
  ConnectionArgs connection;
  std::string uri;
  std::string format = "table";
  std::optional<std::string> null_text;
  bool timing = false;
};

std::string describe_error(const Error& e) {
  std::string out = std::string(to_string(e.kind())) + " error: " + e.what();
  if (!e.query_id().empty()) out += " (query id " + e.query_id() + ")";
  return out;
}

class Shell {
 public:
  Shell(Connection& connection, const ConnectionOptions& options, const ShellArgs& args,
        ShellInterrupts& interrupts, bool interactive)
      : connection_(connection),
        options_(options),
        args_(args),
        interrupts_(interrupts),
        interactive_(interactive),
        cursor_(connection.cursor()),
        input_(options.string_literals == "backslash"),
        timing_(args.timing) {
    writer_options_.format = *parse_output_format(args.format);
    writer_options_.null_text = args.null_text;
  }

  // Runs until \q or the end of the input; the exit status.
  int run(const std::string& history) {
    history_ = history;
    if (interactive_) {
      if (!history_.empty()) {
        using_history();
        stifle_history(kHistoryEntries);
        (void)read_history(history_.c_str());
      }
      const StrategySnapshot s = connection_.strategy();
      std::cout << "e6data-cli shell " << E6DATA_VERSION_TEXT << ": " << options_.username << " at "
                << options_.host << ':' << options_.port
                << (s.active.empty() ? std::string() : ", deployment " + s.active)
                << ". Statements end with ';'. \\? lists the commands, \\q quits.\n";
    }
    for (;;) {
      if (interrupts_.ending() != 0) return 128 + interrupts_.ending();
      const auto line = read_line();
      if (!line) break;
      if (interactive_ && !line->empty()) remember(*line);
      if (auto command = parse_backslash(*line)) {
        if (!backslash(*command)) return failures_ == 0 || interactive_ ? kExitOk : kExitFailure;
        continue;
      }
      for (const auto& sql : input_.add_line(*line)) {
        run_statement(sql);
        if (interrupts_.ending() != 0) return 128 + interrupts_.ending();
      }
    }
    for (const auto& sql : input_.finish()) run_statement(sql);
    if (interactive_) std::cout << '\n';
    if (interrupts_.ending() != 0) return 128 + interrupts_.ending();
    return failures_ == 0 || interactive_ ? kExitOk : kExitFailure;
  }

 private:
  std::optional<std::string> read_line() {
    if (!interactive_) {
      std::string line;
      if (!std::getline(std::cin, line)) return std::nullopt;
      if (!line.empty() && line.back() == '\r') line.pop_back();
      return line;
    }
    std::cout.flush();
    const std::string prompt = shell_prompt(connection_.strategy(), input_.pending());
    char* raw = readline(prompt.c_str());
    if (raw == nullptr) return std::nullopt;
    std::string line(raw);
    std::free(raw);  // NOLINT: allocated by libedit with malloc
    return line;
  }

  void remember(const std::string& line) {
    if (history_.empty()) return;
    add_history(line.c_str());
    // 0600 from the start: statements may hold values nobody else should read.
    const int fd = ::open(history_.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
    if (fd >= 0) ::close(fd);
    if (write_history(history_.c_str()) != 0 && !history_warned_) {
      history_warned_ = true;
      std::cerr << "e6data-cli shell: cannot write the history to " << history_ << '\n';
    }
  }

  // False for \q.
  bool backslash(const BackslashCommand& c) {
    const auto on_off = [&](bool current) {
      if (c.args.empty()) return !current;
      return c.args.front() == "on" || c.args.front() == "true" || c.args.front() == "1";
    };
    if (c.name == "q" || c.name == "quit") return false;
    if (c.name == "?" || c.name == "help") {
      std::cout << kHelp << '\n';
    } else if (c.name == "r") {
      input_.clear();
      std::cout << "Query buffer reset (cleared).\n";
    } else if (c.name == "timing") {
      timing_ = on_off(timing_);
      std::cout << "Timing is " << (timing_ ? "on" : "off") << ".\n";
    } else if (c.name == "x") {
      const bool vertical = on_off(writer_options_.format == OutputFormat::kVertical);
      if (vertical && writer_options_.format != OutputFormat::kVertical) {
        before_vertical_ = writer_options_.format;
        writer_options_.format = OutputFormat::kVertical;
      } else if (!vertical && writer_options_.format == OutputFormat::kVertical) {
        writer_options_.format = before_vertical_;
      }
      std::cout << "Expanded display is " << (vertical ? "on" : "off") << ".\n";
    } else if (c.name == "format") {
      if (!c.args.empty()) {
        const auto format = parse_output_format(c.args.front());
        if (!format) {
          std::cerr << "unknown format '" << c.args.front()
                    << "': table, vertical, csv, tsv, json, jsonl or markdown\n";
          ++failures_;
          return true;
        }
        writer_options_.format = *format;
      }
      for (const auto& name : output_format_names()) {
        if (parse_output_format(name) == writer_options_.format) {
          std::cout << "Output format is " << name << ".\n";
          break;
        }
      }
    } else if (c.name == "strategy") {
      TablePrinter table({"field", "value"});
      for (auto& [field, value] : snapshot_rows(connection_.strategy())) {
        table.add_row({field, value});
      }
      table.print(std::cout);
    } else if (c.name == "d" && c.args.empty()) {
      metadata([&](const QueryOptions& call) {
        std::vector<std::vector<std::string>> rows;
        for (auto& s : connection_.schemas(options_.catalog, call)) rows.push_back({s});
        print_list({"schema"}, rows);
      });
    } else if (c.name == "dt") {
      const std::string schema = c.args.empty() ? options_.database : c.args.front();
      if (schema.empty()) {
        std::cerr << "\\dt: no schema: give one (\\dt SCHEMA) or connect with a database\n";
        ++failures_;
        return true;
      }
      metadata([&](const QueryOptions& call) {
        std::vector<std::vector<std::string>> rows;
        for (auto& t : connection_.tables(options_.catalog, schema, call))
          rows.push_back({schema, t});
        print_list({"schema", "table"}, rows);
      });
    } else if (c.name == "d") {
      const auto [schema, table] = split_table_name(c.args.front(), options_.database);
      if (schema.empty()) {
        std::cerr << "\\d " << c.args.front()
                  << ": no schema: write SCHEMA.TABLE or connect with a database\n";
        ++failures_;
        return true;
      }
      metadata([&](const QueryOptions& call) {
        std::vector<std::vector<std::string>> rows;
        for (auto& col : connection_.columns(options_.catalog, schema, table, call)) {
          rows.push_back({col.name, col.type});
        }
        print_list({"column", "type"}, rows);
      });
    } else {
      std::cerr << "unknown command \\" << c.name << ": \\? lists the commands\n";
      ++failures_;
    }
    return true;
  }

  void print_list(const std::vector<std::string>& headers,
                  const std::vector<std::vector<std::string>>& rows) {
    std::vector<ColumnInfo> columns;
    for (const auto& h : headers) columns.push_back({h, "STRING", "", ""});
    auto writer = make_result_writer(writer_options_, std::cout);
    writer->begin(columns);
    for (const auto& r : rows) {
      std::vector<Cell> cells;
      for (const auto& v : r) cells.push_back({Cell::Kind::kString, v});
      writer->row(cells);
    }
    writer->end();
  }

  template <typename Call>
  void metadata(Call&& call) {
    const auto start = Clock::now();
    auto token = interrupts_.begin();
    try {
      call(call_options(args_.connection, token));
      interrupts_.end();
      if (timing_) print_time(start, std::nullopt, "");
    } catch (const Error& e) {
      const bool cancelled = interrupts_.end();
      if (!cancelled) ++failures_;
      std::cerr << (cancelled ? std::string("cancelled") : "ERROR: " + describe_error(e)) << '\n';
    }
  }

  void print_time(Clock::time_point start, std::optional<double> execute_ms,
                  const std::string& query_id) {
    const double total = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
    std::cout << std::fixed << std::setprecision(3) << "Time: " << total << " ms";
    if (execute_ms) {
      std::cout << " (execute " << *execute_ms << " ms, fetch " << total - *execute_ms << " ms)";
    }
    if (!query_id.empty()) std::cout << ", query id " << query_id;
    std::cout << '\n' << std::defaultfloat;
  }

  void run_statement(const std::string& sql) {
    const auto start = Clock::now();
    auto token = interrupts_.begin([this] {
      QueryOptions bounded;
      bounded.timeout = kCancelCallTimeout;
      cursor_.cancel(bounded);
    });
    const QueryOptions call = call_options(args_.connection, token);
    bool begun = false;
    try {
      cursor_.execute(sql, call);
      const double execute_ms =
          std::chrono::duration<double, std::milli>(Clock::now() - start).count();
      const auto& columns = cursor_.description();
      if (columns.empty()) {
        std::cout << "OK (" << cursor_.rowcount() << " rows affected)\n";
      } else {
        auto writer = make_result_writer(writer_options_, std::cout);
        writer->begin(columns);
        begun = true;
        while (auto batch = cursor_.next_batch(call)) write_batch(*writer, *batch);
        writer->end();
      }
      if (timing_) print_time(start, execute_ms, cursor_.query_id());
      interrupts_.end();
      cursor_.clear(call_options(args_.connection));
    } catch (const Error& e) {
      const bool cancelled = interrupts_.end();
      std::cout.flush();
      if (begun) std::cout << '\n';
      std::cout.flush();
      if (cancelled) {
        const std::string& id = e.query_id().empty() ? cursor_.query_id() : e.query_id();
        std::cerr << "cancelled" << (id.empty() ? std::string() : " (query id " + id + ")") << '\n';
      } else {
        ++failures_;
        std::cerr << "ERROR: " << describe_error(e) << '\n';
      }
    }
    std::cout.flush();
  }

  Connection& connection_;
  const ConnectionOptions& options_;
  const ShellArgs& args_;
  ShellInterrupts& interrupts_;
  const bool interactive_;
  Cursor cursor_;
  ShellInput input_;
  WriterOptions writer_options_;
  OutputFormat before_vertical_ = OutputFormat::kTable;
  bool timing_;
  std::string history_;
  bool history_warned_ = false;
  int failures_ = 0;
};

int run_shell(ShellArgs& args) {
  args.connection.uri = args.uri;
  const EnvironmentReader env = EnvironmentReader::process();
  std::vector<std::string> warnings;
  ConnectionOptions options =
      resolve_connection(args.connection, env, prompt_on_terminal, warnings);
  for (const auto& w : warnings) std::cerr << "e6data-cli shell: warning: " << w << '\n';
  configure_cli_logging(options, env);
  const bool interactive = ::isatty(STDIN_FILENO) != 0;
  ShellInterrupts interrupts(interactive);  // before the connection starts gRPC's threads
  Connection connection(options);
  try {
    auto token = interrupts.begin();
    connection.authenticate(call_options(args.connection, token));
    interrupts.end();
  } catch (const Error& e) {
    std::cerr << "e6data-cli shell: cannot connect to " << options.host << ':' << options.port
              << ": " << to_string(e.kind()) << " error: " << e.what() << '\n';
    return interrupts.end() ? kExitInterrupted : kExitFailure;
  }
  Shell shell(connection, options, args, interrupts, interactive);
  const int code = shell.run(interactive ? history_path(env) : std::string());
  std::cout.flush();
  return code;
}

}  // namespace

void add_shell_command(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<ShellArgs>();
  CLI::App* cmd = app.add_subcommand("shell", "An interactive SQL shell");
  cmd->add_option("uri", args->uri, "Connection URI (default: flags and E6DATA_*)");
  cmd->add_option("--format", args->format, "Output format (default: table; \\format changes it)")
      ->check(CLI::IsMember(output_format_names()));
  cmd->add_option("--null", args->null_text, "Text shown for NULL");
  cmd->add_flag("--timing", args->timing, "Start with \\timing on");
  add_connection_options(*cmd, args->connection);
  cmd->footer(
      std::string(
          R"(Reads statements ending with ';' (over as many lines as they take) and runs each
as it ends; lines starting with '\' are commands:

)") + kHelp +
      R"(

The prompt shows the deployment serving new work: e6data[blue]>, and during a blue-green switch
the active and the pending one: e6data[blue->green]>; "->" at its end means the statement goes
on. On a terminal the line editor is libedit, with the history in ~/.e6data_history ($HOME;
E6DATA_HISTORY_FILE replaces the path, "" turns it off). Standard input that is not a terminal is
read as a script: no prompt, no history, exit 1 if any statement failed, Ctrl-C exits 130.

Examples:
  e6data-cli shell
  e6data-cli shell e6data://demo@127.0.0.1:50051/sqlite/main
  printf 'select 1;\n\\dt main\n' | e6data-cli shell)");
  cmd->callback([args, &exit_code] { exit_code = run_shell(*args); });
}

}  // namespace e6data::cli

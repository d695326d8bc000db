#include "query_command.hpp"

#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <iterator>
#include <sstream>

#include "connection_args.hpp"
#include "e6data/connection.hpp"
#include "e6data/errors.hpp"
#include "exit_codes.hpp"
#include "interrupt_watcher.hpp"
#include "query_parameters.hpp"
#include "result_writer.hpp"
#include "sql_splitter.hpp"

namespace e6data::cli {
namespace {

using Clock = std::chrono::steady_clock;

// How long Ctrl-C waits for the server to acknowledge the cancel before it stops waiting.
constexpr std::chrono::milliseconds kCancelCallTimeout{3000};

struct QueryArgs {
  ConnectionArgs connection;
  std::vector<std::string> positionals;  // a URI and/or SQL text
  std::vector<std::string> commands;     // -c, in order
  std::string file;                      // -f; "-" is standard input
  std::string format;                    // empty: table on a terminal, tsv otherwise
  std::optional<std::string> null_text;
  std::vector<std::string> params;
  bool timing = false;
  bool continue_on_error = false;
  bool no_progress = false;
};

double ms_since(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

std::string read_all(std::istream& in) {
  std::ostringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

std::string read_sql_file(const std::string& path) {
  if (path == "-") return read_all(std::cin);
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec))
    throw UsageFailure{"-f " + path + ": is a directory"};
  std::ifstream in(path, std::ios::binary);
  if (!in) throw UsageFailure{"-f " + path + ": cannot open it (" + std::strerror(errno) + ")"};
  return read_all(in);
}

// "12 rows, 8,000 rows/s, 1.5 s" on standard error, redrawn in place, while a long result
// streams to a terminal. Silent for the first second and between redraws.
class ProgressLine {
 public:
  explicit ProgressLine(bool enabled) : enabled_(enabled) {}
  void update(std::int64_t rows) {
    if (!enabled_) return;
    const auto now = Clock::now();
    if (now - start_ < std::chrono::seconds(1) || now - last_ < std::chrono::milliseconds(250)) {
      return;
    }
    last_ = now;
    const double s = std::chrono::duration<double>(now - start_).count();
    std::fprintf(stderr, "\r\033[K%lld rows, %.0f rows/s, %.1f s", static_cast<long long>(rows),
                 static_cast<double>(rows) / s, s);
    shown_ = true;
  }
  void clear() {
    if (shown_) std::fputs("\r\033[K", stderr);
    shown_ = false;
  }

 private:
  bool enabled_;
  bool shown_ = false;
  Clock::time_point start_ = Clock::now();
  Clock::time_point last_{};
};

// The parameters whose `:name` occurs in `sql` (each statement of a script gets its own).
NamedParameters parameters_for(const std::string& sql, const NamedParameters& all) {
  NamedParameters used;
  for (const auto& [name, value] : all) {
    const std::string placeholder = ":" + name;
    for (auto at = sql.find(placeholder); at != std::string::npos;
         at = sql.find(placeholder, at + 1)) {
      const std::size_t after = at + placeholder.size();
      const bool whole_name =
          after >= sql.size() ||
          !(std::isalnum(static_cast<unsigned char>(sql[after])) || sql[after] == '_');
      const bool not_cast = at == 0 || sql[at - 1] != ':';
      if (whole_name && not_cast) {
        used.emplace_back(name, value);
        break;
      }
    }
  }
  return used;
}

std::string describe_error(const Error& e) {
  std::string out = std::string(to_string(e.kind())) + " error: " + e.what();
  out += e.query_id().empty() ? " (no query id: the server had not accepted the statement)"
                              : " (query id " + e.query_id() + ")";
  return out;
}

int run_query(QueryArgs& args) {
  std::vector<std::string> sql_texts;
  for (const auto& p : args.positionals) {
    if (looks_like_uri(p)) {
      if (!args.connection.uri.empty()) throw UsageFailure{"more than one connection URI given"};
      args.connection.uri = p;
    } else {
      sql_texts.push_back(p);
    }
  }
  for (const auto& c : args.commands) sql_texts.push_back(c);
  if (!args.file.empty()) sql_texts.push_back(read_sql_file(args.file));
  if (sql_texts.empty()) {
    if (::isatty(STDIN_FILENO)) {
      throw UsageFailure{"no SQL: give it with -c SQL, -f FILE or on standard input"};
    }
    sql_texts.push_back(read_all(std::cin));
  }
  const EnvironmentReader env = EnvironmentReader::process();
  std::vector<std::string> warnings;
  ConnectionOptions options =
      resolve_connection(args.connection, env, prompt_on_terminal, warnings);
  for (const auto& w : warnings) std::cerr << "e6data-cli query: warning: " << w << '\n';

  std::vector<std::string> statements;
  for (const auto& text : sql_texts) {
    for (auto& s : split_statements(text, options.string_literals == "backslash")) {
      statements.push_back(std::move(s));
    }
  }
  if (statements.empty()) throw UsageFailure{"no SQL statement in the input"};

  QueryParameters parameters;
  for (const auto& p : args.params) parameters.add(p);

  WriterOptions writer_options;
  if (args.format.empty()) {
    writer_options.format = ::isatty(STDOUT_FILENO) ? OutputFormat::kTable : OutputFormat::kTsv;
  } else {
    writer_options.format = *parse_output_format(args.format);
  }
  writer_options.null_text = args.null_text;
  const bool human = writer_options.format == OutputFormat::kTable ||
                     writer_options.format == OutputFormat::kVertical ||
                     writer_options.format == OutputFormat::kMarkdown;
  const bool progress = !args.no_progress && ::isatty(STDERR_FILENO);
  auto writer = make_result_writer(writer_options, std::cout);

  configure_cli_logging(options, env);
  InterruptWatcher watcher;  // before the connection starts gRPC's threads
  Connection connection(options);
  try {
    connection.authenticate(call_options(args.connection, watcher.next_token()));
  } catch (const Error& e) {
    if (watcher.interrupted()) {
      std::cerr << "e6data-cli query: interrupted while connecting\n";
      return watcher.exit_code();
    }
    std::cerr << "e6data-cli query: cannot connect to " << options.host << ':' << options.port
              << ": " << to_string(e.kind()) << " error: " << e.what() << '\n';
    return kExitFailure;
  }
  Cursor cursor = connection.cursor();
  // Ctrl-C: ask the server to stop the query (cancelQuery), then cancel the waiting call.
  const ScopedInterruptAction cancel_on_server(watcher, [&cursor] {
    QueryOptions bounded;
    bounded.timeout = kCancelCallTimeout;
    cursor.cancel(bounded);
  });
  int result = kExitOk;
  for (std::size_t i = 0; i < statements.size(); ++i) {
    if (watcher.interrupted()) break;
    const std::string& sql = statements[i];
    const QueryOptions call = call_options(args.connection, watcher.next_token());
    const auto start = Clock::now();
    double execute_ms = 0;
    std::int64_t rows = 0;
    ProgressLine progress_line(progress);
    bool begun = false;
    try {
      const NamedParameters used = parameters_for(sql, parameters.named());
      if (used.empty()) {
        cursor.execute(sql, call);
      } else {
        cursor.execute(sql, used, call);
      }
      execute_ms = ms_since(start);
      const auto& columns = cursor.description();
      if (columns.empty()) {
        if (human) std::cout << "OK (" << cursor.rowcount() << " rows affected)\n";
      } else {
        if (i > 0 && human) std::cout << '\n';
        writer->begin(columns);
        begun = true;
        while (auto batch = cursor.next_batch(call)) {
          write_batch(*writer, *batch);
          rows += batch->num_rows();
          progress_line.update(rows);
        }
        progress_line.clear();
        writer->end();
      }
      if (args.timing) {
        std::cerr << std::fixed << std::setprecision(3) << "Time: " << ms_since(start)
                  << " ms (execute " << execute_ms << " ms, fetch " << ms_since(start) - execute_ms
                  << " ms), " << rows << (rows == 1 ? " row" : " rows") << ", query id "
                  << cursor.query_id() << '\n';
      }
      cursor.clear(call_options(args.connection));
    } catch (const Error& e) {
      progress_line.clear();
      std::cout.flush();
      if (begun) std::cout << '\n';  // a half-written row must not run into the message
      std::cout.flush();
      if (watcher.interrupted()) {
        const std::string& id = e.query_id().empty() ? cursor.query_id() : e.query_id();
        std::cerr << "e6data-cli query: statement " << i + 1 << " cancelled"
                  << (id.empty() ? std::string() : " (query id " + id + ")") << '\n';
        break;
      }
      std::cerr << "e6data-cli query: statement " << i + 1 << " of " << statements.size()
                << " failed: " << describe_error(e) << '\n';
      result = kExitFailure;
      if (!args.continue_on_error) break;
    }
    watcher.clear_token();
  }
  if (watcher.interrupted()) return watcher.exit_code();
  return result;
}

}  // namespace

void add_query_command(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<QueryArgs>();
  CLI::App* cmd = app.add_subcommand("query", "Run SQL and print the results");
  cmd->add_option("uri_or_sql", args->positionals,
                  "A connection URI (e6data://user@host:port/catalog/db) and/or SQL text");
  cmd->add_option("-c,--command", args->commands,
                  "SQL to run; ';' separates statements; may be repeated");
  cmd->add_option("-f,--file", args->file, "Run the SQL in this file (- reads standard input)");
  cmd->add_option("--format", args->format,
                  "Output: table, vertical, csv, tsv, json, jsonl or markdown (default: table on "
                  "a terminal, tsv otherwise)")
      ->check(CLI::IsMember(output_format_names()));
  cmd->add_option("--null", args->null_text,
                  "Text shown for NULL (default: NULL in tables, an empty unquoted field in csv, "
                  "\\N in tsv; json always writes null)");
  cmd->add_option("--param", args->params,
                  "Value of a :name placeholder, name=value: 42 integer, 4.2 double, 'text' or "
                  "bare text string, null, true/false; may be repeated");
  cmd->add_flag("--timing", args->timing, "Print each statement's time and query id to stderr");
  cmd->add_flag("--continue-on-error", args->continue_on_error,
                "Run the remaining statements after one fails (exit 1 at the end)");
  cmd->add_flag("--no-progress", args->no_progress,
                "No progress line on a terminal while a long result streams");
  add_connection_options(*cmd, args->connection);
  cmd->footer(R"(Examples:
  export E6DATA_HOST=127.0.0.1 E6DATA_PORT=50051 E6DATA_USERNAME=demo E6DATA_PASSWORD=demo
  e6data-cli query -c "select 1"
  e6data-cli query e6data://demo@127.0.0.1:50051 -c "select * from customers limit 5"
  e6data-cli query --format csv -f report.sql > report.csv
  echo "select count(*) from orders; select max(order_id) from orders" | e6data-cli query
  e6data-cli query --param id=7 --param name='Ann' -c "select * from customers where customer_id = :id or name = :name"

Ctrl-C cancels the running query on the server and exits 130.)");
  cmd->callback([args, &exit_code] { exit_code = run_query(*args); });
}

}  // namespace e6data::cli

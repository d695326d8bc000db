// e6data-devserver: a local e6data (QueryEngineService + ClusterService over SQLite).
// See docs/devserver.md.

#include <malloc.h>
#include <signal.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "devserver/dev_server.hpp"
#include "log/logger.hpp"

namespace {

// Written to a temporary name and renamed, so a reader never sees a partial port number.
void write_port_file(const std::string& path, int port) {
  const std::string tmp = path + ".tmp" + std::to_string(::getpid());
  {
    std::ofstream out(tmp);
    out << port << '\n';
    if (!out) throw std::runtime_error("cannot write " + tmp);
  }
  std::filesystem::rename(tmp, path);
}

}  // namespace

int main(int argc, char** argv) {
  // Result responses are buffers of megabytes (a V2 response packs up to 8 chunks). With glibc's
  // defaults each one is mmap()ed, page-faulted in while it is filled and unmapped when it is sent:
  // about a third of the server's CPU on a large read (perf, docs/performance.md). Keep such
  // buffers in the heap and freed memory in the process, as a server's allocator would.
  mallopt(M_MMAP_THRESHOLD, 32 << 20);
  mallopt(M_TRIM_THRESHOLD, 256 << 20);
  e6data::devserver::DevServerOptions options;
  e6data::log::LogOptions log_options;
  std::string port_file;
  std::string admin_port_file;
  std::string log_format = "text";
  long idle_timeout_s = 1800;
  double grace_s = 10;
  double query_idle_s = 900;
  std::string string_literals = "ansi";

  CLI::App app("e6data-devserver: a local e6data over SQLite", "e6data-devserver");
  app.set_version_flag("--version", "e6data-devserver 0.1.0");
  app.add_option("--host", options.host, "Address to listen on")->capture_default_str();
  app.add_option("--port", options.port, "Port; 0 picks a free one")
      ->capture_default_str()
      ->check(CLI::Range(0, 65535));
  app.add_option("--port-file", port_file, "Write the port here once the server is ready");
  app.add_option("--admin-port", options.admin_port,
                 "Admin control port on 127.0.0.1 (drain, status); 0 picks a free one")
      ->capture_default_str()
      ->check(CLI::Range(0, 65535));
  app.add_option("--admin-port-file", admin_port_file, "Write the admin port here once ready");
  app.add_option("--db", options.db_path, "Serve this SQLite file (default: the demo dataset)")
      ->check(CLI::ExistingFile);
  app.add_option("--scale", options.scale, "Demo dataset size: about 10,000 x N line items")
      ->capture_default_str()
      ->check(CLI::Range(1, 10000));
  app.add_option("--data-dir", options.data_dir, "Where the demo database file is made");
  app.add_option("--users", options.users_file, "Users file: one 'name token' per line")
      ->check(CLI::ExistingFile);
  app.add_option("--deployment", options.deployment, "This server's deployment")
      ->capture_default_str()
      ->check(CLI::IsMember({"blue", "green"}));
  app.add_option("--catalog", options.catalog, "The catalog name V2 calls must use")
      ->capture_default_str();
  app.add_option("--session-idle-timeout", idle_timeout_s, "Seconds before an idle session expires")
      ->capture_default_str()
      ->check(CLI::Range(1L, 7L * 24 * 3600));
  app.add_option("--query-idle-timeout", query_idle_s,
                 "Seconds before a query no call touched is dropped")
      ->capture_default_str()
      ->check(CLI::Range(0.001, 7.0 * 24 * 3600));
  app.add_option("--string-literals", string_literals,
                 "How string literals are read: ansi ('' escapes, SQLite's rule) or backslash "
                 "(\\' and \\\\ escapes, as e6data's Python connector writes parameters)")
      ->capture_default_str()
      ->check(CLI::IsMember({"ansi", "backslash"}));
  app.add_option("--batch-rows", options.batch.max_rows, "Rows per result batch at most")
      ->capture_default_str()
      ->check(CLI::Range(std::size_t{1}, std::size_t{1} << 24));
  app.add_option("--batch-bytes", options.batch.max_bytes, "Approximate bytes per result batch")
      ->capture_default_str()
      ->check(CLI::Range(std::size_t{1024}, std::size_t{1} << 30));
  app.add_option("--v2-chunks-per-response", options.v2_chunks_per_response,
                 "Result chunks per getNextResultBatchV2 response at most")
      ->capture_default_str()
      ->check(CLI::Range(std::size_t{1}, std::size_t{1024}));
  double fetch_latency_ms = 0;
  app.add_option("--fetch-latency-ms", fetch_latency_ms,
                 "Milliseconds each result fetch waits before it answers (a remote cluster's "
                 "round trip, for measurements)")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 10000.0));
  bool no_result_batch_v2 = false;
  app.add_flag("--no-result-batch-v2", no_result_batch_v2,
               "Answer getNextResultBatchV2 with UNIMPLEMENTED, as a server without it does");
  app.add_option("--max-sql-bytes", options.max_sql_bytes, "Largest SQL text accepted")
      ->capture_default_str();
  app.add_option("--grace", grace_s, "Seconds SIGTERM waits for in-flight calls")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 3600.0));
  app.add_option("--log-level", log_options.level, "trace, debug, info, warning, error")
      ->capture_default_str();
  app.add_option("--log-format", log_format, "text or json")->capture_default_str();
  app.add_option("--log-output", log_options.output, "stdout, stderr or a file path")
      ->capture_default_str();
  // Usage errors exit 2 (--help and --version exit 0), as docs/devserver.md says.
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? 0 : 2;
  }

  try {
    log_options.format = e6data::log::parse_format(log_format);
    e6data::log::configure(log_options);
    options.session_idle_timeout = std::chrono::seconds(idle_timeout_s);
    options.query_idle_timeout = std::chrono::milliseconds(static_cast<long>(query_idle_s * 1000));
    options.string_literals = e6data::devserver::parse_string_literals(string_literals);
    options.result_batch_v2 = !no_result_batch_v2;
    options.fetch_latency =
        std::chrono::microseconds(static_cast<std::int64_t>(fetch_latency_ms * 1000.0));

    // Block the stop signals before any thread starts, then wait for them on this thread.
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGTERM);
    sigaddset(&stop_signals, SIGINT);
    pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

    e6data::devserver::DevServer server(options);
    server.start();
    if (!port_file.empty()) write_port_file(port_file, server.port());
    if (!admin_port_file.empty()) write_port_file(admin_port_file, server.admin_port());

    int signal_number = 0;
    sigwait(&stop_signals, &signal_number);
    e6data::log::get("e6data.devserver")
        ->info("signal {}: finishing in-flight calls (up to {} s)", signal_number, grace_s);
    server.shutdown(std::chrono::milliseconds(static_cast<long>(grace_s * 1000)));
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "e6data-devserver: " << e.what() << '\n';
    return 1;
  }
}

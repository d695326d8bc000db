// Result fetching through the public API against a running dev server (#15 items 2-4,
// docs/performance.md "Result Batch V2 and download-ahead"). One run of one binary measures, on the
// same server:
//   - a large read (default `SELECT * FROM line_items`; `--scale 100` gives about 1,000,000 rows)
//     for V1 blocking, V1 + download-ahead, V2 blocking and V2 + download-ahead, interleaved over
//     the rounds: rows/s, client CPU per million rows (user + system, every thread of this
//     process: gRPC's, the download-ahead's), and the server's CPU per million rows when its pid
//     is given;
//   - 200 short queries (`SELECT 1`: execute, read, clear) with V1 and with V2: p50 and p99.
// The caller "works" on every batch: it sums each numeric column, as a consumer would.
//
//   result_fetch_bench HOST:PORT [--rounds N] [--short N] [--sql TEXT] [--server-pid PID]
//   result_fetch_bench HOST:PORT --rss ROWS [--download-ahead N] [--budget BYTES] [--v1]
//
// --rss reads ROWS rows of a generated result (no table needed) in a fresh process and prints
// its peak RSS (VmHWM) before and after the read: peak RSS is per process and only grows, so each
// setting is measured in a run of its own.
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "e6data/connection.hpp"

namespace {

using SteadyClock = std::chrono::steady_clock;

struct Mode {
  const char* name;
  const char* result_batch_v2;
  int download_ahead;
};

constexpr Mode kModes[] = {
    {"V1 blocking", "off", 0},
    {"V1 + download-ahead", "off", 2},
    {"V2 blocking", "on", 0},
    {"V2 + download-ahead", "on", 2},
};

double cpu_seconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  const auto seconds = [](const timeval& t) {
    return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6;
  };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

// utime + stime of another process, from /proc/PID/stat (fields 14 and 15, in clock ticks).
double process_cpu_seconds(long pid) {
  if (pid <= 0) return 0;
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string text;
  std::getline(stat, text);            // one line
  const auto close = text.rfind(')');  // the command name may hold spaces
  if (close == std::string::npos) return 0;
  std::vector<std::string> fields;
  std::size_t pos = close + 2;
  while (pos < text.size()) {
    const auto space = text.find(' ', pos);
    fields.push_back(text.substr(pos, space - pos));
    if (space == std::string::npos) break;
    pos = space + 1;
  }
  // fields[0] is field 3 (state): utime is field 14, stime field 15.
  if (fields.size() < 13) return 0;
  const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
  return (std::stod(fields[11]) + std::stod(fields[12])) / ticks;
}

long peak_rss_kib() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmHWM:", 0) == 0) return std::atol(line.c_str() + 6);
  }
  return -1;
}

e6data::ConnectionOptions options_for(const std::string& endpoint, const char* v2, int ahead) {
  e6data::ConnectionOptions o;
  const auto colon = endpoint.rfind(':');
  o.host = endpoint.substr(0, colon);
  o.port = std::atoi(endpoint.c_str() + colon + 1);
  o.username = "demo";
  o.password = "demo";
  o.result_batch_v2 = v2;
  o.download_ahead = ahead;
  return o;
}

// The caller's work on a batch: the sum of every numeric column.
double work_on(const e6data::Batch& batch) {
  double sum = 0;
  for (std::size_t c = 0; c < batch.num_columns(); ++c) {
    const e6data::ColumnView column = batch.column(c);
    switch (column.physical_type()) {
      case e6data::PhysicalType::kInt32:
        for (const auto v : column.values<std::int32_t>()) sum += v;
        break;
      case e6data::PhysicalType::kInt64:
        for (const auto v : column.values<std::int64_t>()) sum += static_cast<double>(v);
        break;
      case e6data::PhysicalType::kDouble:
        for (const auto v : column.values<double>()) sum += v;
        break;
      default:
        break;
    }
  }
  return sum;
}

struct Read {
  std::int64_t rows = 0;
  double seconds = 0;
  double cpu = 0;
  double server_cpu = 0;
  double checksum = 0;
};

Read read_all(e6data::Connection& connection, const std::string& sql, long server_pid) {
  Read r;
  const double cpu0 = cpu_seconds();
  const double server0 = process_cpu_seconds(server_pid);
  const auto t0 = SteadyClock::now();
  e6data::Cursor cursor = connection.cursor();
  cursor.execute(sql);
  while (auto batch = cursor.next_batch()) {
    r.rows += batch->num_rows();
    r.checksum += work_on(*batch);
  }
  cursor.clear();
  r.seconds = std::chrono::duration<double>(SteadyClock::now() - t0).count();
  r.cpu = cpu_seconds() - cpu0;
  r.server_cpu = process_cpu_seconds(server_pid) - server0;
  return r;
}

double percentile(std::vector<double> values, double p) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const auto i = static_cast<std::size_t>(p * static_cast<double>(values.size() - 1) + 0.5);
  return values[std::min(i, values.size() - 1)];
}

int run_rss(const std::string& endpoint, long long rows, int ahead, std::int64_t budget, bool v1) {
  e6data::ConnectionOptions o = options_for(endpoint, v1 ? "off" : "on", ahead);
  o.download_ahead_bytes = budget;
  e6data::Connection connection(o);
  e6data::Cursor warm = connection.cursor();
  warm.execute("SELECT 1");
  (void)warm.fetchall();
  warm.clear();
  const long before = peak_rss_kib();
  const std::string sql = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c LIMIT " +
                          std::to_string(rows) +
                          ") SELECT x, x * 0.5, printf('row-%08d', x) FROM c";
  const Read r = read_all(connection, sql, 0);
  const long after = peak_rss_kib();
  std::printf(
      "rss: %s, download_ahead=%d, budget=%lld bytes: %lld rows in %.1f s; peak RSS %ld KiB "
      "before the read, %ld KiB after (+%ld KiB)\n",
      v1 ? "V1" : "V2", ahead, static_cast<long long>(budget), static_cast<long long>(r.rows),
      r.seconds, before, after, after - before);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr,
                 "usage: %s HOST:PORT [--rounds N] [--short N] [--sql TEXT] [--server-pid PID]\n"
                 "       %s HOST:PORT --rss ROWS [--download-ahead N] [--budget BYTES] [--v1]\n",
                 argv[0], argv[0]);
    return 2;
  }
  const std::string endpoint = argv[1];
  int rounds = 3;
  int short_queries = 200;
  long server_pid = 0;
  long long rss_rows = 0;
  int rss_ahead = 2;
  std::int64_t rss_budget = std::int64_t{64} << 20;
  bool rss_v1 = false;
  std::string sql = "SELECT * FROM line_items";
  for (int i = 2; i < argc; ++i) {
    const std::string arg = argv[i];
    const auto value = [&] { return std::string(i + 1 < argc ? argv[++i] : ""); };
    if (arg == "--rounds") {
      rounds = std::stoi(value());
    } else if (arg == "--short") {
      short_queries = std::stoi(value());
    } else if (arg == "--sql") {
      sql = value();
    } else if (arg == "--server-pid") {
      server_pid = std::stol(value());
    } else if (arg == "--rss") {
      rss_rows = std::stoll(value());
    } else if (arg == "--download-ahead") {
      rss_ahead = std::stoi(value());
    } else if (arg == "--budget") {
      rss_budget = std::stoll(value());
    } else if (arg == "--v1") {
      rss_v1 = true;
    } else {
      std::fprintf(stderr, "unknown argument %s\n", arg.c_str());
      return 2;
    }
  }
  try {
    if (rss_rows > 0) return run_rss(endpoint, rss_rows, rss_ahead, rss_budget, rss_v1);

    // Large reads: the modes interleaved, so that a drift of the machine hits them alike.
    std::vector<std::vector<Read>> reads(std::size(kModes));
    for (int round = 0; round < rounds + 1; ++round) {  // round 0 warms the server's cache
      for (std::size_t m = 0; m < std::size(kModes); ++m) {
        e6data::Connection connection(
            options_for(endpoint, kModes[m].result_batch_v2, kModes[m].download_ahead));
        const Read r = read_all(connection, sql, server_pid);
        if (round > 0) reads[m].push_back(r);
      }
    }
    std::printf("large read: %s (%d rounds, median)\n", sql.c_str(), rounds);
    std::printf("%-22s %10s %12s %18s %18s\n", "mode", "rows", "rows/s", "client CPU s/Mrow",
                "server CPU s/Mrow");
    for (std::size_t m = 0; m < std::size(kModes); ++m) {
      std::vector<double> rate, cpu, server;
      for (const Read& r : reads[m]) {
        const double mrows = static_cast<double>(r.rows) / 1e6;
        rate.push_back(static_cast<double>(r.rows) / r.seconds);
        cpu.push_back(r.cpu / mrows);
        server.push_back(r.server_cpu / mrows);
      }
      std::printf("%-22s %10lld %12.0f %18.3f %18.3f\n", kModes[m].name,
                  static_cast<long long>(reads[m].front().rows), percentile(rate, 0.5),
                  percentile(cpu, 0.5), percentile(server, 0.5));
    }

    // Short queries: execute, read the one row, clear; V1 and V2 alternate.
    std::vector<double> latency[2];
    e6data::Connection v1(options_for(endpoint, "off", 2));
    e6data::Connection v2(options_for(endpoint, "on", 2));
    for (int i = 0; short_queries > 0 && i < short_queries + 10; ++i) {  // 10 warm up
      for (int form = 0; form < 2; ++form) {
        e6data::Connection& connection = form == 0 ? v1 : v2;
        const auto t0 = SteadyClock::now();
        e6data::Cursor cursor = connection.cursor();
        cursor.execute("SELECT 1");
        (void)cursor.fetchall();
        cursor.clear();
        const double ms =
            std::chrono::duration<double, std::milli>(SteadyClock::now() - t0).count();
        if (i >= 10) latency[form].push_back(ms);
      }
    }
    if (short_queries > 0) {
      std::printf("short queries: %d x SELECT 1 (execute, read, clear)\n", short_queries);
    }
    for (int form = 0; short_queries > 0 && form < 2; ++form) {
      std::printf("%-4s p50 %.3f ms, p99 %.3f ms\n", form == 0 ? "V1" : "V2",
                  percentile(latency[form], 0.5), percentile(latency[form], 0.99));
    }
  } catch (const e6data::Error& e) {
    std::fprintf(stderr, "failed: %s\n", e.what());
    return 1;
  }
  return 0;
}

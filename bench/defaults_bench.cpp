// What an application gets with the library's defaults, written against the public API as it was
// before #15 so the same source builds against the library before and after it (docs/
// performance.md, "Before and after, with the defaults"). It sets no option #15 added: before
// #15 that reads with V1, one blocking fetch per batch and the clear on the caller's path; now
// with Result Batch V2, download-ahead 2 and the clear off the caller's path.
//   - a large read (default `SELECT * FROM line_items`), the caller summing each numeric column
//     of every batch: rows/s and client CPU (every thread of this process) per million rows,
//     median of the rounds;
//   - short queries: `SELECT 1` executed, read and cleared N times on one connection: p50, p99.
//
//   defaults_bench HOST:PORT [--rounds N] [--short N] [--sql TEXT]
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "e6data/connection.hpp"

namespace {

using SteadyClock = std::chrono::steady_clock;

double cpu_seconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  const auto seconds = [](const timeval& t) {
    return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6;
  };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

double median_of(std::vector<double> values, double p = 0.5) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const auto i = static_cast<std::size_t>(p * static_cast<double>(values.size() - 1) + 0.5);
  return values[std::min(i, values.size() - 1)];
}

// The caller's work on a batch: the sum of every numeric column (as result_fetch_bench).
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

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s HOST:PORT [--rounds N] [--short N] [--sql TEXT]\n", argv[0]);
    return 2;
  }
  const std::string endpoint = argv[1];
  int rounds = 3;
  int short_queries = 200;
  std::string sql = "SELECT * FROM line_items";
  for (int i = 2; i < argc; ++i) {
    const std::string arg = argv[i];
    const std::string value = i + 1 < argc ? argv[++i] : "";
    if (arg == "--rounds") {
      rounds = std::atoi(value.c_str());
    } else if (arg == "--short") {
      short_queries = std::atoi(value.c_str());
    } else if (arg == "--sql") {
      sql = value;
    } else {
      std::fprintf(stderr, "unknown argument %s\n", arg.c_str());
      return 2;
    }
  }
  e6data::ConnectionOptions options;
  const auto colon = endpoint.rfind(':');
  if (colon == std::string::npos || colon == 0 || std::atoi(endpoint.c_str() + colon + 1) <= 0) {
    std::fprintf(stderr, "HOST:PORT expected, got '%s'\n", endpoint.c_str());
    return 2;
  }
  options.host = endpoint.substr(0, colon);
  options.port = std::atoi(endpoint.c_str() + colon + 1);
  options.username = "demo";
  options.password = "demo";
  try {
    std::vector<double> rate;
    std::vector<double> cpu;
    std::int64_t rows = 0;
    for (int round = 0; round <= rounds && rounds > 0; ++round) {  // round 0 warms up
      e6data::Connection connection(options);
      const double cpu0 = cpu_seconds();
      const auto t0 = SteadyClock::now();
      e6data::Cursor cursor = connection.cursor();
      cursor.execute(sql);
      rows = 0;
      double checksum = 0;
      while (auto batch = cursor.next_batch()) {
        rows += static_cast<std::int64_t>(batch->num_rows());
        checksum += work_on(*batch);
      }
      cursor.clear();
      const double seconds = std::chrono::duration<double>(SteadyClock::now() - t0).count();
      const double used = cpu_seconds() - cpu0;
      if (rows == 0) {
        std::fprintf(stderr, "the read gave no rows\n");
        return 1;
      }
      if (round == 0) std::printf("checksum %.6g\n", checksum);  // keeps the work observable
      if (round > 0) {
        rate.push_back(static_cast<double>(rows) / seconds);
        cpu.push_back(used * 1e6 / static_cast<double>(rows));
      }
    }
    if (rounds > 0) {
      std::printf("large read: %lld rows, %.0f rows/s, client CPU %.3f s/Mrow (median of %d)\n",
                  static_cast<long long>(rows), median_of(rate), median_of(cpu), rounds);
    }

    e6data::Connection connection(options);
    std::vector<double> ms;
    for (int i = 0; short_queries > 0 && i < short_queries + 10; ++i) {  // 10 warm up
      const auto t0 = SteadyClock::now();
      e6data::Cursor cursor = connection.cursor();
      cursor.execute("SELECT 1");
      if (cursor.fetchall().size() != 1) {
        std::fprintf(stderr, "SELECT 1 did not give one row\n");
        return 1;
      }
      cursor.clear();
      const auto t1 = SteadyClock::now();
      if (i >= 10) ms.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
    }
    if (short_queries > 0) {
      std::printf("short queries: %d x SELECT 1: p50 %.3f ms, p99 %.3f ms\n", short_queries,
                  median_of(ms), median_of(ms, 0.99));
    }
  } catch (const e6data::Error& e) {
    std::fprintf(stderr, "failed: %s\n", e.what());
    return 1;
  }
  return 0;
}

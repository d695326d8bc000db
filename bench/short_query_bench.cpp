// Short-query latency through the public API, written against the API as it was before #15 so the
// same source builds against the library before and after it (docs/performance.md, "Short
// queries"): `SELECT 1` executed, read and cleared N times on one connection; prints p50 and p99.
// It sets no option #15 added, so each build reads with its own defaults (before #15: V1 with
// the clear on the caller's path; now: Result Batch V2, the clear off the caller's path).
//
//   short_query_bench HOST:PORT [N]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "e6data/connection.hpp"

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s HOST:PORT [N]\n", argv[0]);
    return 2;
  }
  const std::string endpoint = argv[1];
  const int count = argc > 2 ? std::atoi(argv[2]) : 200;
  if (count <= 0) {
    std::fprintf(stderr, "N must be positive\n");
    return 2;
  }
  e6data::ConnectionOptions options;
  const auto colon = endpoint.rfind(':');
  options.host = endpoint.substr(0, colon);
  options.port = std::atoi(endpoint.c_str() + colon + 1);
  options.username = "demo";
  options.password = "demo";
  try {
    e6data::Connection connection(options);
    std::vector<double> ms;
    for (int i = 0; i < count + 10; ++i) {  // the first 10 warm up
      const auto t0 = std::chrono::steady_clock::now();
      e6data::Cursor cursor = connection.cursor();
      cursor.execute("SELECT 1");
      if (cursor.fetchall().size() != 1) {
        std::fprintf(stderr, "SELECT 1 did not give one row\n");
        return 1;
      }
      cursor.clear();
      const auto t1 = std::chrono::steady_clock::now();
      if (i >= 10) ms.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
    }
    std::sort(ms.begin(), ms.end());
    const auto at = [&](double p) {
      return ms[std::min(ms.size() - 1,
                         static_cast<std::size_t>(p * static_cast<double>(ms.size() - 1) + 0.5))];
    };
    std::printf("%d x SELECT 1: p50 %.3f ms, p99 %.3f ms\n", count, at(0.5), at(0.99));
  } catch (const e6data::Error& e) {
    std::fprintf(stderr, "failed: %s\n", e.what());
    return 1;
  }
  return 0;
}

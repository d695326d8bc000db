#include "latency_summary.hpp"

#include <algorithm>
#include <cmath>

namespace e6data::cli {

LatencySummary summarize_latencies(std::vector<double> values) {
  if (values.empty()) return {};
  std::sort(values.begin(), values.end());
  auto rank = [&](double percent) {
    const auto n = static_cast<double>(values.size());
    const auto k = static_cast<std::size_t>(std::ceil(percent / 100.0 * n));
    return values[std::clamp<std::size_t>(k, 1, values.size()) - 1];
  };
  return {values.front(), rank(50), rank(95), values.back()};
}

}  // namespace e6data::cli

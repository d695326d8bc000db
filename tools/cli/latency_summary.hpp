#pragma once
// Minimum, median, 95th percentile and maximum of a set of durations (nearest-rank percentiles).

#include <vector>

namespace e6data::cli {

struct LatencySummary {
  double min = 0;
  double p50 = 0;
  double p95 = 0;
  double max = 0;
};

// The summary of `values` (any order); all zero when empty. Percentile p is the smallest value
// with at least p % of the values at or below it (nearest rank), so it is always a measured one.
LatencySummary summarize_latencies(std::vector<double> values);

}  // namespace e6data::cli

#include "latency_summary.hpp"

#include <gtest/gtest.h>

namespace e6data::cli {
namespace {

TEST(LatencySummary, NearestRankPercentilesAreMeasuredValues) {
  std::vector<double> v;
  for (int i = 100; i >= 1; --i) v.push_back(i);
  const LatencySummary s = summarize_latencies(v);
  EXPECT_EQ(s.min, 1);
  EXPECT_EQ(s.p50, 50);
  EXPECT_EQ(s.p95, 95);
  EXPECT_EQ(s.max, 100);
}

TEST(LatencySummary, FewValues) {
  const LatencySummary one = summarize_latencies({7.5});
  EXPECT_EQ(one.min, 7.5);
  EXPECT_EQ(one.p50, 7.5);
  EXPECT_EQ(one.p95, 7.5);
  const LatencySummary five = summarize_latencies({5, 1, 4, 2, 3});
  EXPECT_EQ(five.p50, 3);
  EXPECT_EQ(five.p95, 5);
  const LatencySummary none = summarize_latencies({});
  EXPECT_EQ(none.max, 0);
}

}  // namespace
}  // namespace e6data::cli

#include "metrics/histogram.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <latch>
#include <thread>
#include <vector>

#include "e6data/errors.hpp"

namespace e6data::metrics {
namespace {

TEST(Histogram, ASampleOnABoundBelongsToThatBucket) {
  const std::vector<double> bounds{1, 2};
  Histogram h(bounds);
  h.observe(1.0);
  h.observe(1.5);
  h.observe(2.5);
  const auto s = h.snapshot();
  EXPECT_EQ(s.counts, (std::vector<std::uint64_t>{1, 1, 1}));
  EXPECT_DOUBLE_EQ(s.sum, 5.0);
  EXPECT_EQ(s.count(), 3U);
}

TEST(Histogram, NanIsCountedInInfAndLeftOutOfTheSum) {
  const std::vector<double> bounds{1};
  Histogram h(bounds);
  h.observe(std::nan(""));
  h.observe(0.5);
  const auto s = h.snapshot();
  EXPECT_EQ(s.counts, (std::vector<std::uint64_t>{1, 1}));
  EXPECT_DOUBLE_EQ(s.sum, 0.5);
}

TEST(Histogram, DefaultBucketsAreTheDocumentedSeconds) {
  Histogram h;
  const auto s = h.snapshot();
  EXPECT_EQ(s.bounds,
            (std::vector<double>{0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0, 10.0}));
  EXPECT_EQ(s.counts.size(), s.bounds.size() + 1);
}

TEST(Histogram, RefusesBoundsNotIncreasingOrTooMany) {
  const std::vector<double> down{2, 1};
  EXPECT_THROW(Histogram{down}, UsageError);
  const std::vector<double> many(kMaxBuckets + 1, 1.0);
  EXPECT_THROW(Histogram{many}, UsageError);
  const std::vector<double> inf{1, HUGE_VAL};
  EXPECT_THROW(Histogram{inf}, UsageError);
}

TEST(Histogram, ConcurrentSamplesAreAllCounted) {
  Histogram h;
  constexpr int kThreads = 4;
  constexpr int kEach = 20000;
  std::latch start(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&h, &start, t] {
      start.arrive_and_wait();
      for (int i = 0; i < kEach; ++i) h.observe(0.001 * (t + 1));
    });
  }
  for (auto& t : threads) t.join();
  const auto s = h.snapshot();
  EXPECT_EQ(s.count(), static_cast<std::uint64_t>(kThreads * kEach));
  EXPECT_NEAR(s.sum, kEach * 0.001 * (1 + 2 + 3 + 4), 1e-6);
}

}  // namespace
}  // namespace e6data::metrics

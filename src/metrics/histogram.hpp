#pragma once
// A histogram with fixed bucket bounds whose observe() takes no lock: one relaxed atomic add on
// the bucket and one on the sum. A reader (the exposition) may see a sample's bucket before its
// sum; the count is the sum of the buckets it read, so _count and the +Inf bucket always agree.

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace e6data::metrics {

// Seconds, for durations of calls and waits: OpenTelemetry's advice for db.client.* durations
// (1 ms .. 10 s), with 25 ms and 250 ms added, which is where a router's lag hold and a
// re-authentication fall. Documented in docs/observability.md; changing it changes series.
inline constexpr std::array<double, 11> kSecondsBuckets{0.001, 0.005, 0.01, 0.025, 0.05, 0.1,
                                                        0.25,  0.5,   1.0,  5.0,   10.0};
inline constexpr std::size_t kMaxBuckets = 16;

// What a reader took from a histogram at one moment.
struct HistogramSnapshot {
  std::vector<double> bounds;         // upper bounds, increasing; +Inf is implied after the last
  std::vector<std::uint64_t> counts;  // per bucket (not cumulative), bounds.size() + 1 entries
  double sum = 0;
  std::uint64_t count() const noexcept;
};

class Histogram {
 public:
  // `bounds` must be increasing and at most kMaxBuckets long (checked; UsageError otherwise).
  explicit Histogram(std::span<const double> bounds = kSecondsBuckets);
  Histogram(const Histogram&) = delete;
  Histogram& operator=(const Histogram&) = delete;

  // Records one sample. Lock-free and wait-free apart from the sum's compare-exchange loop.
  void observe(double value) noexcept;
  HistogramSnapshot snapshot() const;

 private:
  std::array<double, kMaxBuckets> bounds_{};
  std::size_t size_ = 0;  // bounds in use
  std::array<std::atomic<std::uint64_t>, kMaxBuckets + 1> counts_{};
  std::atomic<double> sum_{0.0};
  static_assert(std::atomic<double>::is_always_lock_free, "a sample must take no lock");
  static_assert(std::atomic<std::uint64_t>::is_always_lock_free, "a sample must take no lock");
};

}  // namespace e6data::metrics

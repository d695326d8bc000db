#include "metrics/histogram.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "e6data/errors.hpp"

namespace e6data::metrics {

std::uint64_t HistogramSnapshot::count() const noexcept {
  std::uint64_t n = 0;
  for (const auto c : counts) n += c;
  return n;
}

Histogram::Histogram(std::span<const double> bounds) : size_(bounds.size()) {
  if (bounds.size() > kMaxBuckets) {
    throw UsageError("metrics histogram: " + std::to_string(bounds.size()) +
                     " bucket bounds, at most " + std::to_string(kMaxBuckets));
  }
  for (std::size_t i = 0; i < bounds.size(); ++i) {
    if (!std::isfinite(bounds[i]) || (i > 0 && bounds[i] <= bounds[i - 1])) {
      throw UsageError("metrics histogram: bucket bound " + std::to_string(i) +
                       " is not finite and greater than the one before");
    }
    bounds_[i] = bounds[i];
  }
}

void Histogram::observe(double value) noexcept {
  // Prometheus buckets are `le`: a sample equal to a bound belongs to that bucket. NaN compares
  // false with everything, so lower_bound would put it in the first bucket: it is counted in
  // +Inf instead and left out of the sum (which it would make NaN for ever).
  const double* begin = bounds_.data();
  const auto bucket =
      static_cast<std::size_t>(std::lower_bound(begin, begin + size_, value) - begin);
  counts_[std::isnan(value) ? size_ : bucket].fetch_add(1, std::memory_order_relaxed);
  if (!std::isnan(value)) sum_.fetch_add(value, std::memory_order_relaxed);
}

HistogramSnapshot Histogram::snapshot() const {
  HistogramSnapshot s;
  s.bounds.assign(bounds_.begin(), bounds_.begin() + static_cast<std::ptrdiff_t>(size_));
  s.counts.reserve(size_ + 1);
  for (std::size_t i = 0; i <= size_; ++i) {
    s.counts.push_back(counts_[i].load(std::memory_order_relaxed));
  }
  s.sum = sum_.load(std::memory_order_relaxed);
  return s;
}

}  // namespace e6data::metrics

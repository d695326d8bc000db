#pragma once
// The process's one metrics registry: a list of collectors, each adding the families it knows
// when a scrape asks (pools their counts and histograms, the strategy layer its counters). Series
// live as long as what they describe: a pool's collector is removed when the pool closes.
//
// Recording never touches the registry: instruments (Histogram, atomics in the strategy
// counters) are owned by what they measure and only read here, at scrape time.

#include <cstdint>
#include <functional>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "metrics/family.hpp"

namespace e6data::metrics {

class Registry {
 public:
  // Adds the families of one source to a scrape. Runs with the registry's lock held: it must not
  // add or remove collectors.
  using Collector = std::function<void(std::vector<Family>&)>;

  Registry() = default;
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  std::uint64_t add(Collector collector);
  // After this returns the collector is not running and never runs again.
  void remove(std::uint64_t id);

  std::vector<Family> collect() const;
  // The Prometheus text of everything collected now.
  std::string text() const;

  // A label value unique among live holders (pool names): `wanted`, else `wanted-2`, `-3`, ...
  // so that two pools named alike never make two series with the same labels.
  std::string claim_name(const std::string& wanted);
  void release_name(const std::string& name);

 private:
  mutable std::mutex mutex_;
  std::vector<std::pair<std::uint64_t, Collector>> collectors_;
  std::uint64_t next_id_ = 1;
  std::set<std::string> names_;
};

// The process's registry (never destroyed, so pools closed during static destruction can still
// remove their collectors).
Registry& registry();

}  // namespace e6data::metrics

#include "strategy/switch_timeline.hpp"

#include <cstdio>
#include <deque>

#include "log/logger.hpp"

namespace e6data::strategy {
namespace {

constexpr std::size_t kKeptSummaries = 32;

struct Kept {
  std::mutex mutex;
  std::deque<SwitchSummary> summaries;  // oldest first
};

Kept& kept() {
  static Kept k;
  return k;
}

double seconds_after(TimePoint start, std::int64_t ns) {
  if (ns == 0) return -1;
  return std::chrono::duration<double>(TimePoint(Duration(ns)) - start).count();
}

std::string format_seconds(double s) {
  if (s < 0) return "-";
  char buffer[32];
  std::snprintf(buffer, sizeof(buffer), "%.3f", s);
  return buffer;
}

}  // namespace

void SwitchTimeline::announced(Deployment from, Deployment to, TimePoint at,
                               const SwitchCounts& counts) {
  std::lock_guard lock(mutex_);
  // Reset the marks before naming the sides, so that a bind racing with this cannot leave a mark
  // of the previous switch under the new one's names.
  to_.store(Deployment::kNone, std::memory_order_release);
  from_.store(Deployment::kNone, std::memory_order_release);
  first_new_ns_.store(0, std::memory_order_release);
  last_old_ns_.store(0, std::memory_order_release);
  announced_at_ = at;
  at_announcement_ = counts;
  from_.store(from, std::memory_order_release);
  to_.store(to, std::memory_order_release);
}

SwitchSummary SwitchTimeline::completed(const std::string& endpoint, Deployment from, Deployment to,
                                        std::string_view how, TimePoint at,
                                        const SwitchCounts& counts) {
  SwitchSummary s;
  s.endpoint = endpoint;
  s.from = std::string(to_string(from));
  s.to = std::string(to_string(to));
  s.how = std::string(how);
  {
    std::lock_guard lock(mutex_);
    s.announced = from_.load() == from && to_.load() == to;
    if (s.announced) {
      s.first_query_on_new = seconds_after(announced_at_, first_new_ns_.load());
      s.last_release_on_old = seconds_after(announced_at_, last_old_ns_.load());
      s.completed = std::chrono::duration<double>(at - announced_at_).count();
      const SwitchCounts& a = at_announcement_;
      const bool to_green = to == Deployment::kGreen;
      const std::uint64_t blue = counts.queries_blue - a.queries_blue;
      const std::uint64_t green = counts.queries_green - a.queries_green;
      s.queries_on_new = to_green ? green : blue;
      s.queries_on_old = to_green ? blue : green;
      s.recoveries_456 = counts.recoveries_456 - a.recoveries_456;
      s.reruns = counts.reruns - a.reruns;
      s.lag_holds = counts.lag_holds - a.lag_holds;
      s.lost_queries = counts.lost_queries - a.lost_queries;
      s.reauthentications = counts.reauthentications - a.reauthentications;
    }
    from_.store(Deployment::kNone, std::memory_order_release);
    to_.store(Deployment::kNone, std::memory_order_release);
  }
  log::event(log::get("e6data.strategy"), spdlog::level::info,
             "switch summary: " + s.from + "->" + s.to + " " + s.how + " " +
                 format_seconds(s.completed) + " s after the announcement; " +
                 std::to_string(s.queries_on_old) + " queries on " + s.from + ", " +
                 std::to_string(s.queries_on_new) + " on " + s.to + ", " +
                 std::to_string(s.lost_queries) + " lost",
             {{"endpoint", s.endpoint},
              {"transition", s.from + "->" + s.to},
              {"transition_type", s.how},
              {"announced", s.announced ? "true" : "false"},
              {"first_query_on_new_s", format_seconds(s.first_query_on_new)},
              {"last_release_on_old_s", format_seconds(s.last_release_on_old)},
              {"completed_s", format_seconds(s.completed)},
              {"queries_on_old", std::to_string(s.queries_on_old)},
              {"queries_on_new", std::to_string(s.queries_on_new)},
              {"recoveries_456", std::to_string(s.recoveries_456)},
              {"reruns", std::to_string(s.reruns)},
              {"lag_holds", std::to_string(s.lag_holds)},
              {"lost_queries", std::to_string(s.lost_queries)},
              {"reauthentications", std::to_string(s.reauthentications)}});
  keep_switch_summary(s);
  return s;
}

void keep_switch_summary(SwitchSummary summary) {
  auto& k = kept();
  std::lock_guard lock(k.mutex);
  k.summaries.push_back(std::move(summary));
  while (k.summaries.size() > kKeptSummaries) k.summaries.pop_front();
}

}  // namespace e6data::strategy

namespace e6data {

std::vector<SwitchSummary> recent_switches() {
  auto& k = strategy::kept();
  std::lock_guard lock(k.mutex);
  return {k.summaries.begin(), k.summaries.end()};
}

}  // namespace e6data

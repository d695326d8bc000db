// What recording a metric sample costs (issue #17 item 3: "recording a sample takes no lock").
//
//  BM_HistogramObserve/threads:N   Histogram::observe of a varying duration: a search of the 11
//                                  bounds, a relaxed add on the bucket and a CAS add on the sum.
//                                  All threads share one histogram (the worst case: one cache
//                                  line contended by every core).
//  BM_TimedOperation/threads:N     metrics::timed around a call that does nothing: two clock
//                                  reads, two loads of the strategy word, one observe: the whole
//                                  per-call overhead a Cursor call pays.
//  BM_MetricsText                  one scrape: metrics_text() with one endpoint's series and
//                                  histograms recorded (what the endpoint does per request).
#include <benchmark/benchmark.h>

#include "e6data/metrics.hpp"
#include "metrics/histogram.hpp"
#include "metrics/operation_metrics.hpp"
#include "strategy/endpoint_state.hpp"

namespace {

using namespace e6data;

metrics::Histogram& shared_histogram() {
  static metrics::Histogram h;
  return h;
}

void BM_HistogramObserve(benchmark::State& state) {
  auto& h = shared_histogram();
  double value = 0.0001 * (state.thread_index() + 1);
  for (auto _ : state) {
    h.observe(value);
    value = value < 20 ? value * 1.7 : 0.0001;  // walk through every bucket
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_HistogramObserve)->Threads(1)->Threads(2)->UseRealTime();

strategy::EndpointState& bench_endpoint() {
  static strategy::EndpointState endpoint("bench-metrics:1/", strategy::system_clock(),
                                          strategy::BindingLimits{});
  return endpoint;
}

void BM_TimedOperation(benchmark::State& state) {
  auto& endpoint = bench_endpoint();
  endpoint.confirm(strategy::Deployment::kBlue);
  int n = 0;
  for (auto _ : state) {
    metrics::timed(metrics::Operation::kFetch, strategy::system_clock(), &endpoint,
                   [&n] { benchmark::DoNotOptimize(++n); });
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_TimedOperation)->Threads(1)->Threads(2)->UseRealTime();

void BM_MetricsText(benchmark::State& state) {
  std::size_t bytes = 0;
  for (auto _ : state) {
    const std::string text = metrics_text();
    bytes = text.size();
    benchmark::DoNotOptimize(text.data());
  }
  state.counters["bytes"] = static_cast<double>(bytes);
}
BENCHMARK(BM_MetricsText);

}  // namespace

BENCHMARK_MAIN();

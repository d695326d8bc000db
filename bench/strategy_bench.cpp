// What the strategy layer costs per call, and what a switch costs each client.
//
//  BM_RunCall/threads:N       CallRunner::run around a call that does nothing: the route (one
//                             atomic load of the strategy word and the connection's session),
//                             the new_strategy check of the response. All threads share one
//                             endpoint, as the connections of a process do.
//  BM_StrategyRead/threads:N  the bare lock-free read of the deployment for new work.
//  BM_BindRelease/threads:N   binding a query to its deployment and releasing it (per query).
//  BM_SwitchCost              extra calls a client makes per switch (counter extra_calls/client).
#include <benchmark/benchmark.h>

#include <atomic>

#include "log/logger.hpp"
#include "strategy/call_runner.hpp"
#include "strategy/endpoint_state.hpp"

namespace {

using namespace e6data::strategy;

struct Response {
  std::string value;
  const std::string& new_strategy() const { return value; }
};

std::shared_ptr<EndpointState> shared_endpoint() {
  static auto state = std::make_shared<EndpointState>("bench:1/", system_clock(), BindingLimits{});
  return state;
}

RunnerHooks counting_hooks(std::atomic<int>* authentications) {
  return {[authentications](Deployment, TimePoint) {
            if (authentications) ++*authentications;
            return std::string("session");
          },
          [](TimePoint) { return false; }, [](TimePoint) { return std::string("active"); }};
}

void BM_RunCall(benchmark::State& state) {
  CallRunner runner(shared_endpoint(), RunnerSettings{}, counting_hooks(nullptr));
  const Response response;
  for (auto _ : state) {
    auto r = runner.run(
        [&](const Route& route) {
          return route.deployment == Deployment::kNone ? Response{"x"} : response;
        },
        Repeat::kSafe, std::chrono::seconds(60));
    benchmark::DoNotOptimize(r);
  }
}
BENCHMARK(BM_RunCall)->Threads(1)->Threads(4)->Threads(16)->Threads(32)->UseRealTime();

void BM_StrategyRead(benchmark::State& state) {
  auto endpoint = shared_endpoint();
  endpoint->confirm(Deployment::kBlue);
  for (auto _ : state) benchmark::DoNotOptimize(endpoint->for_new_work());
}
BENCHMARK(BM_StrategyRead)->Threads(1)->Threads(4)->Threads(16)->Threads(32)->UseRealTime();

void BM_BindRelease(benchmark::State& state) {
  auto endpoint = shared_endpoint();
  endpoint->confirm(Deployment::kBlue);
  for (auto _ : state) {
    auto binding = endpoint->bind(endpoint->for_new_work());
    if (binding) endpoint->release(*binding);
  }
}
BENCHMARK(BM_BindRelease)->Threads(1)->Threads(4)->Threads(16)->Threads(32)->UseRealTime();

// 64 clients on one endpoint; each switch is announced by one response, then every client makes
// one call. Counts the calls beyond those: the authentication on the new deployment.
void BM_SwitchCost(benchmark::State& state) {
  constexpr int kClients = 64;
  std::atomic<int> authentications{0};
  auto endpoint =
      std::make_shared<EndpointState>("bench-switch:1/", system_clock(), BindingLimits{});
  std::vector<std::unique_ptr<CallRunner>> clients;
  for (int i = 0; i < kClients; ++i) {
    clients.push_back(
        std::make_unique<CallRunner>(endpoint, RunnerSettings{}, counting_hooks(&authentications)));
  }
  for (auto& c : clients) c->route(system_clock().now() + std::chrono::seconds(1));
  std::int64_t switches = 0;
  const int before = authentications.load();
  for (auto _ : state) {
    const Deployment to = other(endpoint->for_new_work());
    endpoint->observe_new_strategy(other(to), to_string(to));
    for (auto& c : clients) {
      c->run([](const Route&) { return Response{}; }, Repeat::kSafe, std::chrono::seconds(60));
    }
    ++switches;
  }
  state.counters["extra_calls/client/switch"] =
      static_cast<double>(authentications.load() - before) /
      static_cast<double>(switches * kClients);
}
BENCHMARK(BM_SwitchCost);

}  // namespace

int main(int argc, char** argv) {
  e6data::log::LogOptions quiet;  // transitions are logged at info: keep the table readable
  quiet.level = "warning";
  e6data::log::configure(quiet);
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}

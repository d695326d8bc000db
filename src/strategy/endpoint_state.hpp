#pragma once
// What one process knows about one endpoint (host, port, cluster): the active deployment, the
// one announced by `new_strategy` (pending), when it was last confirmed, the live queries bound
// to each deployment, and the counters. Every Connection to the endpoint shares one
// EndpointState, so every connection sees a change at once.
//
// Reading the strategy is one atomic load (no lock on the per-call path). Writes are CAS loops on
// the same word; the word may live in a file under /dev/shm (SharedStrategyFile) so that worker
// processes on one host share it. Bound-query counts stay per process: a process that dies must
// not leave a count behind that blocks a switch for the others.
//
// The switch rule (PROTOCOL.md §6): `new_strategy: Y` while X is active makes Y pending; new work
// goes to Y at once; queries bound to X finish on X; when no query bound to X remains, Y becomes
// active. The check happens whenever a binding is released, never "when the process is idle".

#include <atomic>
#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "e6data/strategy.hpp"
#include "metrics/histogram.hpp"
#include "strategy/clock.hpp"
#include "strategy/deployment.hpp"
#include "strategy/single_flight.hpp"
#include "strategy/switch_timeline.hpp"

namespace e6data::strategy {

class EndpointState;

// The strategy word: active, pending, whether the pending deployment has been seen serving, and
// a generation that changes with every write.
struct StrategyWord {
  Deployment active = Deployment::kNone;
  Deployment pending = Deployment::kNone;
  // A call on the pending deployment succeeded since it was announced. A switch completes only
  // then: a router may accept the announced side a moment after the announcement (PROTOCOL.md
  // §6), and retiring the active side before the new one answers would leave nothing to route to.
  bool pending_confirmed = false;
  std::uint32_t generation = 0;

  static StrategyWord unpack(std::uint64_t bits) noexcept;
  std::uint64_t pack() const noexcept;
};

// Where the strategy word and the last-check time live: in the EndpointState, or shared.
struct StrategyCell {
  std::atomic<std::uint64_t> word{0};
  std::atomic<std::int64_t> last_check_ns{0};  // clock time of the last confirmation; 0 = never
};

// A live query's claim on the deployment it was prepared on. Released exactly once: by the
// cursor (clear, cancel, destructor) or by eviction (the cap or the TTL).
class QueryBinding {
 public:
  Deployment deployment() const noexcept { return deployment_; }
  // Marks the binding used now (lock-free; eviction spares recently used bindings).
  void touch(TimePoint now) noexcept { last_used_ns_.store(now.time_since_epoch().count()); }
  bool released() const noexcept { return released_.load(); }

 private:
  friend class EndpointState;
  Deployment deployment_ = Deployment::kNone;
  std::atomic<Duration::rep> last_used_ns_{0};
  std::atomic<bool> released_{false};
  std::list<std::shared_ptr<QueryBinding>>::iterator position_;  // in EndpointState::bindings_
};

// Riding through a router that accepts an announced deployment late (PROTOCOL.md §6): after the
// pending deployment answers 456, new work stays on the active one for a short hold that grows
// with each 456, and the pending deployment is given up only when it has refused for `window`.
//
// Short holds on purpose: while new work is held on the active side after the router accepted
// the new one, that side may finish draining under a query just started there; the hold bounds
// that window (a retry of the new side costs one refused authentication).
struct LagPolicy {
  Duration window = std::chrono::seconds(2);
  Duration first_hold = std::chrono::milliseconds(25);
  Duration max_hold = std::chrono::milliseconds(100);
};

struct BindingLimits {
  std::int64_t capacity = 1000;              // E6DATA_QUERY_MAPPING_CACHE_SIZE
  Duration ttl = std::chrono::seconds(300);  // E6DATA_CACHE_TTL: idle bindings are abandoned
  Duration cleanup_interval = std::chrono::seconds(300);  // E6DATA_CACHE_CLEANUP_INTERVAL
};

class EndpointState {
 public:
  // `cell` = nullptr keeps the strategy in this object; otherwise it lives in `cell` (shared
  // memory that must outlive this object).
  EndpointState(std::string endpoint, Clock& clock, BindingLimits limits,
                StrategyCell* cell = nullptr, LagPolicy lag = {});
  EndpointState(const EndpointState&) = delete;
  EndpointState& operator=(const EndpointState&) = delete;

  const std::string& endpoint() const noexcept { return endpoint_; }
  Clock& clock() const noexcept { return clock_; }
  const LagPolicy& lag() const noexcept { return lag_; }

  // --- reads: lock-free ---
  StrategyWord word() const noexcept;
  // Where new work (new sessions, new prepares) goes: the pending deployment, else the active;
  // the active one while the pending one is held after a 456 (router lag).
  Deployment for_new_work() const noexcept;
  // True when the strategy was confirmed less than `ttl` ago.
  bool is_fresh(Duration ttl) const noexcept;

  // --- writes ---
  // A call on `d` succeeded: `d` serves. Sets it active when nothing is known, marks it
  // confirmed when it is pending (a switch may then complete), and refreshes the last-check time
  // when `d` is the deployment for new work.
  void confirm(Deployment d);
  // A call on `d` succeeded. Cheap (one atomic load) unless `d` is an unconfirmed pending
  // deployment, which it confirms.
  void note_served(Deployment d) {
    const StrategyWord w = word();
    if (w.pending == d && !w.pending_confirmed && d != Deployment::kNone) confirm(d);
  }
  // Claims the revalidation of a strategy older than `ttl` for the caller (true for one caller
  // per expiry; others carry on with the cached deployment).
  bool claim_revalidation(Duration ttl);
  // A response from a call on `from` carried `new_strategy: announced` (any spelling; empty or
  // unknown values are ignored and logged). Records a switch and completes it when possible.
  // Only the active deployment announces: a response from another one is stale and ignored.
  void observe_new_strategy(Deployment from, std::string_view announced);
  // A call on `gone`, routed when the word had generation `seen`, was answered 456. A 456 from a
  // call routed under an older word is stale (the caller routes again under the new one) and is
  // ignored. If `gone` is pending: hold new work on the active deployment (router lag) and give
  // the pending one up only after LagPolicy::window of refusals. If `gone` is active: the pending
  // deployment (if any) becomes active, else the strategy is forgotten (detect again).
  void on_wrong_deployment(Deployment gone, std::uint32_t seen);
  // The same without a generation (a detection probe, which is never stale).
  void on_wrong_deployment(Deployment gone) { on_wrong_deployment(gone, word().generation); }
  // Forgets everything (tests, a revalidation that found neither deployment, an operator's
  // clear_strategy_cache).
  void reset();
  // An operator's apply_pending_strategy: the pending deployment becomes active now, without
  // waiting for the queries bound to the active one or for the pending one to answer. False
  // when no switch is pending.
  bool complete_pending_now();
  // The deployment that last answered 456 (detection probes it last), or kNone.
  Deployment last_gone() const noexcept { return last_gone_.load(); }

  // --- query bindings ---
  // Binds a new query to `d`, the deployment its session is on. Returns nullptr when `d` is no
  // longer the deployment for new work (a switch was announced meanwhile: route again). Evicts
  // abandoned bindings and enforces the cap.
  std::shared_ptr<QueryBinding> bind(Deployment d);
  // Releases a binding (idempotent) and completes a pending switch when it was the last on
  // the old deployment.
  void release(QueryBinding& binding);
  std::int64_t bound(Deployment d) const noexcept;
  std::size_t live_bindings() const;

  // --- switch listeners ---
  // `listener(retiring)` runs when this process observes the announcement of a switch away from
  // `retiring` (a `new_strategy` naming the other deployment), on the thread that observed it,
  // after the word changed and outside the word's writers. A listener must return quickly (hand
  // work to a thread of its own) and must not add or remove listeners.
  using SwitchListener = std::function<void(Deployment retiring)>;
  std::uint64_t add_switch_listener(SwitchListener listener);
  // After this returns, the listener is not running and never runs again.
  void remove_switch_listener(std::uint64_t id);

  // --- result fetch form (PROTOCOL.md §5.3) ---
  // `d` answered getNextResultBatchV2 with UNIMPLEMENTED (an older server): its results are read
  // with getNextResultBatch until the next transition completes (a switch is a server upgrade).
  // Per process, like the bindings.
  bool result_batch_v1_only(Deployment d) const noexcept {
    return v1_only_[static_cast<std::size_t>(d)].load(std::memory_order_relaxed);
  }
  void note_result_batch_v1_only(Deployment d) noexcept {
    v1_only_[static_cast<std::size_t>(d)].store(true, std::memory_order_relaxed);
  }

  // --- single flights ---
  SingleFlight<Deployment>& detection() noexcept { return detection_; }
  SingleFlight<bool>& resume() noexcept { return resume_; }

  // --- observability ---
  struct Counters {
    std::atomic<std::uint64_t> detections{0}, detection_probes{0}, cache_hits{0}, cache_misses{0},
        recoveries_456{0}, reauthentications{0}, resumes{0}, retries{0}, transitions{0},
        announcements{0}, reruns{0}, lost_queries{0}, queries_blue{0}, queries_green{0},
        bindings_evicted{0}, lag_holds{0};
  };
  Counters& counters() noexcept { return counters_; }
  // How long each cluster resume this process waited for took (seconds, strategy clock).
  metrics::Histogram& resume_seconds() noexcept { return resume_seconds_; }
  const metrics::Histogram& resume_seconds() const noexcept { return resume_seconds_; }
  StrategySnapshot snapshot() const;

 private:
  // Applies `change` to the word with a CAS loop; returns {before, after}.
  template <typename Change>
  std::pair<StrategyWord, StrategyWord> update(Change&& change);
  void maybe_complete_switch();
  // Router lag: holds new work on the active deployment; false when the window has run out.
  bool hold_pending(const StrategyWord& w);
  void note_transition(Deployment from, Deployment to, std::string_view how);
  void evict_locked(TimePoint now);
  void release_locked(QueryBinding& binding);

  const std::string endpoint_;
  Clock& clock_;
  const BindingLimits limits_;
  const LagPolicy lag_;
  StrategyCell own_cell_;
  StrategyCell* cell_;
  std::atomic<std::int64_t> bound_[3]{};  // indexed by Deployment
  std::atomic<Deployment> last_gone_{Deployment::kNone};
  std::atomic<bool> v1_only_[3]{};  // indexed by Deployment; see result_batch_v1_only()
  std::atomic<Deployment> last_detected_{Deployment::kNone};  // what the last detection found
  // Router lag (per process): new work avoids the pending deployment until hold_until_ns_, while
  // the word still has generation hold_generation_. lag_mutex_ orders the writers.
  std::mutex lag_mutex_;
  std::atomic<std::int64_t> hold_until_ns_{0};
  std::atomic<std::uint32_t> hold_generation_{0};
  std::int64_t lag_started_ns_ = 0;  // first 456 of the pending deployment (0 = none)
  int lag_refusals_ = 0;

  mutable std::mutex bindings_mutex_;
  std::list<std::shared_ptr<QueryBinding>> bindings_;  // oldest first
  std::size_t binding_count_ = 0;
  TimePoint last_cleanup_{};

  mutable std::mutex transition_mutex_;  // guards the two fields below (snapshots only)
  std::string last_transition_;
  TimePoint last_transition_at_{};

  std::mutex listeners_mutex_;  // held while listeners run, so removal waits for a running one
  std::vector<std::pair<std::uint64_t, SwitchListener>> listeners_;
  std::uint64_t next_listener_id_ = 1;

  SingleFlight<Deployment> detection_;
  SingleFlight<bool> resume_;
  Counters counters_;
  metrics::Histogram resume_seconds_;
  SwitchTimeline timeline_;  // the switch in progress, summarized when it completes
};

}  // namespace e6data::strategy

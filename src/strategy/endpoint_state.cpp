#include "strategy/endpoint_state.hpp"

#include <nlohmann/json.hpp>

#include "log/logger.hpp"

namespace e6data::strategy {
namespace {

std::size_t index(Deployment d) noexcept {
  return static_cast<std::size_t>(d);
}

std::shared_ptr<spdlog::logger> strategy_log() {
  return log::get("e6data.strategy");
}

SwitchCounts switch_counts(const EndpointState::Counters& c) {
  return {c.queries_blue.load(), c.queries_green.load(), c.recoveries_456.load(),   c.reruns.load(),
          c.lag_holds.load(),    c.lost_queries.load(),  c.reauthentications.load()};
}

}  // namespace

StrategyWord StrategyWord::unpack(std::uint64_t bits) noexcept {
  StrategyWord w;
  w.active = static_cast<Deployment>(bits & 0x3);
  w.pending = static_cast<Deployment>((bits >> 2) & 0x3);
  w.pending_confirmed = ((bits >> 4) & 0x1) != 0;
  w.generation = static_cast<std::uint32_t>(bits >> 32);
  return w;
}

std::uint64_t StrategyWord::pack() const noexcept {
  return static_cast<std::uint64_t>(active) | (static_cast<std::uint64_t>(pending) << 2) |
         (static_cast<std::uint64_t>(pending_confirmed ? 1 : 0) << 4) |
         (static_cast<std::uint64_t>(generation) << 32);
}

EndpointState::EndpointState(std::string endpoint, Clock& clock, BindingLimits limits,
                             StrategyCell* cell, LagPolicy lag)
    : endpoint_(std::move(endpoint)),
      clock_(clock),
      limits_(limits),
      lag_(lag),
      cell_(cell != nullptr ? cell : &own_cell_),
      last_cleanup_(clock.now()) {}

StrategyWord EndpointState::word() const noexcept {
  // seq_cst, like every write of the word and of the bound counts: bind() and release() write a
  // count and then read the word, a switch writes the word and then reads the count (the
  // store-buffering pattern); only sequential consistency guarantees one of them sees the other.
  return StrategyWord::unpack(cell_->word.load(std::memory_order_seq_cst));
}

Deployment EndpointState::for_new_work() const noexcept {
  const StrategyWord w = word();
  if (w.pending == Deployment::kNone) return w.active;
  // Held after a 456 from the pending deployment (one relaxed load when no hold was ever set).
  if (const auto until = hold_until_ns_.load(std::memory_order_acquire);
      until != 0 && w.active != Deployment::kNone &&
      hold_generation_.load(std::memory_order_acquire) == w.generation &&
      clock_.now().time_since_epoch().count() < until) {
    return w.active;
  }
  return w.pending;
}

bool EndpointState::is_fresh(Duration ttl) const noexcept {
  const auto at = cell_->last_check_ns.load(std::memory_order_acquire);
  if (at == 0) return false;
  return clock_.now().time_since_epoch().count() - at < ttl.count();
}

bool EndpointState::claim_revalidation(Duration ttl) {
  auto at = cell_->last_check_ns.load(std::memory_order_acquire);
  const auto now = std::max<std::int64_t>(1, clock_.now().time_since_epoch().count());
  if (at == 0 || now - at < ttl.count()) return false;
  // One winner per expiry: the CAS moves the check time forward for everybody else.
  return cell_->last_check_ns.compare_exchange_strong(at, now, std::memory_order_acq_rel);
}

template <typename Change>
std::pair<StrategyWord, StrategyWord> EndpointState::update(Change&& change) {
  std::uint64_t bits = cell_->word.load(std::memory_order_acquire);
  for (;;) {
    const StrategyWord before = StrategyWord::unpack(bits);
    StrategyWord after = before;
    change(after);
    if (after.active == before.active && after.pending == before.pending &&
        after.pending_confirmed == before.pending_confirmed) {
      return {before, before};
    }
    if (after.pending == Deployment::kNone) after.pending_confirmed = false;
    after.generation = before.generation + 1;
    if (cell_->word.compare_exchange_weak(bits, after.pack(), std::memory_order_seq_cst)) {
      return {before, after};
    }
  }
}

void EndpointState::confirm(Deployment d) {
  if (d == Deployment::kNone) return;
  const auto [before, after] = update([d](StrategyWord& w) {
    if (w.active == Deployment::kNone && w.pending == Deployment::kNone) w.active = d;
    if (w.pending == d) w.pending_confirmed = true;
  });
  if (after.pending == d && after.pending_confirmed && !before.pending_confirmed) {
    maybe_complete_switch();  // the announced side serves: the switch may complete
  }
  if (after.active == d && before.active != d) note_transition(before.active, d, "detected");
  if (for_new_work() == d) {
    // A clock at its epoch would read as "never"; 1 ns later is as good as now.
    const auto now = std::max<std::int64_t>(1, clock_.now().time_since_epoch().count());
    cell_->last_check_ns.store(now, std::memory_order_release);
  }
}

void EndpointState::observe_new_strategy(Deployment from, std::string_view announced) {
  if (announced.empty()) return;
  const auto target = parse_deployment(announced);
  if (!target) {
    strategy_log()->warn("ignoring new_strategy '{}' from {}: not blue or green", announced,
                         to_string(from));
    return;
  }
  const Deployment y = *target;
  const auto [before, after] = update([y, from](StrategyWord& w) {
    if (w.active == Deployment::kNone) {
      w.active = y;  // nothing known yet: the announcement is the best knowledge there is
    } else if (from != Deployment::kNone && from != w.active) {
      // Only the active deployment announces; this response left an older deployment (a query
      // that finished on it after a switch) and must not undo newer knowledge.
    } else if (w.active != y && w.pending != y) {
      w.pending = y;
      w.pending_confirmed = false;
    } else if (w.active == y && w.pending != Deployment::kNone) {
      w.pending = Deployment::kNone;  // a switch back before the first one completed
    }
  });
  if (before.pack() == after.pack()) return;
  if (after.pending == y && before.pending != y) {
    counters_.announcements.fetch_add(1);
    if (after.active != Deployment::kNone && after.active != y) {
      timeline_.announced(after.active, y, clock_.now(), switch_counts(counters_));
    }
    log::event(strategy_log(), spdlog::level::info,
               "switch announced: new work goes to " + std::string(to_string(y)) + ", queries on " +
                   std::string(to_string(after.active)) + " finish there",
               {{"strategy", std::string(to_string(y))},
                {"transition_type", "pending"},
                {"endpoint", endpoint_}});
    if (after.active != Deployment::kNone && after.active != y) {
      std::lock_guard lock(listeners_mutex_);
      for (const auto& [id, listener] : listeners_) listener(after.active);
    }
  }
  maybe_complete_switch();
}

std::uint64_t EndpointState::add_switch_listener(SwitchListener listener) {
  std::lock_guard lock(listeners_mutex_);
  const std::uint64_t id = next_listener_id_++;
  listeners_.emplace_back(id, std::move(listener));
  return id;
}

void EndpointState::remove_switch_listener(std::uint64_t id) {
  std::lock_guard lock(listeners_mutex_);
  std::erase_if(listeners_, [id](const auto& entry) { return entry.first == id; });
}

void EndpointState::on_wrong_deployment(Deployment gone, std::uint32_t seen) {
  if (gone == Deployment::kNone) return;
  const StrategyWord now_word = word();
  if (now_word.generation != seen) return;  // stale: routed under an older word
  last_gone_.store(gone);
  if (now_word.pending == gone && now_word.active != Deployment::kNone) {
    if (hold_pending(now_word)) return;
  }
  const auto [before, after] = update([gone, seen](StrategyWord& w) {
    if (w.generation != seen) return;
    if (w.active == gone) {
      w.active = w.pending;  // kNone when no switch was announced: detect again
      w.pending = Deployment::kNone;
    } else if (w.pending == gone) {
      w.pending = Deployment::kNone;
    }
  });
  if (before.pack() == after.pack()) return;
  if (after.active == Deployment::kNone) {
    cell_->last_check_ns.store(0, std::memory_order_release);
    log::event(strategy_log(), spdlog::level::info,
               std::string(to_string(gone)) + " answered 456: strategy forgotten, detecting again",
               {{"strategy", std::string(to_string(gone))},
                {"transition_type", "invalidated"},
                {"endpoint", endpoint_}});
  } else if (after.active != before.active) {
    note_transition(before.active, after.active, "forced by 456");
  } else if (after.pending == Deployment::kNone && before.pending == gone) {
    log::event(strategy_log(), spdlog::level::warn,
               "the announced deployment " + std::string(to_string(gone)) +
                   " kept answering 456: staying on " + std::string(to_string(after.active)),
               {{"strategy", std::string(to_string(gone))},
                {"transition_type", "announcement_abandoned"},
                {"endpoint", endpoint_}});
  }
}

bool EndpointState::hold_pending(const StrategyWord& w) {
  // The announced deployment refused while the active one still serves: a router that accepts
  // the new side a moment late. Keep new work on the active side for a growing hold, and give
  // the announcement up only after it has been refused for the whole window.
  std::lock_guard lock(lag_mutex_);
  const std::int64_t now = clock_.now().time_since_epoch().count();
  if (hold_generation_.load() != w.generation || lag_started_ns_ == 0) {
    lag_started_ns_ = now;
    lag_refusals_ = 0;
  }
  if (now - lag_started_ns_ >= lag_.window.count()) {
    lag_started_ns_ = 0;
    hold_until_ns_.store(0, std::memory_order_release);
    return false;  // refused for the whole window: give the announcement up
  }
  ++lag_refusals_;
  Duration hold = lag_.first_hold;
  for (int i = 1; i < lag_refusals_ && hold < lag_.max_hold; ++i) hold *= 2;
  hold = std::min(hold, lag_.max_hold);
  hold_generation_.store(w.generation, std::memory_order_release);
  hold_until_ns_.store(std::max<std::int64_t>(1, now + hold.count()), std::memory_order_release);
  counters_.lag_holds.fetch_add(1);
  if (lag_refusals_ == 1) {
    log::event(strategy_log(), spdlog::level::info,
               "the announced deployment " + std::string(to_string(w.pending)) +
                   " answered 456: new work stays on " + std::string(to_string(w.active)) +
                   " and retries it shortly",
               {{"strategy", std::string(to_string(w.pending))},
                {"transition_type", "router_lag"},
                {"endpoint", endpoint_}});
  }
  return true;
}

void EndpointState::reset() {
  update([](StrategyWord& w) { w.active = w.pending = Deployment::kNone; });
  cell_->last_check_ns.store(0, std::memory_order_release);
}

bool EndpointState::complete_pending_now() {
  for (;;) {
    const StrategyWord w = word();
    if (w.pending == Deployment::kNone || w.active == Deployment::kNone) return false;
    std::uint64_t expected = w.pack();
    StrategyWord next = w;
    next.active = w.pending;
    next.pending = Deployment::kNone;
    next.pending_confirmed = false;
    next.generation = w.generation + 1;
    if (cell_->word.compare_exchange_strong(expected, next.pack(), std::memory_order_seq_cst)) {
      const auto now = std::max<std::int64_t>(1, clock_.now().time_since_epoch().count());
      cell_->last_check_ns.store(now, std::memory_order_release);
      note_transition(w.active, next.active, "applied by an operator");
      return true;
    }
  }
}

void EndpointState::maybe_complete_switch() {
  for (;;) {
    const StrategyWord w = word();
    if (w.pending == Deployment::kNone || w.active == Deployment::kNone) return;
    if (!w.pending_confirmed) return;  // the new side has not answered yet
    if (bound_[index(w.active)].load(std::memory_order_seq_cst) > 0) return;
    std::uint64_t expected = w.pack();
    StrategyWord next = w;
    next.active = w.pending;
    next.pending = Deployment::kNone;
    next.pending_confirmed = false;
    next.generation = w.generation + 1;
    if (cell_->word.compare_exchange_strong(expected, next.pack(), std::memory_order_seq_cst)) {
      const auto now = std::max<std::int64_t>(1, clock_.now().time_since_epoch().count());
      cell_->last_check_ns.store(now, std::memory_order_release);
      note_transition(w.active, next.active, "completed");
      return;
    }
  }
}

void EndpointState::note_transition(Deployment from, Deployment to, std::string_view how) {
  const std::string label = from == Deployment::kNone
                                ? std::string(to_string(to))
                                : std::string(to_string(from)) + "->" + std::string(to_string(to));
  if (from != Deployment::kNone) {
    counters_.transitions.fetch_add(1);
    timeline_.completed(endpoint_, from, to, how, clock_.now(), switch_counts(counters_));
    // A switch may have upgraded either deployment: ask each for V2 again.
    for (auto& v1_only : v1_only_) v1_only.store(false, std::memory_order_relaxed);
  }
  {
    std::lock_guard lock(transition_mutex_);
    last_transition_ = label;
    last_transition_at_ = clock_.now();
  }
  // A detection that finds what the last one found (a new connection to a known endpoint, after
  // the strategy was forgotten) is routine: DEBUG. The first one, and every change: INFO.
  const bool news = from != Deployment::kNone || last_detected_.exchange(to) != to;
  log::event(strategy_log(), news ? spdlog::level::info : spdlog::level::debug,
             "active deployment is " + std::string(to_string(to)) + " (" + std::string(how) + ")",
             {{"strategy", std::string(to_string(to))},
              {"transition_type", std::string(how)},
              {"transition", label},
              {"endpoint", endpoint_}});
}

std::shared_ptr<QueryBinding> EndpointState::bind(Deployment d) {
  // Count first, then check `d` is still the deployment for new work: a switch that completes
  // in between sees the count, or this check sees the switch.
  bound_[index(d)].fetch_add(1, std::memory_order_seq_cst);
  if (for_new_work() != d) {
    bound_[index(d)].fetch_sub(1, std::memory_order_seq_cst);
    maybe_complete_switch();
    return nullptr;
  }
  auto binding = std::make_shared<QueryBinding>();
  const TimePoint now = clock_.now();
  binding->touch(now);
  binding->deployment_ = d;
  timeline_.bound(d, now);
  if (d == Deployment::kBlue) counters_.queries_blue.fetch_add(1);
  if (d == Deployment::kGreen) counters_.queries_green.fetch_add(1);
  {
    std::lock_guard lock(bindings_mutex_);
    evict_locked(now);
    binding->position_ = bindings_.insert(bindings_.end(), binding);
    ++binding_count_;
  }
  // An eviction is a release: when it dropped the last query on the old deployment, the pending
  // switch completes now (one atomic load when nothing is pending).
  maybe_complete_switch();
  return binding;
}

void EndpointState::evict_locked(TimePoint now) {
  // Abandoned bindings: idle longer than the TTL, checked once per cleanup interval.
  if (now - last_cleanup_ >= limits_.cleanup_interval) {
    last_cleanup_ = now;
    const auto cutoff = (now - limits_.ttl).time_since_epoch().count();
    for (auto it = bindings_.begin(); it != bindings_.end();) {
      QueryBinding& b = **it++;
      if (b.last_used_ns_.load() < cutoff) {
        counters_.bindings_evicted.fetch_add(1);
        release_locked(b);
      }
    }
  }
  // The cap: the oldest bindings go first.
  while (!bindings_.empty() && binding_count_ >= static_cast<std::size_t>(limits_.capacity)) {
    counters_.bindings_evicted.fetch_add(1);
    release_locked(*bindings_.front());
  }
}

void EndpointState::release(QueryBinding& binding) {
  {
    std::lock_guard lock(bindings_mutex_);
    release_locked(binding);
  }
  maybe_complete_switch();
}

void EndpointState::release_locked(QueryBinding& binding) {
  if (binding.released_.exchange(true)) return;
  bound_[index(binding.deployment_)].fetch_sub(1, std::memory_order_seq_cst);
  --binding_count_;
  timeline_.released(binding.deployment_, clock_.now());
  // Erasing may destroy `binding` when the list held the last reference: touch nothing after.
  bindings_.erase(binding.position_);
}

std::int64_t EndpointState::bound(Deployment d) const noexcept {
  return bound_[index(d)].load(std::memory_order_seq_cst);
}

std::size_t EndpointState::live_bindings() const {
  std::lock_guard lock(bindings_mutex_);
  return binding_count_;
}

StrategySnapshot EndpointState::snapshot() const {
  StrategySnapshot s;
  const StrategyWord w = word();
  const TimePoint now = clock_.now();
  s.endpoint = endpoint_;
  s.active = std::string(to_string(w.active));
  s.pending = std::string(to_string(w.pending));
  if (const auto at = cell_->last_check_ns.load(); at != 0) {
    s.seconds_since_check =
        std::chrono::duration<double>(now.time_since_epoch() - Duration(at)).count();
  }
  {
    std::lock_guard lock(transition_mutex_);
    s.last_transition = last_transition_;
    if (!last_transition_.empty()) {
      s.seconds_since_transition = std::chrono::duration<double>(now - last_transition_at_).count();
    }
  }
  s.bound_blue = bound(Deployment::kBlue);
  s.bound_green = bound(Deployment::kGreen);
  auto& c = s.counters;
  const Counters& k = counters_;
  c.detections = k.detections;
  c.detection_probes = k.detection_probes;
  c.cache_hits = k.cache_hits;
  c.cache_misses = k.cache_misses;
  c.recoveries_456 = k.recoveries_456;
  c.reauthentications = k.reauthentications;
  c.resumes = k.resumes;
  c.retries = k.retries;
  c.transitions = k.transitions;
  c.announcements = k.announcements;
  c.reruns = k.reruns;
  c.lost_queries = k.lost_queries;
  c.queries_blue = k.queries_blue;
  c.queries_green = k.queries_green;
  c.bindings_evicted = k.bindings_evicted;
  c.lag_holds = k.lag_holds;
  return s;
}

}  // namespace e6data::strategy

#include "e6data/connection_pool.hpp"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <exception>
#include <mutex>
#include <random>
#include <sstream>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "client/validated_options.hpp"
#include "e6data/errors.hpp"
#include "log/logger.hpp"
#include "metrics/histogram.hpp"
#include "metrics/registry.hpp"
#include "strategy/endpoint_registry.hpp"

namespace e6data {
namespace detail {

using TimePoint = std::chrono::steady_clock::time_point;
using Duration = std::chrono::steady_clock::duration;

struct IdleConnection {
  std::shared_ptr<Connection> connection;
  TimePoint created;
  TimePoint returned;
  TimePoint alive;           // last known usable: returned, checked, or made
  TimePoint next_keepalive;  // when the housekeeper checks it next
};

// One loan: where and when it was made, for leak reports and soft eviction.
struct Borrow {
  std::string tag;
  std::thread::id thread;
  TimePoint at;
  std::uint64_t eviction_epoch = 0;
  bool reported = false;
  std::weak_ptr<Connection> connection;  // for warming: a Connection may serve two threads
};

// Connections taken out of the pool under the lock, closed and destroyed after it is released
// (closing and tearing down a channel are not things to do while other threads wait).
// Declare it before the lock, so that it is destroyed after the lock is released.
class Retired {
 public:
  Retired() = default;
  Retired(const Retired&) = delete;
  Retired& operator=(const Retired&) = delete;
  ~Retired() {
    try {
      close_all();
    } catch (...) {
      // Best effort, as in every destructor here.
    }
  }

  void add(std::shared_ptr<Connection> connection) {
    connections_.push_back(std::move(connection));
  }
  bool empty() const noexcept { return connections_.empty(); }
  std::size_t size() const noexcept { return connections_.size(); }

  // Closes every connection, then rethrows the first error.
  void close_all() {
    std::exception_ptr first;
    for (auto& connection : connections_) {
      try {
        connection->close();
      } catch (...) {
        if (!first) first = std::current_exception();
      }
    }
    connections_.clear();
    if (first) std::rethrow_exception(first);
  }

 private:
  std::vector<std::shared_ptr<Connection>> connections_;
};

std::shared_ptr<spdlog::logger> pool_log() {
  static const auto logger = log::get("e6data");
  return logger;
}

std::string thread_name(std::thread::id id) {
  std::ostringstream out;
  out << id;
  return out.str();
}

constexpr int kMaxWarmConcurrency = 64;

struct PoolState {
  PoolState(ConnectionOptions o, ConnectionPool::Clock c, ConnectionPool::Factory f,
            ConnectionPool::Settings s)
      : options(std::move(o)),
        now(std::move(c)),
        factory(std::move(f)),
        settings(std::move(s)),
        rng(settings.jitter_seed != 0 ? settings.jitter_seed : std::random_device{}()) {}

  const ConnectionOptions options;
  const ConnectionPool::Clock now;
  const ConnectionPool::Factory factory;
  const ConnectionPool::Settings settings;

  mutable std::mutex mutex;
  std::condition_variable available;  // an idle connection or a free slot appeared, or closed
  std::condition_variable returned;   // a borrowed connection came back (close() waits)
  std::condition_variable wake;       // the housekeeper has work, or must stop
  std::vector<IdleConnection> idle;   // back() was returned last: LIFO takes from the back
  std::deque<std::uint64_t> queue;    // waiting acquire() calls, first come first served
  std::uint64_t next_ticket = 1;
  std::uint64_t loans = 0;  // every loan ever granted (the fairness measure counts them)
  std::unordered_map<std::uint64_t, Borrow> borrows;
  std::uint64_t next_borrow = 1;
  std::uint64_t eviction_epoch = 0;  // soft_evict() raises it: older loans close on return
  int in_use = 0;                    // borrowed, or reserved while the factory makes one
  bool closed = false;
  bool paused = false;
  bool stopping = false;  // the housekeeper must end
  bool warm_requested = false;
  std::uint32_t seen_generation = 0;  // the strategy word the last warming pass saw
  std::minstd_rand rng;
  ConnectionPool::Stats counters;  // the counter fields only

  // Metrics: recorded without the registry (lock-free histograms), read by the pool's collector.
  std::string name;                // claimed in the metrics registry until close()
  metrics::Histogram wait_time;    // acquire() until a connection is lent (real clock)
  metrics::Histogram use_time;     // lent until given back (the pool's clock)
  metrics::Histogram create_time;  // the factory's call (real clock; connections are lazy)

  std::mutex close_mutex;       // orders close() calls: the fields below
  std::uint64_t collector = 0;  // in the metrics registry; 0 once removed
  std::shared_ptr<strategy::EndpointState> endpoint;
  std::uint64_t listener = 0;
  std::thread housekeeper;

  int open() const { return static_cast<int>(idle.size()) + in_use; }
  bool can_lend() const {
    return !paused && (!idle.empty() || open() < options.pool.max_connections);
  }
  // The waiter holding `ticket` may take a connection now (or must see the pool closed).
  bool may_proceed(std::uint64_t ticket) const {
    return closed || (!queue.empty() && queue.front() == ticket && can_lend());
  }

  // With the lock held: when the next keepalive of a connection checked or returned at `at` is.
  TimePoint next_keepalive_after(TimePoint at) {
    const auto interval = std::chrono::duration_cast<Duration>(settings.keepalive_interval);
    if (interval <= Duration::zero()) return TimePoint::max();
    const double early =
        std::uniform_real_distribution<double>(0.0, settings.keepalive_jitter)(rng);
    return at + interval -
           std::chrono::duration_cast<Duration>(interval * std::clamp(early, 0.0, 1.0));
  }

  void add_idle(std::shared_ptr<Connection> connection, TimePoint created, TimePoint at) {
    idle.push_back({std::move(connection), created, at, at, next_keepalive_after(at)});
  }

  // With the lock held: retires idle connections past max_lifetime (regardless of
  // min_connections: they are replaced lazily), then those unused for idle_timeout, longest
  // unused first, while more than min_connections are open.
  void evict(TimePoint at, Retired& retired) {
    auto kept = idle.begin();
    for (auto it = idle.begin(); it != idle.end(); ++it) {
      if (at - it->created >= options.pool.max_lifetime) {
        ++counters.closed_lifetime;
        retired.add(std::move(it->connection));
      } else {
        if (kept != it) *kept = std::move(*it);
        ++kept;
      }
    }
    idle.erase(kept, idle.end());

    // idle is ordered by return time, so the front has been unused longest.
    std::size_t expired = 0;
    while (expired < idle.size() &&
           open() - static_cast<int>(expired) > options.pool.min_connections &&
           at - idle[expired].returned >= options.pool.idle_timeout) {
      ++counters.closed_idle;
      retired.add(std::move(idle[expired].connection));
      ++expired;
    }
    idle.erase(idle.begin(), idle.begin() + static_cast<std::ptrdiff_t>(expired));
  }

  // With the lock held: takes `connection` out of the idle list if it is still there.
  bool take_idle(const std::shared_ptr<Connection>& connection, Retired& retired) {
    const auto it = std::find_if(idle.begin(), idle.end(), [&](const IdleConnection& e) {
      return e.connection == connection;
    });
    if (it == idle.end()) return false;
    retired.add(std::move(it->connection));
    idle.erase(it);
    return true;
  }

  void on_switch_announced() {
    std::lock_guard lock(mutex);
    warm_requested = true;
    wake.notify_all();
  }

  void housekeep();
  void maintain();
  void warm(const std::vector<std::shared_ptr<Connection>>& connections);
};

std::shared_ptr<Connection> make_connection(PoolState& state) {
  const auto started = std::chrono::steady_clock::now();
  auto connection = std::make_shared<Connection>(state.factory(state.options));
  state.create_time.observe(
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
  return connection;
}

double seconds(Duration d) {
  return std::chrono::duration<double>(d).count();
}

// The pool's series for one scrape. Runs under the registry's lock; takes the pool's lock (via
// stats()), never the other way round.
void collect_pool(const PoolState& state, const ConnectionPool::Stats& s,
                  std::vector<metrics::Family>& out) {
  using metrics::Family;
  using metrics::Kind;
  const metrics::Labels pool{{"db_client_connection_pool_name", state.name}};
  const auto labelled = [&pool](std::initializer_list<std::pair<std::string, std::string>> more) {
    metrics::Labels labels = pool;
    labels.insert(labels.end(), more.begin(), more.end());
    return labels;
  };
  const auto gauge = [&](const char* name, const char* unit, const char* help, double value) {
    out.push_back(Family{name, unit, Kind::kGauge, help, {{pool, value, {}}}});
  };
  out.push_back(
      Family{"db.client.connection.count",
             "{connection}",
             Kind::kGauge,
             "Connections open now, by state: idle in the pool or used (borrowed).",
             {{labelled({{"db_client_connection_state", "idle"}}), double(s.idle), {}},
              {labelled({{"db_client_connection_state", "used"}}), double(s.in_use), {}}}});
  gauge("db.client.connection.max", "{connection}",
        "The most connections the pool opens "
        "(pool.max_connections).",
        state.options.pool.max_connections);
  gauge("db.client.connection.idle.max", "{connection}",
        "The most idle connections the pool "
        "keeps (pool.max_connections: no separate cap).",
        state.options.pool.max_connections);
  gauge("db.client.connection.idle.min", "{connection}",
        "The fewest connections idle eviction "
        "leaves open (pool.min_connections).",
        state.options.pool.min_connections);
  gauge("db.client.connection.pending_requests", "{request}", "acquire() calls waiting now.",
        s.waiting);
  gauge("e6data.pool.paused", "1", "1 between pause() and unpause().", s.paused ? 1 : 0);
  const auto counter = [&](const char* name, const char* help, metrics::Labels labels,
                           std::uint64_t value) {
    out.push_back(
        Family{name, "1", Kind::kCounter, help, {{std::move(labels), double(value), {}}}});
  };
  counter("db.client.connection.timeouts", "acquire() calls that timed out (TimeoutError).", pool,
          s.timeouts);
  counter("e6data.pool.connections.created", "Connections made (lazily: no call yet).", pool,
          s.created);
  out.push_back(
      Family{"e6data.pool.connections.closed",
             "1",
             Kind::kCounter,
             "Connections the pool closed, by reason.",
             {{labelled({{"reason", "idle_timeout"}}), double(s.closed_idle), {}},
              {labelled({{"reason", "max_lifetime"}}), double(s.closed_lifetime), {}},
              {labelled({{"reason", "soft_evict"}}), double(s.soft_evicted), {}},
              {labelled({{"reason", "validation_failed"}}), double(s.validation_failures), {}},
              {labelled({{"reason", "keepalive_failed"}}), double(s.keepalive_failures), {}}}});
  out.push_back(Family{
      "e6data.pool.checks",
      "1",
      Kind::kCounter,
      "Liveness checks of idle connections, by kind (on borrow outside the bypass "
      "window, keepalive) and result.",
      {{labelled({{"kind", "borrow"}, {"result", "ok"}}),
        double(s.validations - s.validation_failures),
        {}},
       {labelled({{"kind", "borrow"}, {"result", "failed"}}), double(s.validation_failures), {}},
       {labelled({{"kind", "keepalive"}, {"result", "ok"}}),
        double(s.keepalives - s.keepalive_failures),
        {}},
       {labelled({{"kind", "keepalive"}, {"result", "failed"}}),
        double(s.keepalive_failures),
        {}}}});
  out.push_back(Family{"e6data.pool.warmings",
                       "1",
                       Kind::kCounter,
                       "Connections given a session on an announced deployment, by result.",
                       {{labelled({{"result", "ok"}}), double(s.warmed), {}},
                        {labelled({{"result", "failed"}}), double(s.warm_failures), {}}}});
  counter("e6data.pool.leaks", "Loans reported as held past leak_threshold.", pool, s.leaks);
  const auto histogram = [&](const char* name, const char* help, const metrics::Histogram& h) {
    out.push_back(Family{name, "s", Kind::kHistogram, help, {{pool, 0, h.snapshot()}}});
  };
  histogram("db.client.connection.wait_time",
            "Time acquire() took to lend a connection (with "
            "any check and creation on the way).",
            state.wait_time);
  histogram("db.client.connection.use_time",
            "Time a connection was borrowed, from acquire() to "
            "its return.",
            state.use_time);
  histogram("db.client.connection.create_time",
            "Time the factory took to make a connection "
            "(connections are lazy: authentication happens on the first call).",
            state.create_time);
}

const char* const kClosedMessage = "ConnectionPool::acquire: the pool is closed";

void PoolState::housekeep() {
  std::unique_lock lock(mutex);
  while (!stopping) {
    wake.wait_for(lock, settings.housekeeping_period,
                  [this] { return stopping || warm_requested; });
    if (stopping) break;
    lock.unlock();
    try {
      maintain();
    } catch (...) {
      // The clock or a hook threw; housekeeping tries again next period.
    }
    lock.lock();
  }
}

void PoolState::maintain() {
  std::vector<ConnectionPool::LeakReport> leaks;
  std::vector<std::shared_ptr<Connection>> due;
  std::vector<std::shared_ptr<Connection>> to_warm;
  {
    Retired retired;
    std::lock_guard lock(mutex);
    if (closed) return;
    const TimePoint at = now();
    evict(at, retired);
    if (!retired.empty()) available.notify_all();

    const auto threshold = std::chrono::duration_cast<Duration>(settings.leak_threshold);
    if (threshold > Duration::zero()) {
      for (auto& [id, borrow] : borrows) {
        if (!borrow.reported && at - borrow.at >= threshold) {
          borrow.reported = true;
          ++counters.leaks;
          leaks.push_back({borrow.tag, borrow.thread, at - borrow.at});
        }
      }
    }
    for (auto& entry : idle) {
      if (entry.next_keepalive <= at) {
        entry.next_keepalive = next_keepalive_after(at);
        due.push_back(entry.connection);
      }
    }
    // Warm after an announcement, and once more after the switch completes (or any other change
    // of the word): routing then drops the idle connections' sessions on the retired side.
    if (settings.warm_on_switch && endpoint) {
      const auto generation = endpoint->word().generation;
      if (warm_requested || generation != seen_generation) {
        warm_requested = false;
        seen_generation = generation;
        for (const auto& entry : idle) to_warm.push_back(entry.connection);
        // Borrowed ones too: with every connection out under load, warming only idle ones
        // would warm none. The borrower's calls join the warming's authentication.
        for (const auto& [id, borrow] : borrows) {
          if (auto connection = borrow.connection.lock()) to_warm.push_back(std::move(connection));
        }
      }
    }
  }

  for (const auto& leak : leaks) {
    log::event(pool_log(), spdlog::level::warn,
               "a pooled connection is borrowed longer than the leak threshold",
               {{"tag", leak.tag},
                {"thread", thread_name(leak.thread)},
                {"held_ms",
                 std::to_string(
                     std::chrono::duration_cast<std::chrono::milliseconds>(leak.held).count())}});
    if (settings.on_leak) {
      try {
        settings.on_leak(leak);
      } catch (...) {
        // A reporting hook must not stop housekeeping.
      }
    }
  }

  for (const auto& connection : due) {
    bool ok = true;
    try {
      settings.validate(*connection, settings.validation_timeout);
    } catch (...) {
      ok = false;
    }
    Retired retired;
    std::lock_guard lock(mutex);
    ++counters.keepalives;
    if (ok) {
      const TimePoint at = now();
      for (auto& entry : idle) {
        if (entry.connection == connection) entry.alive = at;
      }
    } else {
      ++counters.keepalive_failures;
      if (take_idle(connection, retired)) available.notify_all();
    }
  }

  if (!to_warm.empty()) warm(to_warm);
}

void PoolState::warm(const std::vector<std::shared_ptr<Connection>>& connections) {
  // Bounded concurrency: `workers` threads take the connections in turn. A borrower may take one
  // of them meanwhile; a Connection may be used from several threads, and it joins the warming's
  // authentication instead of starting its own.
  std::mutex next_mutex;
  std::size_t next = 0;
  const auto work = [&] {
    for (;;) {
      std::shared_ptr<Connection> connection;
      {
        std::lock_guard lock(next_mutex);
        if (next == connections.size()) return;
        connection = connections[next++];
      }
      bool ok = true;
      try {
        if (connection->is_open()) settings.warm(*connection);
      } catch (...) {
        ok = false;  // the borrower authenticates (and sees the error, if it lasts)
      }
      std::lock_guard lock(mutex);
      ++(ok ? counters.warmed : counters.warm_failures);
    }
  };
  const std::size_t workers =
      std::min(connections.size(), static_cast<std::size_t>(settings.warm_concurrency));
  std::vector<std::thread> threads;
  threads.reserve(workers);
  try {
    for (std::size_t i = 1; i < workers; ++i) threads.emplace_back(work);
  } catch (...) {
    // No thread to spare: fewer workers do the same work.
  }
  work();
  for (auto& thread : threads) thread.join();
}

}  // namespace detail

// PooledConnection

PooledConnection::PooledConnection() noexcept = default;

PooledConnection::PooledConnection(std::weak_ptr<detail::PoolState> pool,
                                   std::shared_ptr<Connection> connection,
                                   std::chrono::steady_clock::time_point created,
                                   std::uint64_t borrow) noexcept
    : pool_(std::move(pool)),
      connection_(std::move(connection)),
      created_(created),
      borrow_(borrow) {}

PooledConnection::~PooledConnection() {
  release();
}

PooledConnection::PooledConnection(PooledConnection&& other) noexcept
    : pool_(std::move(other.pool_)),
      connection_(std::move(other.connection_)),
      created_(other.created_),
      borrow_(other.borrow_) {}

PooledConnection& PooledConnection::operator=(PooledConnection&& other) noexcept {
  if (this != &other) {
    release();
    pool_ = std::move(other.pool_);
    connection_ = std::move(other.connection_);
    created_ = other.created_;
    borrow_ = other.borrow_;
  }
  return *this;
}

Connection& PooledConnection::operator*() const {
  if (!connection_) {
    throw UsageError("PooledConnection: no connection (released, discarded or moved from)");
  }
  return *connection_;
}

Connection* PooledConnection::operator->() const {
  return &**this;
}

PooledConnection::operator bool() const noexcept {
  return connection_ != nullptr;
}

void PooledConnection::release() noexcept {
  give_back(true);
}

void PooledConnection::discard() noexcept {
  give_back(false);
}

void PooledConnection::give_back(bool keep) noexcept {
  if (!connection_) return;
  std::shared_ptr<Connection> connection = std::move(connection_);
  const std::shared_ptr<detail::PoolState> state = pool_.lock();
  pool_.reset();

  detail::Retired retired;  // destroyed after `lock` below: closes outside the lock
  if (!state) {
    retired.add(std::move(connection));  // the pool is gone: nothing to return to
    return;
  }
  bool was_reported = false;
  std::string tag;
  try {
    std::unique_lock lock(state->mutex);
    --state->in_use;
    bool evicted = false;
    if (const auto it = state->borrows.find(borrow_); it != state->borrows.end()) {
      was_reported = it->second.reported;
      if (was_reported) tag = it->second.tag;
      evicted = it->second.eviction_epoch < state->eviction_epoch;
      state->use_time.observe(detail::seconds(state->now() - it->second.at));
      state->borrows.erase(it);
    }
    // Whatever happens below, a slot or a connection is now free for one waiter; if
    // connections are retired as well, more slots are.
    if (state->closed || !keep || !connection->is_open()) {
      retired.add(std::move(connection));
    } else if (evicted) {
      ++state->counters.soft_evicted;
      retired.add(std::move(connection));
    } else {
      const auto now = state->now();
      if (now - created_ >= state->options.pool.max_lifetime) {
        ++state->counters.closed_lifetime;
        retired.add(std::move(connection));
      } else {
        state->add_idle(std::move(connection), created_, now);
      }
      state->evict(now, retired);
    }
    // FIFO: only the first waiter may take what came back, but every waiter must re-check
    // whether it is now first, so wake them all.
    state->available.notify_all();
    state->returned.notify_all();
  } catch (...) {
    // The clock threw (after in_use was given back), or memory ran out: drop the connection.
    if (connection) retired.add(std::move(connection));
    state->available.notify_all();
    state->returned.notify_all();
  }
  if (was_reported) {
    log::event(detail::pool_log(), spdlog::level::info,
               "a pooled connection reported as leaked came back", {{"tag", tag}});
  }
}

// ConnectionPool

ConnectionPool::Settings ConnectionPool::Settings::passive() {
  Settings s;
  s.validate_on_borrow = false;
  s.keepalive_interval = std::chrono::milliseconds::zero();
  s.leak_threshold = std::chrono::milliseconds::zero();
  s.close_timeout = std::chrono::milliseconds::zero();
  s.warm_on_switch = false;
  s.background = false;
  return s;
}

ConnectionPool::ConnectionPool(ConnectionOptions options)
    : ConnectionPool(std::move(options), Settings{}) {}

ConnectionPool::ConnectionPool(ConnectionOptions options, Settings settings)
    : ConnectionPool(
          std::move(options), [] { return std::chrono::steady_clock::now(); },
          [](const ConnectionOptions& o) { return Connection(o); }, std::move(settings)) {}

ConnectionPool::ConnectionPool(ConnectionOptions options, Clock now, Factory factory)
    : ConnectionPool(std::move(options), std::move(now), std::move(factory), Settings::passive()) {}

ConnectionPool::ConnectionPool(ConnectionOptions options, Clock now, Factory factory,
                               Settings settings) {
  if (!now) throw UsageError("ConnectionPool: the clock is empty");
  if (!factory) throw UsageError("ConnectionPool: the connection factory is empty");
  std::string problems;
  const auto negative = [&](std::chrono::milliseconds value, const char* name) {
    if (value < std::chrono::milliseconds::zero()) {
      problems += std::string(problems.empty() ? "" : "; ") + name + " is negative";
    }
  };
  negative(settings.validation_bypass, "validation_bypass");
  negative(settings.validation_timeout, "validation_timeout");
  negative(settings.keepalive_interval, "keepalive_interval");
  negative(settings.leak_threshold, "leak_threshold");
  negative(settings.close_timeout, "close_timeout");
  if (settings.housekeeping_period <= std::chrono::milliseconds::zero()) {
    problems += std::string(problems.empty() ? "" : "; ") + "housekeeping_period is not positive";
  }
  if (!(settings.keepalive_jitter >= 0.0 && settings.keepalive_jitter <= 1.0)) {
    problems += std::string(problems.empty() ? "" : "; ") + "keepalive_jitter is not in [0, 1]";
  }
  if (settings.warm_concurrency < 1 || settings.warm_concurrency > detail::kMaxWarmConcurrency) {
    problems += std::string(problems.empty() ? "" : "; ") + "warm_concurrency is not in 1..64";
  }
  if (!problems.empty()) throw UsageError("ConnectionPool: invalid settings: " + problems);
  if (!settings.validate) {
    settings.validate = [](Connection& connection, std::chrono::milliseconds timeout) {
      QueryOptions o;
      o.timeout = timeout;
      (void)connection.dry_run("SELECT 1", o);
    };
  }
  if (!settings.warm) settings.warm = [](Connection& connection) { connection.warm(); };

  state_ =
      std::make_shared<detail::PoolState>(detail::validated(std::move(options)), std::move(now),
                                          std::move(factory), std::move(settings));
  auto& state = *state_;
  // No other thread can see the pool yet, but keep the invariant: state under the lock.
  const int count = state.options.pool.min_connections;
  std::vector<std::shared_ptr<Connection>> made;
  made.reserve(static_cast<std::size_t>(count));
  for (int i = 0; i < count; ++i) made.push_back(detail::make_connection(state));
  {
    std::lock_guard lock(state.mutex);
    const auto at = state.now();
    for (auto& connection : made) {
      state.add_idle(std::move(connection), at, at);
      ++state.counters.created;
    }
  }
  if (state.settings.warm_on_switch) {
    state.endpoint = strategy::endpoint_state_for(state.options);
    state.seen_generation = state.endpoint->word().generation;
    detail::PoolState* const raw = &state;  // close() removes the listener before state dies
    state.listener = state.endpoint->add_switch_listener(
        [raw](strategy::Deployment) { raw->on_switch_announced(); });
  }
  if (state.settings.background) {
    try {
      state.housekeeper = std::thread([raw = &state] { raw->housekeep(); });
    } catch (...) {
      if (state.listener != 0) state.endpoint->remove_switch_listener(state.listener);
      throw;
    }
  }
  static std::atomic<std::uint64_t> pools{0};
  const std::uint64_t number = ++pools;
  auto& registry = metrics::registry();
  state.name = registry.claim_name(
      state.settings.name.empty() ? "e6data-pool-" + std::to_string(number) : state.settings.name);
  // The collector holds the state weakly: a scrape racing with the pool's end sees nothing.
  state.collector = registry.add(
      [weak = std::weak_ptr<detail::PoolState>(state_)](std::vector<metrics::Family>& out) {
        const auto pool = weak.lock();
        if (!pool) return;
        ConnectionPool::Stats s;
        {
          std::lock_guard lock(pool->mutex);
          s = pool->counters;
          s.idle = static_cast<int>(pool->idle.size());
          s.in_use = pool->in_use;
          s.waiting = static_cast<int>(pool->queue.size());
          s.paused = pool->paused;
        }
        detail::collect_pool(*pool, s, out);
      });
}

ConnectionPool::~ConnectionPool() {
  if (!state_) return;
  try {
    {
      std::lock_guard lock(state_->mutex);
      // The destructor does not wait for borrowed connections: they close when they come back.
      state_->closed = true;
    }
    close();
  } catch (...) {
    // A destructor never throws; close() already closed everything it could.
  }
}

ConnectionPool::ConnectionPool(ConnectionPool&& other) noexcept = default;

ConnectionPool& ConnectionPool::operator=(ConnectionPool&& other) noexcept {
  if (this != &other) {
    try {
      close();
    } catch (...) {
      // As in the destructor.
    }
    state_ = std::move(other.state_);
  }
  return *this;
}

PooledConnection ConnectionPool::acquire() {
  if (!state_) throw UsageError(detail::kClosedMessage);
  return acquire(std::chrono::duration_cast<std::chrono::milliseconds>(
      state_->options.pool.connection_timeout));
}

PooledConnection ConnectionPool::acquire(std::chrono::milliseconds timeout) {
  return acquire(timeout, {});
}

PooledConnection ConnectionPool::acquire(std::chrono::milliseconds timeout, std::string tag) {
  if (!state_) throw UsageError(detail::kClosedMessage);
  if (timeout < std::chrono::milliseconds::zero()) {
    throw UsageError("ConnectionPool::acquire: the timeout is negative (" +
                     std::to_string(timeout.count()) + " ms)");
  }
  auto& state = *state_;
  // The wait runs on the real clock (a fake clock cannot wake a condition variable); capped so
  // that a huge timeout cannot overflow the time point.
  const auto started = std::chrono::steady_clock::now();
  const auto deadline =
      started + std::min<std::chrono::milliseconds>(timeout, std::chrono::hours(24 * 365));

  detail::Retired retired;  // destroyed after `lock`: closes outside the lock
  std::unique_lock lock(state.mutex);
  const auto note_wait = [&state, started] {
    state.wait_time.observe(detail::seconds(std::chrono::steady_clock::now() - started));
  };
  std::uint64_t ticket = 0;  // 0 until this call joins the queue of waiters
  std::uint64_t loans_when_queued = 0;
  const auto leave_queue = [&] {
    if (ticket == 0) return;
    std::erase(state.queue, ticket);
    ticket = 0;
    // The next waiter may be first now.
    state.available.notify_all();
  };
  for (;;) {
    if (state.closed) {
      leave_queue();
      throw UsageError(detail::kClosedMessage);
    }
    const auto now = state.now();
    const std::size_t retired_before = retired.size();
    state.evict(now, retired);
    // Retiring connections freed slots; let waiters (if any) look again.
    if (retired.size() != retired_before && !state.queue.empty()) state.available.notify_all();
    // First come, first served: a borrower goes ahead only when nobody waits before it.
    const bool first = ticket == 0 ? state.queue.empty() : state.queue.front() == ticket;
    if (first && state.can_lend()) {
      if (ticket != 0) {
        state.counters.most_loans_while_waiting =
            std::max(state.counters.most_loans_while_waiting, state.loans - loans_when_queued);
      }
      leave_queue();
      ++state.loans;
      const std::uint64_t borrow = state.next_borrow++;
      state.borrows.emplace(
          borrow,
          detail::Borrow{
              std::move(tag), std::this_thread::get_id(), now, state.eviction_epoch, false, {}});
      ++state.in_use;
      if (!state.idle.empty()) {
        detail::IdleConnection entry = std::move(state.idle.back());
        state.idle.pop_back();
        const bool check = state.settings.validate_on_borrow &&
                           now - entry.alive >= std::chrono::duration_cast<detail::Duration>(
                                                    state.settings.validation_bypass);
        if (!check) {
          state.borrows[borrow].connection = entry.connection;
          note_wait();
          return PooledConnection(state_, std::move(entry.connection), entry.created, borrow);
        }
        lock.unlock();
        try {
          state.settings.validate(*entry.connection, state.settings.validation_timeout);
          lock.lock();
          ++state.counters.validations;
          state.borrows[borrow].connection = entry.connection;
          note_wait();
          return PooledConnection(state_, std::move(entry.connection), entry.created, borrow);
        } catch (...) {
          // Not usable: close it and give its slot a new connection (lazy: no call here).
          retired.add(std::move(entry.connection));
          lock.lock();
          ++state.counters.validations;
          ++state.counters.validation_failures;
          ++state.counters.created;
        }
      } else {
        ++state.counters.created;
      }
      // Make the connection for the reserved slot without the lock.
      lock.unlock();
      try {
        auto connection = detail::make_connection(state);
        lock.lock();
        if (const auto it = state.borrows.find(borrow); it != state.borrows.end()) {
          it->second.connection = connection;
        }
        note_wait();
        return PooledConnection(state_, std::move(connection), now, borrow);
      } catch (...) {
        lock.lock();
        --state.in_use;
        --state.counters.created;
        state.borrows.erase(borrow);
        state.available.notify_all();
        throw;
      }
    }
    if (ticket == 0) {
      ticket = state.next_ticket++;
      state.queue.push_back(ticket);
      loans_when_queued = state.loans;
    }
    const bool ready = state.available.wait_until(
        lock, deadline, [&state, ticket] { return state.may_proceed(ticket); });
    if (!ready) {
      leave_queue();
      ++state.counters.timeouts;
      const auto waited = std::chrono::duration_cast<std::chrono::milliseconds>(
          std::chrono::steady_clock::now() - started);
      ErrorContext context;
      context.retryable = true;  // connections may come back
      const std::string why = state.paused
                                  ? "the pool is paused (ConnectionPool::pause)"
                                  : "all " + std::to_string(state.options.pool.max_connections) +
                                        " connections (pool.max_connections) are in use";
      throw TimeoutError(ErrorKind::kTimeout,
                         "ConnectionPool::acquire: " + why + "; waited " +
                             std::to_string(waited.count()) + " ms of a " +
                             std::to_string(timeout.count()) + " ms timeout",
                         context);
    }
  }
}

std::string ConnectionPool::name() const {
  return state_ ? state_->name : std::string();
}

ConnectionPool::Stats ConnectionPool::stats() const {
  if (!state_) return {};
  std::lock_guard lock(state_->mutex);
  Stats s = state_->counters;
  s.open = state_->open();
  s.idle = static_cast<int>(state_->idle.size());
  s.in_use = state_->in_use;
  s.waiting = static_cast<int>(state_->queue.size());
  s.paused = state_->paused;
  return s;
}

void ConnectionPool::soft_evict() {
  if (!state_) return;
  detail::Retired retired;
  std::lock_guard lock(state_->mutex);
  ++state_->eviction_epoch;
  state_->counters.soft_evicted += state_->idle.size();
  for (auto& entry : state_->idle) retired.add(std::move(entry.connection));
  state_->idle.clear();
  state_->available.notify_all();  // slots are free for new connections
}

void ConnectionPool::pause() {
  if (!state_) return;
  std::lock_guard lock(state_->mutex);
  state_->paused = true;
}

void ConnectionPool::unpause() {
  if (!state_) return;
  std::lock_guard lock(state_->mutex);
  state_->paused = false;
  state_->available.notify_all();
}

void ConnectionPool::maintain() {
  if (!state_) throw UsageError("ConnectionPool::maintain on a moved-from pool");
  state_->maintain();
}

void ConnectionPool::close() {
  if (!state_) return;
  auto& state = *state_;
  detail::Retired retired;
  bool wait = false;
  {
    std::lock_guard lock(state.mutex);
    wait = !state.closed;  // only the first close() waits (the destructor marks it closed)
    state.closed = true;
    state.stopping = true;
    for (auto& entry : state.idle) retired.add(std::move(entry.connection));
    state.idle.clear();
    state.available.notify_all();
    state.wake.notify_all();
  }
  {
    // Outside the pool's lock: a running listener takes it.
    std::lock_guard stop(state.close_mutex);
    if (state.listener != 0) {
      state.endpoint->remove_switch_listener(state.listener);
      state.listener = 0;
    }
    if (state.housekeeper.joinable()) state.housekeeper.join();
    if (state.collector != 0) {
      // Its series end with the pool; the name is free for a new pool.
      metrics::registry().remove(state.collector);
      metrics::registry().release_name(state.name);
      state.collector = 0;
    }
  }
  if (wait && state.settings.close_timeout > std::chrono::milliseconds::zero()) {
    std::unique_lock lock(state.mutex);
    const bool all_back = state.returned.wait_for(lock, state.settings.close_timeout,
                                                  [&state] { return state.in_use == 0; });
    if (!all_back) {
      log::event(detail::pool_log(), spdlog::level::warn,
                 "ConnectionPool::close: connections still borrowed after the close timeout; "
                 "they close when they come back",
                 {{"borrowed", std::to_string(state.in_use)}});
    }
  }
  retired.close_all();
}

}  // namespace e6data

#include "e6data/connection_pool.hpp"

#include <algorithm>
#include <condition_variable>
#include <cstddef>
#include <exception>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "client/validated_options.hpp"
#include "e6data/errors.hpp"

namespace e6data {
namespace detail {

using TimePoint = std::chrono::steady_clock::time_point;

struct IdleConnection {
  std::unique_ptr<Connection> connection;
  TimePoint created;
  TimePoint returned;
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

  void add(std::unique_ptr<Connection> connection) {
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
  std::vector<std::unique_ptr<Connection>> connections_;
};

struct PoolState {
  PoolState(ConnectionOptions o, ConnectionPool::Clock c, ConnectionPool::Factory f)
      : options(std::move(o)), now(std::move(c)), factory(std::move(f)) {}

  const ConnectionOptions options;
  const ConnectionPool::Clock now;
  const ConnectionPool::Factory factory;

  mutable std::mutex mutex;
  std::condition_variable available;  // an idle connection or a free slot appeared, or closed
  std::vector<IdleConnection> idle;   // back() was returned last: LIFO takes from the back
  int in_use = 0;                     // borrowed, or reserved while the factory makes one
  int waiting = 0;
  bool closed = false;
  std::uint64_t created = 0;
  std::uint64_t closed_idle = 0;
  std::uint64_t closed_lifetime = 0;
  std::uint64_t timeouts = 0;

  int open() const { return static_cast<int>(idle.size()) + in_use; }
  bool can_proceed() const {
    return closed || !idle.empty() || open() < options.pool.max_connections;
  }

  // With the lock held: retires idle connections past max_lifetime (regardless of
  // min_connections: they are replaced lazily), then those unused for idle_timeout, longest
  // unused first, while more than min_connections are open.
  void evict(TimePoint at, Retired& retired) {
    auto kept = idle.begin();
    for (auto it = idle.begin(); it != idle.end(); ++it) {
      if (at - it->created >= options.pool.max_lifetime) {
        ++closed_lifetime;
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
      ++closed_idle;
      retired.add(std::move(idle[expired].connection));
      ++expired;
    }
    idle.erase(idle.begin(), idle.begin() + static_cast<std::ptrdiff_t>(expired));
  }
};

namespace {

std::unique_ptr<Connection> make_connection(const PoolState& state) {
  return std::make_unique<Connection>(state.factory(state.options));
}

const char* const kClosedMessage = "ConnectionPool::acquire: the pool is closed";

}  // namespace
}  // namespace detail

// PooledConnection

PooledConnection::PooledConnection() noexcept = default;

PooledConnection::PooledConnection(std::weak_ptr<detail::PoolState> pool,
                                   std::unique_ptr<Connection> connection,
                                   std::chrono::steady_clock::time_point created) noexcept
    : pool_(std::move(pool)), connection_(std::move(connection)), created_(created) {}

PooledConnection::~PooledConnection() {
  release();
}

PooledConnection::PooledConnection(PooledConnection&& other) noexcept
    : pool_(std::move(other.pool_)),
      connection_(std::move(other.connection_)),
      created_(other.created_) {}

PooledConnection& PooledConnection::operator=(PooledConnection&& other) noexcept {
  if (this != &other) {
    release();
    pool_ = std::move(other.pool_);
    connection_ = std::move(other.connection_);
    created_ = other.created_;
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
  std::unique_ptr<Connection> connection = std::move(connection_);
  const std::shared_ptr<detail::PoolState> state = pool_.lock();
  pool_.reset();

  detail::Retired retired;  // destroyed after `lock` below: closes outside the lock
  if (!state) {
    retired.add(std::move(connection));  // the pool is gone: nothing to return to
    return;
  }
  try {
    std::unique_lock lock(state->mutex);
    --state->in_use;
    // Whatever happens below, a slot or a connection is now free for one waiter; if
    // connections are retired as well, more slots are.
    if (state->closed || !keep || !connection->is_open()) {
      retired.add(std::move(connection));
    } else {
      const auto now = state->now();
      if (now - created_ >= state->options.pool.max_lifetime) {
        ++state->closed_lifetime;
        retired.add(std::move(connection));
      } else {
        state->idle.push_back({std::move(connection), created_, now});
      }
      state->evict(now, retired);
    }
    if (retired.empty()) {
      state->available.notify_one();
    } else {
      state->available.notify_all();
    }
  } catch (...) {
    // The clock threw (after in_use was given back), or memory ran out: drop the connection.
    if (connection) retired.add(std::move(connection));
    state->available.notify_all();
  }
}

// ConnectionPool

ConnectionPool::ConnectionPool(ConnectionOptions options)
    : ConnectionPool(
          std::move(options), [] { return std::chrono::steady_clock::now(); },
          [](const ConnectionOptions& o) { return Connection(o); }) {}

ConnectionPool::ConnectionPool(ConnectionOptions options, Clock now, Factory factory) {
  if (!now) throw UsageError("ConnectionPool: the clock is empty");
  if (!factory) throw UsageError("ConnectionPool: the connection factory is empty");
  state_ = std::make_shared<detail::PoolState>(detail::validated(std::move(options)),
                                               std::move(now), std::move(factory));
  // No other thread can see the pool yet, but keep the invariant: state under the lock.
  const int count = state_->options.pool.min_connections;
  std::vector<std::unique_ptr<Connection>> made;
  made.reserve(static_cast<std::size_t>(count));
  for (int i = 0; i < count; ++i) made.push_back(detail::make_connection(*state_));
  std::lock_guard lock(state_->mutex);
  const auto at = state_->now();
  for (auto& connection : made) {
    state_->idle.push_back({std::move(connection), at, at});
    ++state_->created;
  }
}

ConnectionPool::~ConnectionPool() {
  try {
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
  for (;;) {
    if (state.closed) throw UsageError(detail::kClosedMessage);
    const auto now = state.now();
    const std::size_t retired_before = retired.size();
    state.evict(now, retired);
    // Retiring connections freed slots; let waiters (if any) look again.
    if (retired.size() != retired_before && state.waiting > 0) state.available.notify_all();
    if (!state.idle.empty()) {
      detail::IdleConnection entry = std::move(state.idle.back());
      state.idle.pop_back();
      ++state.in_use;
      return PooledConnection(state_, std::move(entry.connection), entry.created);
    }
    if (state.open() < state.options.pool.max_connections) {
      // Reserve the slot, then make the connection without the lock.
      ++state.in_use;
      ++state.created;
      lock.unlock();
      try {
        auto connection = detail::make_connection(state);
        return PooledConnection(state_, std::move(connection), now);
      } catch (...) {
        lock.lock();
        --state.in_use;
        --state.created;
        state.available.notify_one();
        throw;
      }
    }
    ++state.waiting;
    const bool ready =
        state.available.wait_until(lock, deadline, [&state] { return state.can_proceed(); });
    --state.waiting;
    if (!ready) {
      ++state.timeouts;
      const auto waited = std::chrono::duration_cast<std::chrono::milliseconds>(
          std::chrono::steady_clock::now() - started);
      ErrorContext context;
      context.retryable = true;  // connections may come back
      throw TimeoutError(ErrorKind::kTimeout,
                         "ConnectionPool::acquire: all " +
                             std::to_string(state.options.pool.max_connections) +
                             " connections (pool.max_connections) are in use; waited " +
                             std::to_string(waited.count()) + " ms of a " +
                             std::to_string(timeout.count()) + " ms timeout",
                         context);
    }
  }
}

ConnectionPool::Stats ConnectionPool::stats() const {
  if (!state_) return {};
  std::lock_guard lock(state_->mutex);
  Stats s;
  s.open = state_->open();
  s.idle = static_cast<int>(state_->idle.size());
  s.in_use = state_->in_use;
  s.waiting = state_->waiting;
  s.created = state_->created;
  s.closed_idle = state_->closed_idle;
  s.closed_lifetime = state_->closed_lifetime;
  s.timeouts = state_->timeouts;
  return s;
}

void ConnectionPool::close() {
  if (!state_) return;
  detail::Retired retired;
  {
    std::lock_guard lock(state_->mutex);
    state_->closed = true;
    for (auto& entry : state_->idle) retired.add(std::move(entry.connection));
    state_->idle.clear();
    state_->available.notify_all();
  }
  retired.close_all();
}

}  // namespace e6data

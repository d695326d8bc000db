#pragma once
/// \file
/// \brief ConnectionPool: a bounded set of Connections shared by many threads.
///
/// \code
///   e6data::ConnectionPool pool(options);  // options.pool: max_connections, idle_timeout, ...
///   {
///     auto connection = pool.acquire();    // waits up to pool.connection_timeout
///     auto cursor = connection->cursor();
///     ...
///   }                                      // back to the pool
/// \endcode
///
/// Policy, all from ConnectionOptions::pool:
/// - At most `max_connections` connections exist at once (idle plus borrowed). acquire() waits
///   for one to come back when that many are out, and throws TimeoutError after the wait.
/// - Idle connections are reused last-in first-out, so the warmest session goes out first.
/// - On every acquire and return, idle connections unused for `idle_timeout` are closed, oldest
///   first, but never so many that fewer than `min_connections` stay open.
/// - A connection older than `max_lifetime` is closed when it comes back or is found idle, even
///   below `min_connections`; the next acquire() that needs one makes a new one.
/// - A connection returned closed (`!is_open()`) is dropped, and so is one given to discard().
///
/// Connections are made lazily: constructing one does no network I/O, so the pool's
/// constructor (which makes `min_connections` of them) and acquire() never dial. The first call
/// on a fresh connection authenticates.
///
/// Idle and lifetime decisions use an injectable clock, so tests need not sleep; the wait in
/// acquire() always runs on the real steady clock.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>

#include "e6data/connection.hpp"
#include "e6data/options.hpp"

namespace e6data {

namespace detail {
struct PoolState;
}

/// \brief A connection borrowed from a ConnectionPool; gives it back when destroyed.
///
/// Movable, not copyable. Once released, discarded or moved from it is empty: `operator bool`
/// is false and dereferencing throws UsageError.
/// \warning Thread safety: one PooledConnection belongs to one thread at a time (move it to
/// hand it over); the Connection it refers to may be shared as Connection allows. It may outlive
/// its pool: the connection is then closed when it comes back instead of being kept.
class PooledConnection {
 public:
  /// \brief An empty handle, holding no connection.
  PooledConnection() noexcept;
  /// \brief Returns the connection, as release() does.
  ~PooledConnection();
  /// \brief Takes `other`'s connection; `other` becomes empty.
  PooledConnection(PooledConnection&& other) noexcept;
  /// \brief Returns the connection held now, then takes `other`'s; `other` becomes empty.
  PooledConnection& operator=(PooledConnection&& other) noexcept;
  PooledConnection(const PooledConnection&) = delete;
  PooledConnection& operator=(const PooledConnection&) = delete;

  /// \brief The borrowed connection.
  /// \return it, valid until release(), discard() or destruction
  /// \throws UsageError when the handle is empty
  Connection& operator*() const;
  /// \brief The borrowed connection, for `pooled->cursor()`.
  /// \return it, valid until release(), discard() or destruction
  /// \throws UsageError when the handle is empty
  Connection* operator->() const;
  /// \brief True while the handle holds a connection.
  explicit operator bool() const noexcept;

  /// \brief Gives the connection back now; the handle becomes empty. Idempotent.
  ///
  /// The pool keeps it for reuse unless it is closed, past `max_lifetime`, or the pool is closed
  /// or gone; then it is closed.
  /// \warning Cursors made from the connection keep using its session; finish with them first.
  void release() noexcept;
  /// \brief Closes the connection instead of giving it back (e.g. after an error that leaves
  /// it in doubt); its place in the pool is freed. The handle becomes empty. Idempotent.
  void discard() noexcept;

 private:
  friend class ConnectionPool;
  PooledConnection(std::weak_ptr<detail::PoolState> pool, std::unique_ptr<Connection> connection,
                   std::chrono::steady_clock::time_point created) noexcept;
  void give_back(bool keep) noexcept;

  std::weak_ptr<detail::PoolState> pool_;
  std::unique_ptr<Connection> connection_;
  std::chrono::steady_clock::time_point created_{};
};

/// \brief A pool of Connections to one cluster, bounded by `options.pool`.
///
/// See the file comment for the policy.
/// \warning Thread safety: every member function may be called from any number of threads at
/// once. acquire() is not fair: when connections come back, any waiter may get one first.
/// The clock and the factory may be called from any thread that calls into the pool or returns
/// a connection; they must not call into the pool themselves. The clock is called with the
/// pool's lock held, the factory without it.
class ConnectionPool {
 public:
  /// \brief Tells the time for idle and lifetime decisions.
  using Clock = std::function<std::chrono::steady_clock::time_point()>;
  /// \brief Makes a new connection (the default: `Connection(options)`).
  using Factory = std::function<Connection(const ConnectionOptions&)>;

  /// \brief Free counts and counters; a consistent snapshot.
  struct Stats {
    int open = 0;                       ///< connections that exist: idle + in_use
    int idle = 0;                       ///< connections waiting in the pool
    int in_use = 0;                     ///< connections borrowed (or being made for a borrower)
    int waiting = 0;                    ///< threads waiting in acquire()
    std::uint64_t created = 0;          ///< connections made since the pool started
    std::uint64_t closed_idle = 0;      ///< closed after `idle_timeout` unused
    std::uint64_t closed_lifetime = 0;  ///< closed for being older than `max_lifetime`
    std::uint64_t timeouts = 0;         ///< acquire() calls that threw TimeoutError
  };

  /// \brief Checks the options and makes `min_connections` connections (no network traffic).
  /// \param options the connections' options; `options.pool` configures the pool
  /// \throws UsageError listing every problem of validate()
  explicit ConnectionPool(ConnectionOptions options);
  /// \brief As above, with the time and the connections supplied (for tests and wrappers).
  /// \param options the connections' options; `options.pool` configures the pool
  /// \param now the clock for idle and lifetime decisions, e.g. a fake one in tests
  /// \param factory makes each connection; exceptions it throws pass through acquire()
  /// \throws UsageError listing every problem of validate(), or when `now` or `factory` is
  /// empty; whatever `factory` throws while making the first `min_connections`
  ConnectionPool(ConnectionOptions options, Clock now, Factory factory);
  /// \brief Closes the pool (see close()); errors are swallowed.
  ~ConnectionPool();
  /// \brief Takes over `other`'s pool; `other` is left closed-like: its calls throw UsageError.
  ConnectionPool(ConnectionPool&& other) noexcept;
  /// \brief Closes this pool, then takes over `other`'s.
  ConnectionPool& operator=(ConnectionPool&& other) noexcept;
  ConnectionPool(const ConnectionPool&) = delete;
  ConnectionPool& operator=(const ConnectionPool&) = delete;

  /// \brief Borrows a connection, waiting up to `options.pool.connection_timeout`.
  /// \return the most recently returned idle connection, else a new one
  /// \throws TimeoutError (kind kTimeout, is_retryable()) naming max_connections and the wait,
  /// when none came back in time; UsageError after close(); whatever the factory throws
  PooledConnection acquire();
  /// \brief Borrows a connection, waiting up to `timeout` (0: do not wait).
  /// \param timeout the longest wait, on the real steady clock; not negative
  /// \return the most recently returned idle connection, else a new one
  /// \throws TimeoutError (kind kTimeout, is_retryable()) naming max_connections and the wait,
  /// when none came back in time; UsageError after close() or for a negative timeout; whatever
  /// the factory throws
  PooledConnection acquire(std::chrono::milliseconds timeout);

  /// \brief The counts and counters now.
  /// \return a snapshot taken under the pool's lock (all zero for a moved-from pool)
  Stats stats() const;

  /// \brief Closes the idle connections now and each borrowed one when it comes back; wakes
  /// waiting acquire() calls, which throw UsageError, as do later ones. Idempotent.
  /// \throws the first error a Connection::close() threw, after closing all the others
  void close();

 private:
  std::shared_ptr<detail::PoolState> state_;
};

}  // namespace e6data

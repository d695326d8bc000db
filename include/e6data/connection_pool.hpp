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
///
/// Beyond sizes and timeouts, ConnectionPool::Settings (HikariCP's rules, and a blue-green one):
/// - Validation on borrow: an idle connection not used within `validation_bypass` is checked
///   (Settings::validate) before it is lent; one that fails is closed and its slot gets a new one.
/// - Keepalive: a housekeeping thread checks idle connections every `keepalive_interval`, each
///   earlier by a random part of `keepalive_jitter` so that checks do not come all at once.
/// - Leak detection: a connection borrowed longer than `leak_threshold` is reported once (WARN
///   log `e6data`, Stats::leaks, Settings::on_leak) with the borrower's tag and thread.
/// - soft_evict(), pause()/unpause(), FIFO waiters (no borrower is overtaken by a later one),
///   and close() that waits up to `close_timeout` for borrowed connections.
/// - Metrics: the pool's counts, waits, loans and timeouts are in e6data::metrics_text() (the
///   OpenTelemetry db.client.connection.* names, labelled by Settings::name) until close().
/// - Switches: when a switch is announced on the pool's endpoint, its connections (idle and
///   borrowed: a Connection may serve two threads) authenticate on the announced deployment in
///   the background (at most `warm_concurrency` at once), so the first borrowers after the switch
///   pay no authentication; once the switch completes, the same pass drops their sessions on the
///   retired deployment (no call, no failure). Queries running on the old side are not touched.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>

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
  PooledConnection(std::weak_ptr<detail::PoolState> pool, std::shared_ptr<Connection> connection,
                   std::chrono::steady_clock::time_point created, std::uint64_t borrow) noexcept;
  void give_back(bool keep) noexcept;

  std::weak_ptr<detail::PoolState> pool_;
  // Shared only with the pool's own background work (keepalive, warming), never with a borrower.
  std::shared_ptr<Connection> connection_;
  std::chrono::steady_clock::time_point created_{};
  std::uint64_t borrow_ = 0;  // the pool's record of this loan (tag, thread, time)
};

/// \brief A pool of Connections to one cluster, bounded by `options.pool`.
///
/// See the file comment for the policy.
/// \warning Thread safety: every member function may be called from any number of threads at
/// once. acquire() is fair: waiters are served first come, first served, and a new borrower
/// waits behind them. The clock, the factory and the Settings hooks may be called from any
/// thread that calls into the pool or returns a connection, and from the pool's own threads;
/// they must not call into the pool themselves. The clock is called with the pool's lock held,
/// the factory and hooks without it.
class ConnectionPool {
 public:
  /// \brief Tells the time for idle and lifetime decisions.
  using Clock = std::function<std::chrono::steady_clock::time_point()>;
  /// \brief Makes a new connection (the default: `Connection(options)`).
  using Factory = std::function<Connection(const ConnectionOptions&)>;

  /// \brief Free counts and counters; a consistent snapshot.
  struct Stats {
    int open = 0;                           ///< connections that exist: idle + in_use
    int idle = 0;                           ///< connections waiting in the pool
    int in_use = 0;                         ///< connections borrowed (or being made for a borrower)
    int waiting = 0;                        ///< threads waiting in acquire()
    std::uint64_t created = 0;              ///< connections made since the pool started
    std::uint64_t closed_idle = 0;          ///< closed after `idle_timeout` unused
    std::uint64_t closed_lifetime = 0;      ///< closed for being older than `max_lifetime`
    std::uint64_t timeouts = 0;             ///< acquire() calls that threw TimeoutError
    std::uint64_t validations = 0;          ///< checks on borrow (outside the bypass window)
    std::uint64_t validation_failures = 0;  ///< of those, failed: the connection was replaced
    std::uint64_t keepalives = 0;           ///< keepalive checks of idle connections
    std::uint64_t keepalive_failures = 0;   ///< of those, failed: the connection was closed
    std::uint64_t leaks = 0;                ///< loans reported as held past `leak_threshold`
    std::uint64_t soft_evicted = 0;         ///< closed by soft_evict() (idle, or on return)
    std::uint64_t warmed = 0;               ///< idle connections given a session on a switch
    std::uint64_t warm_failures = 0;        ///< warmings that threw (the borrower authenticates)
    /// The most loans granted to others while one acquire() waited: the fairness measure.
    /// First come, first served bounds it by the number of waiters queued before that one.
    std::uint64_t most_loans_while_waiting = 0;
    bool paused = false;  ///< between pause() and unpause()
  };

  /// \brief A loan reported as leaked: where the connection was borrowed, and for how long.
  struct LeakReport {
    std::string tag;                             ///< the tag given to acquire(), or empty
    std::thread::id thread;                      ///< the thread that borrowed it
    std::chrono::steady_clock::duration held{};  ///< borrowed this long when reported
  };

  /// \brief Checks a connection; throws when it is not usable. Given the check's time budget.
  using Validator = std::function<void(Connection&, std::chrono::milliseconds timeout)>;
  /// \brief Gives a connection a session on the deployment for new work (may authenticate).
  using Warmer = std::function<void(Connection&)>;

  /// \brief What the pool does beyond sizes and timeouts (those come from `options.pool`).
  struct Settings {
    /// \brief The pool's name in metrics (label `db_client_connection_pool_name`, see
    /// docs/observability.md); empty: "e6data-pool-N", N counting pools from 1. A name a live
    /// pool already has gets "-2", "-3", ... appended, so no two pools share their series.
    std::string name;
    /// \brief Check an idle connection on borrow (unless used within `validation_bypass`).
    bool validate_on_borrow = true;
    /// \brief No check on borrow for a connection used (returned or checked) this recently.
    std::chrono::milliseconds validation_bypass{500};
    /// \brief The time budget of one check (on borrow or keepalive).
    std::chrono::milliseconds validation_timeout{5000};
    /// \brief Check idle connections this often (0: never).
    std::chrono::milliseconds keepalive_interval{120000};
    /// \brief Each keepalive comes earlier by a random part of this fraction of the interval.
    double keepalive_jitter = 0.1;
    /// \brief Report a connection borrowed this long (0: never).
    std::chrono::milliseconds leak_threshold{0};
    /// \brief close() waits this long for borrowed connections to come back.
    std::chrono::milliseconds close_timeout{5000};
    /// \brief Authenticate the connections on an announced deployment ahead of use.
    bool warm_on_switch = true;
    /// \brief At most this many warmings at once (1..64).
    int warm_concurrency = 4;
    /// \brief Run housekeeping (keepalive, leak reports, warming) on a thread of the pool;
    /// when false, nothing happens until maintain() is called.
    bool background = true;
    /// \brief How often the housekeeping thread wakes (real time).
    std::chrono::milliseconds housekeeping_period{1000};
    /// \brief Seed of the keepalive jitter (0: from std::random_device).
    std::uint32_t jitter_seed = 0;
    /// \brief The check (default: `dry_run("SELECT 1")` within the budget).
    Validator validate;
    /// \brief The warming (default: Connection::warm()).
    Warmer warm;
    /// \brief Called with each leak report, after the WARN log (default: nothing).
    std::function<void(const LeakReport&)> on_leak;

    /// \brief Settings with every extra off: no checks, no keepalive, no warming, no thread, no
    /// wait in close() (the pool of sizes and timeouts only).
    static Settings passive();
  };

  /// \brief Checks the options and makes `min_connections` connections (no network traffic).
  /// \param options the connections' options; `options.pool` configures the pool
  /// \throws UsageError listing every problem of validate()
  explicit ConnectionPool(ConnectionOptions options);
  /// \brief As above, with the extra rules of `settings`.
  /// \throws UsageError as above, or for settings out of range
  ConnectionPool(ConnectionOptions options, Settings settings);
  /// \brief As above, with the time and the connections supplied (for tests and wrappers), and
  /// Settings::passive().
  /// \param options the connections' options; `options.pool` configures the pool
  /// \param now the clock for idle and lifetime decisions, e.g. a fake one in tests
  /// \param factory makes each connection; exceptions it throws pass through acquire()
  /// \throws UsageError listing every problem of validate(), or when `now` or `factory` is
  /// empty; whatever `factory` throws while making the first `min_connections`
  ConnectionPool(ConnectionOptions options, Clock now, Factory factory);
  /// \brief As above, with `settings`.
  /// \throws as above, or UsageError for settings out of range
  ConnectionPool(ConnectionOptions options, Clock now, Factory factory, Settings settings);
  /// \brief Closes the pool without waiting for borrowed connections (they are closed when they
  /// come back); errors are swallowed.
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
  /// \brief As above, with a tag that leak reports name (e.g. the borrowing function).
  /// \param timeout the longest wait, on the real steady clock; not negative
  /// \param tag where the connection is borrowed, for leak reports
  /// \throws as above
  PooledConnection acquire(std::chrono::milliseconds timeout, std::string tag);

  /// \brief Closes every idle connection now and every borrowed one when it comes back (e.g.
  /// after a credential rotation); the pool refills lazily. Fails no borrower.
  void soft_evict();
  /// \brief Stops lending: acquire() waits (up to its own timeout) until unpause(). Borrowed
  /// connections are not touched. Idempotent. Named apart from the cluster's suspend/resume.
  void pause();
  /// \brief Lends again after pause(), to the waiters in their order. Idempotent.
  void unpause();
  /// \brief One housekeeping pass now: evictions, leak reports, keepalive checks that are due,
  /// and warming after a switch announcement or completion. The housekeeping thread calls it;
  /// tests with Settings::background off call it themselves.
  /// \throws UsageError on a moved-from pool
  void maintain();

  /// \brief The pool's name in metrics: Settings::name, made unique (empty for a moved-from pool).
  [[nodiscard]] std::string name() const;

  /// \brief The counts and counters now.
  /// \return a snapshot taken under the pool's lock (all zero for a moved-from pool)
  Stats stats() const;

  /// \brief Closes the idle connections now and each borrowed one when it comes back; wakes
  /// waiting acquire() calls, which throw UsageError, as do later ones; stops the housekeeping
  /// thread; then waits up to Settings::close_timeout (real time) for borrowed connections to
  /// come back. Idempotent.
  /// \return nothing; connections still borrowed after the wait are logged (WARN) and closed
  /// when they come back
  /// \throws the first error a Connection::close() threw, after closing all the others
  void close();

 private:
  std::shared_ptr<detail::PoolState> state_;
};

}  // namespace e6data

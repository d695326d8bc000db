#pragma once
/// \file
/// \brief Connection: a session with an e6data cluster, and the catalog calls.

#include <memory>
#include <string>
#include <vector>

#include "e6data/cursor.hpp"
#include "e6data/options.hpp"
#include "e6data/query_options.hpp"
#include "e6data/schema.hpp"
#include "e6data/strategy.hpp"

namespace e6data {

namespace detail {
struct ConnectionState;
}

/// \brief A connection to an e6data cluster.
///
/// Authenticates lazily (on first use) or eagerly (open()), and again by itself when the server
/// says the session expired ("Access denied"). Cursors share the connection's session.
/// \warning Thread safety: a Connection may be used from several threads at once (calls are
/// independent; the session is shared under a lock); a Cursor may not (see Cursor).
class Connection {
 public:
  /// \brief Checks the options; no network traffic until the first call.
  /// \throws UsageError listing every problem of validate()
  explicit Connection(ConnectionOptions options);
  /// \brief Connects and authenticates now.
  /// \throws UsageError, AuthenticationError, ConnectionError
  static Connection open(ConnectionOptions options);
  ~Connection();
  Connection(Connection&&) noexcept;
  Connection& operator=(Connection&&) noexcept;

  /// \brief Authenticates now (again, when a session exists).
  /// \throws AuthenticationError on refused credentials, ConnectionError when unreachable,
  /// TimeoutError past the deadline, UsageError when closed or moved from
  void authenticate(const QueryOptions& options = {});
  /// \brief Makes sure this connection holds a session on the deployment new work goes to (the
  /// announced one while a switch is pending), authenticating only when it holds none there;
  /// sessions on a deployment the endpoint no longer uses are dropped (no call). ConnectionPool
  /// uses it to warm idle connections when a switch is announced.
  /// \param options the call's deadline and cancellation (default: call_timeout)
  /// \throws as authenticate()
  void warm(const QueryOptions& options = {});
  /// \brief Ends the connection; later calls (also of its cursors) throw UsageError. Idempotent;
  /// a no-op on a moved-from connection.
  void close() noexcept;
  /// \brief False after close() and on a moved-from connection.
  [[nodiscard]] bool is_open() const noexcept;

  /// \brief Schema names of `catalog` (the catalog-less call form when empty).
  /// \param options the call's deadline and cancellation (default: call_timeout)
  /// \throws the typed errors of errors.hpp; UsageError when closed or moved from
  [[nodiscard]] std::vector<std::string> schemas(const std::string& catalog = {},
                                                 const QueryOptions& options = {});
  /// \brief Table names of `schema` in `catalog` (the catalog-less form when `catalog` is empty).
  /// \throws as schemas()
  [[nodiscard]] std::vector<std::string> tables(const std::string& catalog,
                                                const std::string& schema,
                                                const QueryOptions& options = {});
  /// \brief Columns of a table: name and e6data type (zone and format empty).
  /// \throws as schemas()
  [[nodiscard]] std::vector<ColumnInfo> columns(const std::string& catalog,
                                                const std::string& schema, const std::string& table,
                                                const QueryOptions& options = {});
  /// \brief Validates `sql` on the server without running it; returns the server's verdict.
  /// \throws as schemas()
  [[nodiscard]] std::string dry_run(const std::string& sql, const QueryOptions& options = {});
  /// \brief A cursor on this connection, for `catalog` and `database` (default: the options').
  /// \throws UsageError when closed or moved from
  [[nodiscard]] Cursor cursor(std::string catalog = {}, std::string database = {});

  /// \brief The options in force (the printer hides the password).
  /// \throws UsageError on a moved-from connection
  const ConnectionOptions& options() const;
  /// \brief The blue-green state of this connection's endpoint (shared by every connection to
  /// it): active and pending deployment, bound queries, counters. Lock-free to read.
  /// \throws UsageError on a moved-from connection
  [[nodiscard]] StrategySnapshot strategy() const;

 private:
  detail::ConnectionState& usable(const char* operation) const;
  std::shared_ptr<detail::ConnectionState> state_;
};

}  // namespace e6data

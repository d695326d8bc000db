#include "e6data/connection.hpp"

#include "client/connection_state.hpp"
#include "client/statement_kind.hpp"
#include "client/validated_options.hpp"
#include "rpc/call_forms.hpp"

namespace e6data {

Connection::Connection(ConnectionOptions options)
    : state_(std::make_shared<detail::ConnectionState>(detail::validated(std::move(options)))) {}

Connection Connection::open(ConnectionOptions options) {
  Connection connection(std::move(options));
  connection.authenticate();
  return connection;
}

Connection::~Connection() = default;
Connection::Connection(Connection&&) noexcept = default;
Connection& Connection::operator=(Connection&&) noexcept = default;

detail::ConnectionState& Connection::usable(const char* operation) const {
  if (!state_) {
    throw UsageError(std::string("Connection::") + operation + " on a moved-from connection");
  }
  state_->require_open((std::string("Connection::") + operation).c_str());
  return *state_;
}

void Connection::authenticate(const QueryOptions& options) {
  auto& state = usable("authenticate");
  // A new session for new work: forget the current ones so the route authenticates afresh.
  state.runner.forget_all();
  (void)state.run("Connection::authenticate", options,
                  [](const strategy::Route& route, strategy::TimePoint) { return route.session; });
}

void Connection::warm(const QueryOptions& options) {
  auto& state = usable("warm");
  // Routing is the warming: it reuses a held session on the deployment for new work, or
  // authenticates there, and drops sessions on a retired deployment on the way.
  (void)state.run("Connection::warm", options,
                  [](const strategy::Route& route, strategy::TimePoint) { return route.session; });
}

void Connection::close() noexcept {
  if (!state_) return;
  // The clears handed to the clearing thread (results read to the end, forgotten queries) go out
  // while the session is still ours, within the clean-up bound: a query left open holds its
  // deployment's next drain.
  if (!state_->closed.load()) (void)state_->parked.wait_idle_for(state_->options.cleanup_timeout);
  state_->closed = true;
  state_->runner.forget_all();
}

bool Connection::is_open() const noexcept {
  return state_ && !state_->closed.load();
}

const ConnectionOptions& Connection::options() const {
  if (!state_) throw UsageError("Connection::options on a moved-from connection");
  return state_->options;
}

StrategySnapshot Connection::strategy() const {
  if (!state_) throw UsageError("Connection::strategy on a moved-from connection");
  return state_->endpoint->snapshot();
}

std::vector<std::string> Connection::schemas(const std::string& catalog,
                                             const QueryOptions& options) {
  auto& state = usable("schemas");
  const auto res =
      state.run("Connection::schemas", options,
                [&](const strategy::Route& route, strategy::TimePoint deadline) {
                  return rpc::schema_names(state.client, route.session, catalog,
                                           state.call_options(route, deadline, options));
                });
  return {res.schemas().begin(), res.schemas().end()};
}

std::vector<std::string> Connection::tables(const std::string& catalog, const std::string& schema,
                                            const QueryOptions& options) {
  auto& state = usable("tables");
  const auto res = state.run("Connection::tables", options,
                             [&](const strategy::Route& route, strategy::TimePoint deadline) {
                               return rpc::tables(state.client, route.session, catalog, schema,
                                                  state.call_options(route, deadline, options));
                             });
  return {res.tables().begin(), res.tables().end()};
}

std::vector<ColumnInfo> Connection::columns(const std::string& catalog, const std::string& schema,
                                            const std::string& table, const QueryOptions& options) {
  auto& state = usable("columns");
  const auto res =
      state.run("Connection::columns", options,
                [&](const strategy::Route& route, strategy::TimePoint deadline) {
                  return rpc::columns(state.client, route.session, catalog, schema, table,
                                      state.call_options(route, deadline, options));
                });
  std::vector<ColumnInfo> out;
  for (const auto& f : res.fieldinfo()) out.push_back({f.fieldname(), f.fieldtype(), "", ""});
  return out;
}

std::string Connection::dry_run(const std::string& sql, const QueryOptions& options) {
  auto& state = usable("dry_run");
  const std::string text = detail::strip_trailing_semicolons(sql);
  const auto res =
      state.run("Connection::dry_run", options,
                [&](const strategy::Route& route, strategy::TimePoint deadline) {
                  return rpc::dry_run(state.client, route.session, state.options.catalog,
                                      state.options.database, text,
                                      state.call_options(route, deadline, options));
                });
  return res.dryrunvalue();
}

Cursor Connection::cursor(std::string catalog, std::string database) {
  auto& state = usable("cursor");
  return Cursor(state_, catalog.empty() ? state.options.catalog : std::move(catalog),
                database.empty() ? state.options.database : std::move(database));
}

}  // namespace e6data

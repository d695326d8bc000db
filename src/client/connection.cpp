#include "e6data/connection.hpp"

#include "client/connection_state.hpp"
#include "client/statement_kind.hpp"
#include "client/validated_options.hpp"

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

void Connection::authenticate() {
  if (!is_open()) throw UsageError("Connection::authenticate: the connection is closed");
  // A new session for new work: forget the current ones so the route authenticates afresh.
  state_->runner.forget_all();
  state_->runner.run([](const strategy::Route& route) { return route.session; },
                     strategy::Repeat::kSafe, state_->short_timeout());
}

void Connection::close() {
  if (!state_) return;
  state_->closed = true;
  state_->runner.forget_all();
}

bool Connection::is_open() const noexcept {
  return state_ && !state_->closed.load();
}

const ConnectionOptions& Connection::options() const {
  return state_->options;
}

StrategySnapshot Connection::strategy() const {
  return state_->endpoint->snapshot();
}

std::vector<std::string> Connection::schemas(const std::string& catalog) {
  const auto res = state_->run([&](const strategy::Route& route) {
    const std::string& session = route.session;
    if (catalog.empty()) {
      GetSchemaNamesRequest req;
      req.set_sessionid(session);
      return state_->client.schema_names(req, state_->call_options(route, state_->short_timeout()));
    }
    GetSchemaNamesV2Request req;
    req.set_sessionid(session);
    req.set_catalog(catalog);
    return state_->client.schema_names_v2(req,
                                          state_->call_options(route, state_->short_timeout()));
  });
  return {res.schemas().begin(), res.schemas().end()};
}

std::vector<std::string> Connection::tables(const std::string& catalog, const std::string& schema) {
  const auto res = state_->run([&](const strategy::Route& route) {
    const std::string& session = route.session;
    if (catalog.empty()) {
      GetTablesRequest req;
      req.set_sessionid(session);
      req.set_schema(schema);
      return state_->client.tables(req, state_->call_options(route, state_->short_timeout()));
    }
    GetTablesV2Request req;
    req.set_sessionid(session);
    req.set_schema(schema);
    req.set_catalog(catalog);
    return state_->client.tables_v2(req, state_->call_options(route, state_->short_timeout()));
  });
  return {res.tables().begin(), res.tables().end()};
}

std::vector<ColumnInfo> Connection::columns(const std::string& catalog, const std::string& schema,
                                            const std::string& table) {
  const auto res = state_->run([&](const strategy::Route& route) {
    const std::string& session = route.session;
    if (catalog.empty()) {
      GetColumnsRequest req;
      req.set_sessionid(session);
      req.set_schema(schema);
      req.set_table(table);
      return state_->client.columns(req, state_->call_options(route, state_->short_timeout()));
    }
    GetColumnsV2Request req;
    req.set_sessionid(session);
    req.set_schema(schema);
    req.set_table(table);
    req.set_catalog(catalog);
    return state_->client.columns_v2(req, state_->call_options(route, state_->short_timeout()));
  });
  std::vector<ColumnInfo> out;
  for (const auto& f : res.fieldinfo()) out.push_back({f.fieldname(), f.fieldtype(), "", ""});
  return out;
}

std::string Connection::dry_run(const std::string& sql) {
  const std::string text = detail::strip_trailing_semicolons(sql);
  const auto res = state_->run([&](const strategy::Route& route) {
    const std::string& session = route.session;
    if (state_->options.catalog.empty()) {
      DryRunRequest req;
      req.set_sessionid(session);
      req.set_schema(state_->options.database);
      req.set_querystring(text);
      return state_->client.dry_run(req, state_->call_options(route, state_->short_timeout()));
    }
    DryRunRequestV2 req;
    req.set_sessionid(session);
    req.set_schema(state_->options.database);
    req.set_catalog(state_->options.catalog);
    req.set_querystring(text);
    return state_->client.dry_run_v2(req, state_->call_options(route, state_->short_timeout()));
  });
  return res.dryrunvalue();
}

Cursor Connection::cursor(std::string catalog, std::string database) {
  if (!is_open()) throw UsageError("Connection::cursor: the connection is closed");
  return Cursor(state_, catalog.empty() ? state_->options.catalog : std::move(catalog),
                database.empty() ? state_->options.database : std::move(database));
}

}  // namespace e6data

#include "e6data/cursor.hpp"

#include <algorithm>
#include <mutex>

#include "client/connection_state.hpp"
#include "client/parameter_binding.hpp"
#include "client/statement_kind.hpp"
#include "e6data/decode.hpp"
#include "log/logger.hpp"
#include "wire/modified_utf8.hpp"
#include "wire/value_format.hpp"

namespace e6data {
namespace {

// A parameter as ParameterValue's (type, text) pair.
void fill_parameter(ParameterValue& out, const Value& value, std::size_t index) {
  std::visit(
      [&](const auto& v) {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, std::monostate>) {
          out.set_type("NULL");
        } else if constexpr (std::is_same_v<T, bool>) {
          out.set_type("BOOLEAN");
          out.set_value(v ? "true" : "false");
        } else if constexpr (std::is_same_v<T, std::int32_t>) {
          out.set_type("INTEGER");
          out.set_value(std::to_string(v));
        } else if constexpr (std::is_same_v<T, std::int64_t>) {
          out.set_type("LONG");
          out.set_value(std::to_string(v));
        } else if constexpr (std::is_same_v<T, double>) {
          out.set_type("DOUBLE");
          out.set_value(wire::format_double_repr(v));
        } else if constexpr (std::is_same_v<T, std::string_view>) {
          // ParameterValue.value is a proto3 string: it must be UTF-8, or the call cannot even
          // be serialised.
          if (!wire::is_valid_utf8(v)) {
            throw UsageError("Cursor::execute: parameter " + std::to_string(index) +
                             " is not valid UTF-8; STRING parameters must be text");
          }
          out.set_type("STRING");
          out.set_value(std::string(v));
        } else if constexpr (std::is_same_v<T, Date>) {
          out.set_type("DATE");
          out.set_value(wire::format_date(v.epoch_us));
        } else if constexpr (std::is_same_v<T, Timestamp>) {
          out.set_type("TIMESTAMP");
          out.set_value(wire::format_timestamp_utc(v.epoch_us));
        } else if constexpr (std::is_same_v<T, TimestampTz>) {
          out.set_type("TIMESTAMP_TZ");
          out.set_value(wire::format_timestamp_at_offset(v.epoch_us, v.offset_seconds));
        } else {
          out.set_type("DECIMAL128");
          out.set_value(v.to_string());
        }
      },
      value);
}

}  // namespace

struct Cursor::State {
  std::shared_ptr<detail::ConnectionState> connection;
  std::string catalog;
  std::string database;
  // The statement, kept so that a query lost in a switch can be run again.
  std::string sql;
  std::vector<ParameterValue> parameters;
  bool is_read = false;
  int reruns = 0;
  bool rows_delivered = false;  // the caller has seen rows of this statement
  // The current query, bound to the deployment, session and engine it was prepared with. The
  // cursor's thread writes route, query_id and engine_ip under identity_mutex; cancel(), which
  // may run on another thread, reads them under it.
  std::mutex identity_mutex;
  strategy::Route route;
  std::shared_ptr<strategy::QueryBinding> binding;
  std::string query_id;
  std::string engine_ip;
  bool executed = false;  // the execute call succeeded
  std::vector<ColumnInfo> columns;
  std::int64_t row_count = -1;
  bool exhausted = true;
  std::optional<Batch> current;  // for the row-wise reads
  std::int64_t next_row = 0;

  strategy::CallRunner& runner() const { return connection->runner; }

  rpc::CallOptions call(std::chrono::milliseconds timeout) const {
    return connection->call_options(route, timeout, query_id, engine_ip);
  }

  void require_query(const char* operation) const {
    if (query_id.empty()) {
      throw UsageError(std::string("Cursor::") + operation + ": no query; call execute() first");
    }
  }

  template <typename Request>
  Request query_request() const {
    Request req;
    req.set_engineip(engine_ip);
    req.set_sessionid(route.session);
    req.set_queryid(query_id);
    return req;
  }

  // A call of the current query on its route (transient failures of repeatable calls retried).
  template <typename Call>
  auto bound_call(Call&& call, strategy::Repeat repeat, std::chrono::milliseconds timeout) {
    return runner().call_bound(
        route, *binding, [&](const strategy::Route&) { return call(); }, repeat, timeout);
  }

  void release_binding() {
    if (binding) {
      connection->endpoint->release(*binding);
      binding.reset();
    }
  }

  void forget_query() {
    release_binding();
    {
      std::lock_guard lock(identity_mutex);
      query_id.clear();
      engine_ip.clear();
    }
    columns.clear();
    row_count = -1;
    exhausted = true;
    executed = false;
    current.reset();
    next_row = 0;
  }

  // prepare + execute + result metadata, re-running when the query is lost on the way.
  void start_query() {
    auto& conn = *connection;
    for (;;) {
      auto prepared = runner().run_bound(
          [&](const strategy::Route& r) {
            if (catalog.empty()) {
              PrepareStatementRequest req;
              req.set_sessionid(r.session);
              req.set_schema(database);
              req.set_querystring(sql);
              return conn.client.prepare(req, conn.call_options(r, conn.long_timeout()));
            }
            PrepareStatementV2Request req;
            req.set_sessionid(r.session);
            req.set_schema(database);
            req.set_catalog(catalog);
            req.set_querystring(sql);
            return conn.client.prepare_v2(req, conn.call_options(r, conn.long_timeout()));
          },
          conn.long_timeout());
      {
        std::lock_guard lock(identity_mutex);
        route = std::move(prepared.route);
        query_id = prepared.response.queryid();
        engine_ip = prepared.response.engineip();
      }
      binding = std::move(prepared.binding);
      executed = false;
      try {
        if (catalog.empty()) {
          const auto req = query_request<ExecuteStatementRequest>();
          bound_call([&] { return conn.client.execute(req, call(conn.long_timeout())); },
                     strategy::Repeat::kUnsafe, conn.long_timeout());
        } else {
          auto req = query_request<ExecuteStatementV2Request>();
          for (const auto& p : parameters) *req.add_params() = p;
          bound_call([&] { return conn.client.execute_v2(req, call(conn.long_timeout())); },
                     strategy::Repeat::kUnsafe, conn.long_timeout());
        }
        executed = true;
        const auto req = query_request<GetResultMetadataRequest>();
        const auto meta =
            bound_call([&] { return conn.client.result_metadata(req, call(conn.short_timeout())); },
                       strategy::Repeat::kSafe, conn.short_timeout());
        ResultSchema schema = decode_result_metadata(meta.resultmetadata());
        columns = std::move(schema.columns);
        row_count = schema.row_count;
        exhausted = false;
        return;
      } catch (const Error& e) {
        handle_lost_query(e, "execute");
      }
    }
  }

  // A call of the current query failed with `e`. Returns when the query may run again (its
  // bookkeeping released, ready for start_query()); otherwise throws: `e` itself, or a
  // QueryError of kind kStrategyChanged when its deployment went away. Called in a catch block.
  void handle_lost_query(const Error& e, const char* operation) {
    using strategy::Recovery;
    auto& endpoint = *connection->endpoint;
    const Recovery recovery = strategy::recovery_for(e);
    const bool lost = recovery == Recovery::kWrongDeployment ||
                      recovery == Recovery::kSessionLost ||
                      (recovery == Recovery::kSuspended && connection->options.auto_resume) ||
                      recovery == Recovery::kTransient;
    if (!lost) throw;
    const strategy::Route lost_route = route;
    const std::string lost_query = query_id;
    if (recovery == Recovery::kWrongDeployment) {
      endpoint.counters().recoveries_456.fetch_add(1);
      endpoint.on_wrong_deployment(lost_route.deployment);
      runner().forget(lost_route);
    } else if (recovery == Recovery::kSessionLost) {
      endpoint.counters().reauthentications.fetch_add(1);
      runner().forget(lost_route);
    }
    // The server-side query died with its deployment or session; a transient failure leaves
    // its fate unknown, so it counts as executed.
    const bool ran = executed || recovery == Recovery::kTransient;
    forget_query();
    if (reruns < 2 && strategy::may_rerun(ran, is_read, rows_delivered)) {
      ++reruns;
      if (ran) endpoint.counters().reruns.fetch_add(1);
      log::event(log::get("e6data.strategy"), spdlog::level::info,
                 ran ? "query lost with its deployment; re-running the read"
                     : "query refused before it ran; preparing it again",
                 {{"query_id", lost_query},
                  {"strategy", std::string(strategy::to_string(lost_route.deployment))},
                  {"operation", operation}});
      return;
    }
    endpoint.counters().lost_queries.fetch_add(1);
    if (recovery == Recovery::kWrongDeployment || recovery == Recovery::kSessionLost) {
      ErrorContext context = e.context();
      context.retryable = false;
      throw QueryError(
          ErrorKind::kStrategyChanged,
          std::string("query ") + lost_query + " was lost: the " +
              std::string(strategy::to_string(lost_route.deployment)) +
              (recovery == Recovery::kWrongDeployment ? " deployment stopped serving"
                                                      : " session running it expired") +
              " during " + operation + "; it was not re-run because " +
              (is_read ? "rows had already been delivered" : "it may have had side effects") +
              " (" + e.what() + ")",
          context);
    }
    throw;
  }
};

Cursor::Cursor(std::shared_ptr<detail::ConnectionState> connection, std::string catalog,
               std::string database)
    : s_(std::make_unique<State>()) {
  s_->connection = std::move(connection);
  s_->catalog = std::move(catalog);
  s_->database = std::move(database);
}

Cursor::~Cursor() {
  // Best effort: the server keeps a query until it is cleared or its session expires.
  try {
    if (s_) clear();
  } catch (...) {  // a destructor never throws; the session's expiry frees it eventually
  }
  if (s_) s_->release_binding();
}

Cursor::Cursor(Cursor&&) noexcept = default;
Cursor& Cursor::operator=(Cursor&& other) noexcept {
  if (this != &other) {
    try {
      if (s_) clear();
    } catch (...) {
    }
    if (s_) s_->release_binding();
    s_ = std::move(other.s_);
  }
  return *this;
}

void Cursor::execute(std::string_view sql, const std::vector<Value>& parameters) {
  if (!s_) throw UsageError("Cursor::execute on a moved-from cursor");
  s_->connection->require_open("Cursor::execute");
  clear();
  const std::string text = detail::strip_trailing_semicolons(sql);
  std::vector<ParameterValue> typed;
  if (s_->catalog.empty()) {
    // The V1 calls carry no parameters: the values travel as literals in the text.
    s_->sql = parameters.empty() ? text : detail::bind_positional(text, parameters);
  } else {
    s_->sql = text;
    const auto placeholders = detail::find_placeholders(text);
    const auto positional = static_cast<std::size_t>(std::count_if(
        placeholders.begin(), placeholders.end(), [](const auto& p) { return p.name.empty(); }));
    if (positional != parameters.size()) {
      throw UsageError("Cursor::execute: the statement has " + std::to_string(positional) +
                       " ? placeholder(s) but " + std::to_string(parameters.size()) +
                       " parameter(s) were given");
    }
    for (std::size_t i = 0; i < parameters.size(); ++i) {
      ParameterValue p;
      p.set_index(static_cast<std::int32_t>(i));
      fill_parameter(p, parameters[i], i);
      typed.push_back(std::move(p));
    }
  }
  s_->parameters = std::move(typed);
  s_->is_read = detail::statement_is_read(s_->sql);
  s_->reruns = 0;
  s_->rows_delivered = false;
  s_->start_query();
}

void Cursor::execute(std::string_view sql, const NamedParameters& parameters) {
  if (!s_) throw UsageError("Cursor::execute on a moved-from cursor");
  const std::string text = detail::strip_trailing_semicolons(sql);
  if (s_->catalog.empty()) {
    s_->connection->require_open("Cursor::execute");
    clear();
    s_->sql = detail::bind_named(text, parameters);
    s_->parameters.clear();
    s_->is_read = detail::statement_is_read(s_->sql);
    s_->reruns = 0;
    s_->rows_delivered = false;
    s_->start_query();
    return;
  }
  auto [positional_sql, values] = detail::named_to_positional(text, parameters);
  execute(positional_sql, values);
}

const std::vector<ColumnInfo>& Cursor::description() const {
  return s_->columns;
}
std::int64_t Cursor::rowcount() const {
  return s_->row_count;
}
const std::string& Cursor::query_id() const noexcept {
  return s_->query_id;
}

std::optional<Batch> Cursor::next_batch() {
  s_->require_query("next_batch");
  if (s_->exhausted) return std::nullopt;
  auto& conn = *s_->connection;
  for (;;) {
    try {
      const auto req = s_->query_request<GetNextResultBatchRequest>();
      // Not repeatable: a retried call could skip a batch the server already sent.
      const auto res =
          s_->bound_call([&] { return conn.client.next_batch(req, s_->call(conn.long_timeout())); },
                         strategy::Repeat::kUnsafe, conn.long_timeout());
      Batch batch =
          decode_result_batch(res.resultbatch(), {.expected_columns = s_->columns.size()});
      if (batch.is_end_of_results()) {
        s_->exhausted = true;
        // Nothing more runs on the deployment: a pending switch need not wait for clear().
        s_->release_binding();
        return std::nullopt;
      }
      if (batch.num_rows() > 0) s_->rows_delivered = true;
      return batch;
    } catch (const Error& e) {
      const auto columns = s_->columns.size();
      s_->handle_lost_query(e, "fetch");
      s_->start_query();
      if (s_->columns.size() != columns) {
        throw QueryError(ErrorKind::kStrategyChanged,
                         "the statement re-run after a deployment switch returned a different "
                         "number of columns (" +
                             std::to_string(s_->columns.size()) + " instead of " +
                             std::to_string(columns) + ")");
      }
    }
  }
}

std::optional<Row> Cursor::fetchone() {
  while (!s_->current || s_->next_row >= s_->current->num_rows()) {
    s_->current = next_batch();
    s_->next_row = 0;
    if (!s_->current) return std::nullopt;
  }
  return Row(*s_->current, s_->next_row++);
}

std::vector<Row> Cursor::fetchmany(std::size_t n) {
  std::vector<Row> rows;
  while (rows.size() < n) {
    auto row = fetchone();
    if (!row) break;
    rows.push_back(std::move(*row));
  }
  return rows;
}

std::vector<Row> Cursor::fetchall() {
  std::vector<Row> rows;
  while (auto row = fetchone()) rows.push_back(std::move(*row));
  return rows;
}

QueryStatus Cursor::status() {
  s_->require_query("status");
  auto& conn = *s_->connection;
  if (!s_->binding) {  // the result was read to the end: the query is done
    return {true, s_->row_count};
  }
  const auto req = s_->query_request<StatusRequest>();
  const auto res =
      s_->bound_call([&] { return conn.client.status(req, s_->call(conn.short_timeout())); },
                     strategy::Repeat::kSafe, conn.short_timeout());
  return {res.status(), res.rowcount()};
}

std::string Cursor::explain() {
  s_->require_query("explain");
  auto& conn = *s_->connection;
  const auto req = s_->query_request<ExplainRequest>();
  const auto call = s_->call(conn.short_timeout());
  const auto res = conn.client.explain(req, call);
  conn.runner.observe(s_->route.deployment, res);
  return res.explain();
}

ExplainAnalyzeResult Cursor::explain_analyze() {
  s_->require_query("explain_analyze");
  auto& conn = *s_->connection;
  const auto req = s_->query_request<ExplainAnalyzeRequest>();
  const auto res = conn.client.explain_analyze(req, s_->call(conn.long_timeout()));
  conn.runner.observe(s_->route.deployment, res);
  return {res.explainanalyze(), res.iscached(), res.parsingtime(), res.queueingtime()};
}

void Cursor::cancel() {
  auto& conn = *s_->connection;
  // May run on another thread than the cursor's: read the query's identity under its lock.
  CancelQueryRequest req;
  rpc::CallOptions call;
  strategy::Deployment deployment;
  {
    std::lock_guard lock(s_->identity_mutex);
    s_->require_query("cancel");
    req = s_->query_request<CancelQueryRequest>();
    call = s_->call(conn.short_timeout());
    deployment = s_->route.deployment;
  }
  conn.runner.observe(deployment, conn.client.cancel(req, call));
}

void Cursor::clear() {
  if (!s_ || s_->query_id.empty()) return;
  auto& conn = *s_->connection;
  const auto req = s_->query_request<ClearRequest>();
  const auto call = s_->call(conn.short_timeout());
  const auto deployment = s_->route.deployment;
  // Forget the query first: a failed clear must not leave the cursor pointing at it, nor its
  // binding holding back a switch.
  s_->forget_query();
  try {
    conn.runner.observe(deployment, conn.client.clear(req, call));
  } catch (const Error& e) {
    // The query went with its deployment or session: nothing is left to release.
    const auto r = strategy::recovery_for(e);
    if (r == strategy::Recovery::kWrongDeployment || r == strategy::Recovery::kSessionLost) return;
    throw;
  }
}

}  // namespace e6data

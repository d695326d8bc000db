#include "e6data/cursor.hpp"

#include "client/connection_state.hpp"
#include "e6data/decode.hpp"
#include "wire/modified_utf8.hpp"
#include "wire/value_format.hpp"

namespace e6data {
namespace {

std::string strip_trailing_semicolons(std::string_view sql) {
  std::string s(sql);
  while (!s.empty() && (s.back() == ';' || std::isspace(static_cast<unsigned char>(s.back())))) {
    s.pop_back();
  }
  return s;
}

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
  // The current query, bound to the session and engine it was prepared with for its whole life.
  std::string query_id;
  std::string session_id;
  std::string engine_ip;
  std::vector<ColumnInfo> columns;
  std::int64_t row_count = -1;
  bool exhausted = true;
  std::optional<Batch> current;  // for the row-wise reads
  std::int64_t next_row = 0;

  rpc::CallOptions call(std::chrono::milliseconds timeout = std::chrono::seconds(60)) const {
    rpc::CallOptions c = connection->call_options(timeout);
    c.planner_ip = engine_ip;
    c.query_id = query_id;
    return c;
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
    req.set_sessionid(session_id);
    req.set_queryid(query_id);
    return req;
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
}

Cursor::Cursor(Cursor&&) noexcept = default;
Cursor& Cursor::operator=(Cursor&& other) noexcept {
  if (this != &other) {
    try {
      if (s_) clear();
    } catch (...) {
    }
    s_ = std::move(other.s_);
  }
  return *this;
}

void Cursor::execute(std::string_view sql, const std::vector<Value>& parameters) {
  if (!s_) throw UsageError("Cursor::execute on a moved-from cursor");
  clear();
  const std::string text = strip_trailing_semicolons(sql);
  if (!parameters.empty() && s_->catalog.empty()) {
    throw UsageError(
        "Cursor::execute: parameters are sent with the V2 calls, which need a catalog; set "
        "ConnectionOptions::catalog or pass one to Connection::cursor()");
  }
  auto& conn = *s_->connection;
  const auto prepare_timeout =
      std::chrono::duration_cast<std::chrono::milliseconds>(conn.options.grpc.prepare_timeout);
  // prepare, with a new session if the server forgot ours; the query is bound from here on.
  const auto prepared = conn.with_session([&](const std::string& session) {
    s_->session_id = session;
    if (s_->catalog.empty()) {
      PrepareStatementRequest req;
      req.set_sessionid(session);
      req.set_schema(s_->database);
      req.set_querystring(text);
      return conn.client.prepare(req, conn.call_options(prepare_timeout));
    }
    PrepareStatementV2Request req;
    req.set_sessionid(session);
    req.set_schema(s_->database);
    req.set_catalog(s_->catalog);
    req.set_querystring(text);
    return conn.client.prepare_v2(req, conn.call_options(prepare_timeout));
  });
  s_->query_id = prepared.queryid();
  s_->engine_ip = prepared.engineip();
  if (s_->catalog.empty()) {
    conn.client.execute(s_->query_request<ExecuteStatementRequest>(), s_->call());
  } else {
    auto req = s_->query_request<ExecuteStatementV2Request>();
    for (std::size_t i = 0; i < parameters.size(); ++i) {
      ParameterValue* p = req.add_params();
      p->set_index(static_cast<std::int32_t>(i));
      fill_parameter(*p, parameters[i], i);
    }
    conn.client.execute_v2(req, s_->call());
  }
  const auto meta =
      conn.client.result_metadata(s_->query_request<GetResultMetadataRequest>(), s_->call());
  ResultSchema schema = decode_result_metadata(meta.resultmetadata());
  s_->columns = std::move(schema.columns);
  s_->row_count = schema.row_count;
  s_->exhausted = false;
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
  const auto res =
      s_->connection->client.next_batch(s_->query_request<GetNextResultBatchRequest>(), s_->call());
  Batch batch = decode_result_batch(res.resultbatch(), {.expected_columns = s_->columns.size()});
  if (batch.is_end_of_results()) {
    s_->exhausted = true;
    return std::nullopt;
  }
  return batch;
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
  const auto res = s_->connection->client.status(s_->query_request<StatusRequest>(), s_->call());
  return {res.status(), res.rowcount()};
}

std::string Cursor::explain() {
  s_->require_query("explain");
  return s_->connection->client.explain(s_->query_request<ExplainRequest>(), s_->call()).explain();
}

ExplainAnalyzeResult Cursor::explain_analyze() {
  s_->require_query("explain_analyze");
  const auto res = s_->connection->client.explain_analyze(
      s_->query_request<ExplainAnalyzeRequest>(), s_->call(std::chrono::minutes(10)));
  return {res.explainanalyze(), res.iscached(), res.parsingtime(), res.queueingtime()};
}

void Cursor::cancel() {
  s_->require_query("cancel");
  s_->connection->client.cancel(s_->query_request<CancelQueryRequest>(), s_->call());
}

void Cursor::clear() {
  if (!s_ || s_->query_id.empty()) return;
  const auto req = s_->query_request<ClearRequest>();
  const auto call = s_->call();
  // Forget the query first: a failed clear must not leave the cursor pointing at it.
  s_->query_id.clear();
  s_->columns.clear();
  s_->row_count = -1;
  s_->exhausted = true;
  s_->current.reset();
  s_->connection->client.clear(req, call);
}

}  // namespace e6data

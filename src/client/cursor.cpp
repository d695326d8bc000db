#include "e6data/cursor.hpp"

#include <algorithm>

#include "client/connection_state.hpp"
#include "client/parameter_binding.hpp"
#include "client/query.hpp"
#include "client/statement_kind.hpp"
#include "e6data/decode.hpp"
#include "metrics/operation_metrics.hpp"
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

// One Cursor call, timed into db.client.operation.duration on the connection's clock.
template <typename Call>
decltype(auto) timed(metrics::Operation operation, detail::Query& q, Call&& call) {
  auto& connection = q.connection();
  return metrics::timed(operation, connection.runner.clock(), connection.endpoint.get(),
                        std::forward<Call>(call));
}

}  // namespace

Cursor::Cursor(std::shared_ptr<detail::ConnectionState> connection, std::string catalog,
               std::string database)
    : q_(std::make_unique<detail::Query>(std::move(connection), std::move(catalog),
                                         std::move(database))) {}

Cursor::~Cursor() {
  if (q_) q_->clear_quietly();
}

Cursor::Cursor(Cursor&&) noexcept = default;

Cursor& Cursor::operator=(Cursor&& other) noexcept {
  if (this != &other) {
    if (q_) q_->clear_quietly();
    q_ = std::move(other.q_);
    current_ = std::move(other.current_);
    next_row_ = other.next_row_;
    other.current_.reset();
    other.next_row_ = 0;
  }
  return *this;
}

detail::Query& Cursor::usable(const char* operation) const {
  if (!q_) throw UsageError(std::string("Cursor::") + operation + " on a moved-from cursor");
  q_->connection().require_open((std::string("Cursor::") + operation).c_str());
  return *q_;
}

void Cursor::execute(std::string_view sql, const std::vector<Value>& parameters,
                     const QueryOptions& options) {
  auto& q = usable("execute");
  if (!wire::is_valid_utf8(sql)) {
    throw UsageError("Cursor::execute: the SQL text is not valid UTF-8; it was not sent");
  }
  q.clear_quietly();
  current_.reset();
  next_row_ = 0;
  const std::string text = detail::strip_trailing_semicolons(sql);
  std::vector<ParameterValue> typed;
  std::string statement;
  if (q.catalog().empty()) {
    // The catalog-less calls carry no parameters: the values travel as literals in the text.
    statement = parameters.empty() ? text
                                   : detail::bind_positional(
                                         text, parameters, q.connection().options.string_literals);
  } else {
    statement = text;
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
  timed(metrics::Operation::kExecute, q,
        [&] { q.start(std::move(statement), std::move(typed), options); });
}

void Cursor::execute(std::string_view sql, const NamedParameters& parameters,
                     const QueryOptions& options) {
  auto& q = usable("execute");
  if (!wire::is_valid_utf8(sql)) {
    throw UsageError("Cursor::execute: the SQL text is not valid UTF-8; it was not sent");
  }
  const std::string text = detail::strip_trailing_semicolons(sql);
  if (q.catalog().empty()) {
    std::string statement =
        detail::bind_named(text, parameters, q.connection().options.string_literals);
    q.clear_quietly();
    current_.reset();
    next_row_ = 0;
    timed(metrics::Operation::kExecute, q, [&] { q.start(std::move(statement), {}, options); });
    return;
  }
  auto [positional_sql, values] = detail::named_to_positional(text, parameters);
  execute(positional_sql, values, options);
}

const std::vector<ColumnInfo>& Cursor::description() const {
  return usable("description").columns();
}

std::int64_t Cursor::rowcount() const {
  return usable("rowcount").row_count();
}

const std::string& Cursor::query_id() const {
  if (!q_) throw UsageError("Cursor::query_id on a moved-from cursor");
  return q_->query_id();
}

std::string Cursor::deployment() const {
  if (!q_) throw UsageError("Cursor::deployment on a moved-from cursor");
  return q_->query_id().empty() ? std::string() : std::string(q_->deployment());
}

std::optional<Batch> Cursor::next_batch(const QueryOptions& options) {
  auto& q = usable("next_batch");
  return timed(metrics::Operation::kFetch, q, [&] { return q.next_batch(options); });
}

Cursor::BatchRange Cursor::batches(const QueryOptions& options) {
  (void)usable("batches");
  if (current_ && next_row_ < current_->num_rows()) {
    // next_batch() would hand over the batches after this one while its rows wait in the cursor
    // for the next fetchone(): the rows would come out of order.
    throw UsageError("Cursor::batches: " + std::to_string(current_->num_rows() - next_row_) +
                     " row(s) of the batch begun by fetchone()/fetchmany() are still unread; read "
                     "them first (fetchall()), or run the statement again");
  }
  return {this, options};
}

std::optional<Row> Cursor::fetchone(const QueryOptions& options) {
  auto& q = usable("fetchone");
  while (!current_ || next_row_ >= current_->num_rows()) {
    current_ = timed(metrics::Operation::kFetch, q, [&] { return q.next_batch(options); });
    next_row_ = 0;
    if (!current_) return std::nullopt;
  }
  return Row(*current_, next_row_++);
}

std::vector<Row> Cursor::fetchmany(std::size_t n, const QueryOptions& options) {
  std::vector<Row> rows;
  while (rows.size() < n) {
    auto row = fetchone(options);
    if (!row) break;
    rows.push_back(std::move(*row));
  }
  return rows;
}

std::vector<Row> Cursor::fetchall(const QueryOptions& options) {
  std::vector<Row> rows;
  while (auto row = fetchone(options)) rows.push_back(std::move(*row));
  return rows;
}

QueryStatus Cursor::status(const QueryOptions& options) {
  auto& q = usable("status");
  return timed(metrics::Operation::kStatus, q, [&] { return q.status(options); });
}

std::string Cursor::explain(const QueryOptions& options) {
  auto& q = usable("explain");
  return timed(metrics::Operation::kExplain, q, [&] { return q.explain(options); });
}

ExplainAnalyzeResult Cursor::explain_analyze(const QueryOptions& options) {
  auto& q = usable("explain_analyze");
  return timed(metrics::Operation::kExplainAnalyze, q, [&] { return q.explain_analyze(options); });
}

void Cursor::cancel(const QueryOptions& options) {
  auto& q = usable("cancel");
  timed(metrics::Operation::kCancel, q, [&] { q.cancel(options); });
}

void Cursor::clear(const QueryOptions& options) {
  if (!q_) throw UsageError("Cursor::clear on a moved-from cursor");
  current_.reset();
  next_row_ = 0;
  if (q_->connection().closed.load()) {
    q_->clear_quietly();  // a closed connection sends nothing: just forget the query
    return;
  }
  timed(metrics::Operation::kClear, *q_, [&] { q_->clear(options); });
}

}  // namespace e6data

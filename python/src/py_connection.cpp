#include "py_connection.hpp"

#include <chrono>
#include <functional>
#include <map>
#include <utility>

#include "blocking_call.hpp"
#include "e6data/errors.hpp"
#include "error_translation.hpp"
#include "py_cursor.hpp"

namespace py = pybind11;

namespace e6py {

e6data::Connection& ConnectionSlot::get(const char* operation) {
  std::lock_guard lock(mutex_);
  if (closed_) {
    raise_interface_error(std::string(operation) + ": the connection is closed" +
                          (pooled_ ? " (given back to its pool)" : ""));
  }
  return pooled_ ? *lease_ : *own_;
}

void ConnectionSlot::close(bool discard) {
  std::unique_lock lock(mutex_);
  if (closed_) return;
  closed_ = true;
  if (pooled_) {
    e6data::PooledConnection lease = std::move(lease_);
    lock.unlock();
    if (discard) {
      lease.discard();
    } else {
      lease.release();
    }
    return;
  }
  own_->close();
}

bool ConnectionSlot::is_open() const {
  std::lock_guard lock(mutex_);
  return !closed_;
}

namespace {

using Setter = std::function<void(e6data::ConnectionOptions&, const py::handle&)>;

std::string text_of(const py::handle& value, const std::string& name) {
  if (!py::isinstance<py::str>(value)) {
    throw e6data::UsageError("option " + name + " must be a str, got " +
                             std::string(py::str(value.get_type().attr("__name__"))));
  }
  return value.cast<std::string>();
}

bool flag_of(const py::handle& value, const std::string& name) {
  if (!py::isinstance<py::bool_>(value)) {
    throw e6data::UsageError("option " + name + " must be True or False, got " +
                             std::string(py::str(value.get_type().attr("__name__"))));
  }
  return value.cast<bool>();
}

std::int64_t integer_of(const py::handle& value, const std::string& name) {
  if (!py::isinstance<py::int_>(value) || py::isinstance<py::bool_>(value)) {
    throw e6data::UsageError("option " + name + " must be an int, got " +
                             std::string(py::str(value.get_type().attr("__name__"))));
  }
  return value.cast<std::int64_t>();
}

double seconds_of(const py::handle& value, const std::string& name) {
  if (py::isinstance<py::bool_>(value) ||
      !(py::isinstance<py::int_>(value) || py::isinstance<py::float_>(value))) {
    throw e6data::UsageError("option " + name + " must be a number of seconds, got " +
                             std::string(py::str(value.get_type().attr("__name__"))));
  }
  return value.cast<double>();
}

template <typename Duration>
Duration duration_of(const py::handle& value, const std::string& name) {
  const double seconds = seconds_of(value, name);
  if (!(seconds >= 0 && seconds <= 86400.0 * 365)) {
    throw e6data::UsageError("option " + name + " must be between 0 and one year of seconds");
  }
  return std::chrono::duration_cast<Duration>(std::chrono::duration<double>(seconds));
}

const std::map<std::string, Setter>& setters() {
  using O = e6data::ConnectionOptions;
  using std::chrono::milliseconds;
  using std::chrono::seconds;
  static const auto* table = new std::map<std::string, Setter>{  // NOLINT: never destroyed
      {"host", [](O& o, const py::handle& v) { o.host = text_of(v, "host"); }},
      {"port", [](O& o, const py::handle& v) { o.port = static_cast<int>(integer_of(v, "port")); }},
      {"username", [](O& o, const py::handle& v) { o.username = text_of(v, "username"); }},
      {"password", [](O& o, const py::handle& v) { o.password = text_of(v, "password"); }},
      {"catalog", [](O& o, const py::handle& v) { o.catalog = text_of(v, "catalog"); }},
      {"database", [](O& o, const py::handle& v) { o.database = text_of(v, "database"); }},
      {"cluster_name",
       [](O& o, const py::handle& v) { o.cluster_name = text_of(v, "cluster_name"); }},
      {"secure", [](O& o, const py::handle& v) { o.secure = flag_of(v, "secure"); }},
      {"ca_certificate",
       [](O& o, const py::handle& v) { o.ca_certificate = text_of(v, "ssl_cert"); }},
      {"auto_resume", [](O& o, const py::handle& v) { o.auto_resume = flag_of(v, "auto_resume"); }},
      {"auto_resume_timeout",
       [](O& o, const py::handle& v) {
         o.auto_resume_timeout = duration_of<seconds>(v, "auto_resume_timeout");
       }},
      {"call_timeout",
       [](O& o, const py::handle& v) { o.call_timeout = duration_of<seconds>(v, "call_timeout"); }},
      {"cleanup_timeout",
       [](O& o, const py::handle& v) {
         o.cleanup_timeout = duration_of<milliseconds>(v, "cleanup_timeout");
       }},
      {"result_batch_v2",
       [](O& o, const py::handle& v) { o.result_batch_v2 = text_of(v, "result_batch_v2"); }},
      {"download_ahead",
       [](O& o, const py::handle& v) {
         o.download_ahead = static_cast<int>(integer_of(v, "download_ahead"));
       }},
      {"download_ahead_bytes",
       [](O& o, const py::handle& v) {
         o.download_ahead_bytes = integer_of(v, "download_ahead_bytes");
       }},
      {"string_literals",
       [](O& o, const py::handle& v) { o.string_literals = text_of(v, "string_literals"); }},
      {"debug", [](O& o, const py::handle& v) { o.debug = flag_of(v, "debug"); }},
      {"grpc.keepalive_time_ms",
       [](O& o, const py::handle& v) { o.grpc.keepalive_time_ms = integer_of(v, "keepalive_time_ms"); }},
      {"grpc.keepalive_timeout_ms",
       [](O& o, const py::handle& v) {
         o.grpc.keepalive_timeout_ms = integer_of(v, "keepalive_timeout_ms");
       }},
      {"grpc.keepalive_permit_without_calls",
       [](O& o, const py::handle& v) {
         o.grpc.keepalive_permit_without_calls =
             integer_of(v, "keepalive_permit_without_calls") != 0;
       }},
      {"grpc.max_receive_message_length",
       [](O& o, const py::handle& v) {
         o.grpc.max_receive_message_length = integer_of(v, "max_receive_message_length");
       }},
      {"grpc.max_send_message_length",
       [](O& o, const py::handle& v) {
         o.grpc.max_send_message_length = integer_of(v, "max_send_message_length");
       }},
      {"grpc.http2_max_pings_without_data",
       [](O& o, const py::handle& v) {
         o.grpc.http2_max_pings_without_data = integer_of(v, "http2.max_pings_without_data");
       }},
      {"grpc.http2_min_time_between_pings_ms",
       [](O& o, const py::handle& v) {
         o.grpc.http2_min_time_between_pings_ms =
             integer_of(v, "http2.min_time_between_pings_ms");
       }},
      {"grpc.http2_min_ping_interval_without_data_ms",
       [](O& o, const py::handle& v) {
         o.grpc.http2_min_ping_interval_without_data_ms =
             integer_of(v, "http2.min_ping_interval_without_data_ms");
       }},
      {"grpc.prepare_timeout",
       [](O& o, const py::handle& v) {
         o.grpc.prepare_timeout = duration_of<seconds>(v, "grpc_prepare_timeout");
       }},
      {"strategy.shared_state",
       [](O& o, const py::handle& v) { o.strategy.shared_state = text_of(v, "shared_state"); }},
      {"retry.max_attempts",
       [](O& o, const py::handle& v) {
         o.retry.max_attempts = static_cast<int>(integer_of(v, "max_attempts"));
       }},
      {"pool.max_connections",
       [](O& o, const py::handle& v) {
         o.pool.max_connections = static_cast<int>(integer_of(v, "max_connections"));
       }},
      {"pool.min_connections",
       [](O& o, const py::handle& v) {
         o.pool.min_connections = static_cast<int>(integer_of(v, "min_connections"));
       }},
      {"pool.connection_timeout",
       [](O& o, const py::handle& v) {
         o.pool.connection_timeout = duration_of<seconds>(v, "connection_timeout");
       }},
      {"pool.idle_timeout",
       [](O& o, const py::handle& v) {
         o.pool.idle_timeout = duration_of<seconds>(v, "idle_timeout");
       }},
      {"pool.max_lifetime",
       [](O& o, const py::handle& v) {
         o.pool.max_lifetime = duration_of<seconds>(v, "max_lifetime");
       }},
  };
  return *table;
}

py::list strings_to_list(const std::vector<std::string>& values) {
  py::list out;
  for (const std::string& value : values) out.append(py::str(value));
  return out;
}

}  // namespace

e6data::ConnectionOptions options_from(const py::dict& fields,
                                       const std::optional<std::string>& uri, bool use_env) {
  e6data::ConnectionOptions options =
      uri ? e6data::ConnectionOptions::from_uri(*uri) : e6data::ConnectionOptions{};
  for (auto item : fields) {
    const std::string name = py::str(item.first);
    if (item.second.is_none()) continue;  // None: keep the default (or the URI's value)
    auto found = setters().find(name);
    if (found == setters().end())
      throw e6data::UsageError("unknown connection option '" + name + "'");
    found->second(options, item.second);
  }
  if (use_env) options.fill_from_env();
  return options;
}

PyConnection::~PyConnection() {
  if (slot_ && PyGILState_Check() != 0) {
    py::gil_scoped_release released;
    slot_.reset();
  }
}

void PyConnection::authenticate(std::optional<double> timeout) {
  e6data::Connection& connection = slot_->get("authenticate");
  const e6data::QueryOptions options = call_options(timeout);
  run_released([&] { connection.authenticate(options); }, options.cancel);
}

PyCursor PyConnection::cursor(const std::string& catalog, const std::string& database) {
  e6data::Connection& connection = slot_->get("cursor");
  return PyCursor(slot_, connection.cursor(catalog, database));
}

py::list PyConnection::schemas(const std::string& catalog, std::optional<double> timeout) {
  e6data::Connection& connection = slot_->get("get_schema_names");
  const e6data::QueryOptions options = call_options(timeout);
  std::vector<std::string> names;
  run_released([&] { names = connection.schemas(catalog, options); }, options.cancel);
  return strings_to_list(names);
}

py::list PyConnection::tables(const std::string& catalog, const std::string& schema,
                              std::optional<double> timeout) {
  e6data::Connection& connection = slot_->get("get_tables");
  const e6data::QueryOptions options = call_options(timeout);
  std::vector<std::string> names;
  run_released([&] { names = connection.tables(catalog, schema, options); }, options.cancel);
  return strings_to_list(names);
}

py::list PyConnection::columns(const std::string& catalog, const std::string& schema,
                               const std::string& table, std::optional<double> timeout) {
  e6data::Connection& connection = slot_->get("get_columns");
  const e6data::QueryOptions options = call_options(timeout);
  std::vector<e6data::ColumnInfo> columns;
  run_released([&] { columns = connection.columns(catalog, schema, table, options); },
               options.cancel);
  py::list out;
  for (const e6data::ColumnInfo& column : columns) {
    py::dict entry;
    entry["fieldName"] = column.name;
    entry["fieldType"] = column.type;
    out.append(entry);
  }
  return out;
}

std::string PyConnection::dry_run(const std::string& sql, std::optional<double> timeout) {
  e6data::Connection& connection = slot_->get("dry_run");
  const e6data::QueryOptions options = call_options(timeout);
  std::string verdict;
  run_released([&] { verdict = connection.dry_run(sql, options); }, options.cancel);
  return verdict;
}

std::string PyConnection::strategy_json() {
  return slot_->get("strategy").strategy().to_json();
}

std::string PyConnection::options_text() {
  return e6data::to_string(slot_->get("options").options());
}

py::tuple PyConnection::read_all_cpp(const std::string& sql) {
  e6data::Connection& connection = slot_->get("read_all_cpp");
  std::int64_t rows = 0;
  double seconds = 0;
  const e6data::QueryOptions options = call_options(std::nullopt);
  run_released(
      [&] {
        const auto started = std::chrono::steady_clock::now();
        e6data::Cursor cursor = connection.cursor();
        cursor.execute(sql, options);
        while (auto batch = cursor.next_batch(options)) rows += batch->num_rows();
        seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
      },
      options.cancel);
  return py::make_tuple(rows, seconds);
}

void PyConnection::close(bool discard) {
  py::gil_scoped_release released;  // closing may wait for the connection's own thread
  slot_->close(discard);
}

}  // namespace e6py

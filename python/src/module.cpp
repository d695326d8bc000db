// e6data_cpp._core: the C++ engine for the e6data_cpp package. The package's Python modules
// build the DB-API on these classes; they are not meant to be used directly.

#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <string>
#include <string_view>

#include "blocking_call.hpp"
#include "e6data/decode.hpp"
#include "e6data/errors.hpp"
#include "e6data/metrics.hpp"
#include "e6data/strategy.hpp"
#include "e6data/vector_type.hpp"
#include "error_translation.hpp"
#include "parameters.hpp"
#include "py_connection.hpp"
#include "py_cursor.hpp"
#include "py_pool.hpp"
#include "python_values.hpp"

namespace py = pybind11;

namespace e6py {
namespace {

std::string_view bytes_view(const py::bytes& payload) {
  char* data = nullptr;
  Py_ssize_t size = 0;
  if (PyBytes_AsStringAndSize(payload.ptr(), &data, &size) != 0) throw py::error_already_set();
  return {data, static_cast<std::size_t>(size)};
}

py::object int128_object(e6data::int128 value) {
  return py::int_(py::str(int128_text(value)));
}

// A cell without conversion to Python's types: temporal values as epoch microseconds (with zone
// and offset for TIMESTAMP_TZ), decimals as (unscaled, scale), text as the bytes sent. For
// checking the decoder against the wire vectors, whatever the year.
py::object raw_cell(const e6data::ColumnView& column, std::int64_t row) {
  using e6data::VectorType;
  if (column.is_null(row)) return py::none();
  switch (column.type()) {
    case VectorType::kString:
    case VectorType::kBinary:
    case VectorType::kStruct:
    case VectorType::kMap:
    case VectorType::kArray: {
      const std::string_view bytes = column.string_at(row);
      return py::bytes(bytes.data(), bytes.size());
    }
    case VectorType::kDate:
    case VectorType::kDateTime:
    case VectorType::kTimestamp:
      return py::int_(column.int64_at(row));
    case VectorType::kTimestampTz: {
      const auto zone = column.zone_at(row);
      return py::make_tuple(column.int64_at(row),
                            zone ? py::object(py::str(std::string(*zone))) : py::object(py::none()),
                            column.offset_seconds_at(row));
    }
    case VectorType::kDecimal128: {
      const e6data::Decimal128 value = column.decimal_at(row);
      return py::make_tuple(int128_object(value.unscaled), value.scale);
    }
    default:
      return cell_object(column, row, "");
  }
}

// A decoded batch as the package exposes it to tools and tests.
class DecodedBatch {
 public:
  explicit DecodedBatch(e6data::Batch batch) : batch_(std::move(batch)) {}
  std::int64_t num_rows() const { return batch_.num_rows(); }
  py::list column_types() const {
    py::list out;
    for (std::size_t c = 0; c < batch_.num_columns(); ++c) {
      out.append(py::str(std::string(e6data::to_string(batch_.column(c).type()))));
    }
    return out;
  }
  py::list rows() const {
    return rows_to_python(batch_, 0, batch_.num_rows(), std::vector<std::string>{});
  }
  py::list raw_column(std::size_t c) const {
    const e6data::ColumnView column = batch_.column(c);
    py::list out;
    for (std::int64_t r = 0; r < column.size(); ++r) out.append(raw_cell(column, r));
    return out;
  }
  py::list column(std::size_t c) const {
    const e6data::ColumnView column = batch_.column(c);
    py::list out;
    for (std::int64_t r = 0; r < column.size(); ++r) out.append(cell_object(column, r, ""));
    return out;
  }

 private:
  e6data::Batch batch_;
};

}  // namespace
}  // namespace e6py

PYBIND11_MODULE(_core, m) {
  using namespace e6py;  // NOLINT(google-build-using-namespace): the binding table reads better
  m.doc() = "The C++ engine of e6data_cpp (use the e6data_cpp package, not this module).";
  m.attr("__version__") = E6DATA_VERSION_TEXT;
  remember_main_thread();
  init_python_values();
  init_parameters();
  register_error_translation(m);

  m.def(
      "make_options",
      [](const py::dict& fields, const std::optional<std::string>& uri, bool use_env) {
        return std::make_shared<e6data::ConnectionOptions>(options_from(fields, uri, use_env));
      },
      py::arg("fields"), py::arg("uri") = py::none(), py::arg("use_env") = false);
  py::class_<e6data::ConnectionOptions, std::shared_ptr<e6data::ConnectionOptions>>(m, "Options")
      .def("validate", &e6data::ConnectionOptions::validate)
      .def("__repr__", [](const e6data::ConnectionOptions& o) { return e6data::to_string(o); })
      .def_property_readonly("host", [](const e6data::ConnectionOptions& o) { return o.host; })
      .def_property_readonly("port", [](const e6data::ConnectionOptions& o) { return o.port; })
      .def_property_readonly("catalog",
                             [](const e6data::ConnectionOptions& o) { return o.catalog; })
      .def_property_readonly("database",
                             [](const e6data::ConnectionOptions& o) { return o.database; });

  py::class_<PyCursor>(m, "Cursor")
      .def("execute", &PyCursor::execute, py::arg("sql"), py::arg("parameters") = py::none(),
           py::arg("timeout") = py::none())
      .def("fetchone", &PyCursor::fetchone, py::arg("timeout") = py::none())
      .def("fetchmany", &PyCursor::fetchmany, py::arg("size"), py::arg("timeout") = py::none())
      .def("fetchall", &PyCursor::fetchall, py::arg("timeout") = py::none())
      .def("fetch_batch", &PyCursor::fetch_batch, py::arg("timeout") = py::none())
      .def("fetchnumpy", &PyCursor::fetchnumpy, py::arg("timeout") = py::none())
      .def("description", &PyCursor::description)
      .def("rowcount", &PyCursor::rowcount)
      .def("status", &PyCursor::status, py::arg("timeout") = py::none())
      .def("explain", &PyCursor::explain, py::arg("timeout") = py::none())
      .def("explain_analyze", &PyCursor::explain_analyze, py::arg("timeout") = py::none())
      .def("cancel", &PyCursor::cancel, py::arg("timeout") = py::none())
      .def("clear", &PyCursor::clear, py::arg("timeout") = py::none())
      .def("query_id", &PyCursor::query_id)
      .def("deployment", &PyCursor::deployment)
      .def("close", &PyCursor::close)
      .def_property_readonly("closed", &PyCursor::closed);

  py::class_<PyConnection>(m, "Connection")
      .def(py::init([](const std::shared_ptr<e6data::ConnectionOptions>& options) {
        return PyConnection(std::make_shared<ConnectionSlot>(*options));
      }))
      .def("authenticate", &PyConnection::authenticate, py::arg("timeout") = py::none())
      .def("cursor", &PyConnection::cursor, py::arg("catalog") = "", py::arg("database") = "")
      .def("schemas", &PyConnection::schemas, py::arg("catalog"), py::arg("timeout") = py::none())
      .def("tables", &PyConnection::tables, py::arg("catalog"), py::arg("schema"),
           py::arg("timeout") = py::none())
      .def("columns", &PyConnection::columns, py::arg("catalog"), py::arg("schema"),
           py::arg("table"), py::arg("timeout") = py::none())
      .def("dry_run", &PyConnection::dry_run, py::arg("sql"), py::arg("timeout") = py::none())
      .def("strategy_json", &PyConnection::strategy_json)
      .def("options_text", &PyConnection::options_text)
      .def("_read_all_cpp", &PyConnection::read_all_cpp, py::arg("sql"))
      .def("close", &PyConnection::close, py::arg("discard") = false)
      .def_property_readonly("is_open", &PyConnection::is_open);

  py::class_<PyPool>(m, "ConnectionPool")
      .def(py::init([](const std::shared_ptr<e6data::ConnectionOptions>& options,
                       const py::dict& settings) {
             return std::make_unique<PyPool>(*options, settings);
           }),
           py::arg("options"), py::arg("settings"))
      .def("acquire", &PyPool::acquire, py::arg("timeout") = py::none(), py::arg("tag") = "")
      .def("stats", &PyPool::stats)
      .def("soft_evict", &PyPool::soft_evict)
      .def("pause", &PyPool::pause)
      .def("unpause", &PyPool::unpause)
      .def("close", &PyPool::close);

  py::class_<PyClusterManager>(m, "ClusterManager")
      .def(py::init([](const std::shared_ptr<e6data::ConnectionOptions>& options) {
        return std::make_unique<PyClusterManager>(*options);
      }))
      .def("status", &PyClusterManager::status)
      .def("resume", &PyClusterManager::resume, py::arg("wait") = true,
           py::arg("timeout") = py::none())
      .def("suspend", &PyClusterManager::suspend);

  // The strategy operator actions (no network calls) and the process's metrics.
  m.def("clear_strategy_cache", [](const std::shared_ptr<e6data::ConnectionOptions>& options) {
    return e6data::clear_strategy_cache(*options);
  });
  m.def("apply_pending_strategy", [](const std::shared_ptr<e6data::ConnectionOptions>& options) {
    return e6data::apply_pending_strategy(*options);
  });
  m.def("strategy_endpoint", [](const std::shared_ptr<e6data::ConnectionOptions>& options) {
    return e6data::strategy_endpoint(*options);
  });
  m.def(
      "read_shared_strategy",
      [](const std::string& name, const std::string& directory) {
        py::list out;
        for (const e6data::SharedStrategySlot& slot :
             e6data::read_shared_strategy(name, directory)) {
          out.append(py::str(slot.to_json()));
        }
        return out;
      },
      py::arg("name"), py::arg("directory") = "/dev/shm");
  m.def("metrics_text", [] { return e6data::metrics_text(); });

  py::class_<DecodedBatch>(m, "DecodedBatch")
      .def_property_readonly("num_rows", &DecodedBatch::num_rows)
      .def_property_readonly("column_types", &DecodedBatch::column_types)
      .def("rows", &DecodedBatch::rows)
      .def("column", &DecodedBatch::column, py::arg("index"))
      .def("raw_column", &DecodedBatch::raw_column, py::arg("index"));
  m.def(
      "decode_result_batch",
      [](const py::bytes& payload, std::optional<std::size_t> expected_columns) {
        e6data::DecodeOptions options;
        options.expected_columns = expected_columns;
        return DecodedBatch(e6data::decode_result_batch(bytes_view(payload), options));
      },
      py::arg("payload"), py::arg("expected_columns") = py::none());
  m.def(
      "decode_result_metadata",
      [](const py::bytes& payload) {
        const e6data::ResultSchema schema = e6data::decode_result_metadata(bytes_view(payload));
        py::dict out;
        out["row_count"] = schema.row_count;
        py::list fields;
        for (const e6data::ColumnInfo& c : schema.columns) {
          py::dict field;
          field["name"] = c.name;
          field["type"] = c.type;
          field["zone"] = c.zone;
          field["format"] = c.format;
          fields.append(field);
        }
        out["fields"] = fields;
        return out;
      },
      py::arg("payload"));
}

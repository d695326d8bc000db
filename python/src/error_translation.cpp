#include "error_translation.hpp"

#include <string>

#include "e6data/errors.hpp"

namespace py = pybind11;

namespace e6py {
namespace {

// The classes e6data_cpp.exceptions defined, by name. Owned references, kept for the process's
// life (the module is never unloaded).
py::dict& error_classes() {
  static auto* classes = new py::dict();  // NOLINT(cppcoreguidelines-owning-memory)
  return *classes;
}

py::object class_named(const std::string& name) {
  py::dict& classes = error_classes();
  if (classes.contains(name)) return classes[name.c_str()];
  // Before e6data_cpp handed its classes over (only when _core is imported on its own).
  return py::reinterpret_borrow<py::object>(PyExc_RuntimeError);
}

// Sets the Python error for `error`: the class by kind (a refused statement is also a
// ProgrammingError), with the call's context as attributes.
void set_library_error(const e6data::Error& error) {
  std::string name(e6data::to_string(error.kind()));
  if (error.kind() == e6data::ErrorKind::kQuery &&
      error.cause() == e6data::FailureCause::kRefused) {
    name = "query_refused";
  }
  py::object cls = class_named(name);
  py::object instance = cls(py::str(error.what()));
  try {
    instance.attr("kind") = py::str(std::string(e6data::to_string(error.kind())));
    instance.attr("query_id") = py::str(error.query_id());
    instance.attr("grpc_code") = error.grpc_code();
    instance.attr("server_message") = py::str(error.server_message());
    instance.attr("strategy") =
        error.strategy().empty() ? py::object(py::none()) : py::object(py::str(error.strategy()));
    instance.attr("http_status") = error.http_status();
    instance.attr("retryable") = error.is_retryable();
    instance.attr("cause") = py::str(std::string(e6data::to_string(error.cause())));
    if (const auto* decode = dynamic_cast<const e6data::DecodeError*>(&error)) {
      instance.attr("offset") = decode->offset();
    }
  } catch (py::error_already_set&) {
    // A class without settable attributes (RuntimeError before the hand-over): the message
    // alone still says what happened.
  }
  PyErr_SetObject(cls.ptr(), instance.ptr());
}

}  // namespace

void raise_interface_error(const std::string& message) {
  py::object cls = class_named("InterfaceError");
  PyErr_SetString(cls.ptr(), message.c_str());
  throw py::error_already_set();
}

void register_error_translation(py::module_& m) {
  m.def(
      "_set_error_classes",
      [](const py::dict& classes) {
        for (auto item : classes) error_classes()[item.first] = item.second;
      },
      "Used by e6data_cpp at import: the exception class of each error kind.");
  // pybind11 takes a plain function of std::exception_ptr by value.
  py::register_exception_translator(
      [](std::exception_ptr pointer) {  // NOLINT(performance-unnecessary-value-param)
        if (!pointer) return;
        try {
          std::rethrow_exception(pointer);
        } catch (const e6data::Error& error) {
          set_library_error(error);
        } catch (const ValueRangeError& error) {
          PyErr_SetString(class_named("DataError").ptr(), error.what());
        } catch (const UnsupportedParameter& error) {
          PyErr_SetString(class_named("NotSupportedError").ptr(), error.what());
        }
      });
}

}  // namespace e6py

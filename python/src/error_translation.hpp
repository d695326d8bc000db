#pragma once
// Turns the library's typed errors into the package's PEP 249 exceptions (e6data_cpp.exceptions).

#include <pybind11/pybind11.h>

#include <stdexcept>
#include <string>

namespace e6py {

// A value the library decoded correctly but Python cannot represent (a year beyond 9999):
// raised as e6data_cpp.DataError, never converted to a wrong value.
class ValueRangeError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A Python value that has no e6data parameter type (raised as NotSupportedError).
class UnsupportedParameter : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Registers the translator, and the function e6data_cpp uses to hand over its exception classes
// (`_core._set_error_classes(dict)`): by error kind name, plus "DataError", "NotSupportedError",
// "ProgrammingError" and "InterfaceError".
void register_error_translation(pybind11::module_& m);

// Raises InterfaceError with `message` (used for closed cursors and connections).
[[noreturn]] void raise_interface_error(const std::string& message);

}  // namespace e6py

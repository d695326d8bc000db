#include "parameters.hpp"

#include <datetime.h>

// The CPython datetime and list/tuple macros expand to C casts.
#pragma GCC diagnostic ignored "-Wold-style-cast"

#include <cstdio>
#include <string>
#include <utility>

#include "e6data/errors.hpp"
#include "error_translation.hpp"
#include "python_values.hpp"

namespace py = pybind11;

namespace e6py {
namespace {

constexpr std::int64_t kMicrosPerSecond = 1'000'000;
constexpr std::int64_t kMicrosPerDay = 86'400 * kMicrosPerSecond;

std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2 ? 1 : 0;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

std::int64_t epoch_us_of_fields(PyObject* value, bool with_time) {
  const std::int64_t days = days_from_civil(PyDateTime_GET_YEAR(value),
                                            static_cast<unsigned>(PyDateTime_GET_MONTH(value)),
                                            static_cast<unsigned>(PyDateTime_GET_DAY(value)));
  std::int64_t us = days * kMicrosPerDay;
  if (with_time) {
    us +=
        (std::int64_t{PyDateTime_DATE_GET_HOUR(value)} * 3600 +
         std::int64_t{PyDateTime_DATE_GET_MINUTE(value)} * 60 + PyDateTime_DATE_GET_SECOND(value)) *
            kMicrosPerSecond +
        PyDateTime_DATE_GET_MICROSECOND(value);
  }
  return us;
}

std::string describe(const std::string& where, const py::handle& value) {
  return where + " (a " + std::string(py::str(value.get_type().attr("__name__"))) + ")";
}

e6data::Value decimal_value(const py::handle& value, const std::string& where) {
  py::tuple parts = value.attr("as_tuple")();
  const py::object exponent = parts[2];
  if (!py::isinstance<py::int_>(exponent)) {
    throw e6data::UsageError(where + " is a Decimal NaN or infinity, which SQL cannot hold");
  }
  const int sign = parts[0].cast<int>();
  const py::tuple digits = parts[1];
  if (digits.size() > 38) {
    throw e6data::UsageError(where + " has " + std::to_string(digits.size()) +
                             " digits; DECIMAL holds at most 38");
  }
  e6data::int128 unscaled = 0;
  for (const auto digit : digits) unscaled = unscaled * 10 + digit.cast<int>();
  auto exp = exponent.cast<long long>();
  if (exp > 0) {
    // A positive exponent (Decimal("5E+2")) becomes digits: DECIMAL scales are not negative.
    if (digits.size() + static_cast<std::size_t>(exp) > 38) {
      throw e6data::UsageError(where + " needs more than 38 digits as a DECIMAL");
    }
    for (long long i = 0; i < exp; ++i) unscaled *= 10;
    exp = 0;
  }
  if (-exp > 38) throw e6data::UsageError(where + " has a scale above 38");
  return e6data::Decimal128{sign != 0 ? -unscaled : unscaled, static_cast<std::int32_t>(-exp)};
}

e6data::Value integer_value(const py::handle& value, const std::string& where) {
  int overflow = 0;
  const long long v = PyLong_AsLongLongAndOverflow(value.ptr(), &overflow);
  if (overflow == 0) {
    if (v == -1 && PyErr_Occurred() != nullptr) throw py::error_already_set();
    return std::int64_t{v};
  }
  // Beyond 64 bits: an exact DECIMAL of scale 0, when 38 digits hold it.
  const std::string text = py::str(value);
  const bool negative = text.front() == '-';
  const std::string digits = negative ? text.substr(1) : text;
  if (digits.size() > 38) {
    throw e6data::UsageError(where + " has " + std::to_string(digits.size()) +
                             " digits; integers beyond 64 bits travel as DECIMAL, at most 38");
  }
  e6data::int128 unscaled = 0;
  for (const char c : digits) unscaled = unscaled * 10 + (c - '0');
  return e6data::Decimal128{negative ? -unscaled : unscaled, 0};
}

e6data::Value one_value(const py::handle& value, const std::string& where, BoundParameters& bound) {
  PyObject* p = value.ptr();
  if (value.is_none()) return std::monostate{};
  if (PyBool_Check(p)) return p == Py_True;
  if (PyLong_Check(p)) return integer_value(value, where);
  if (PyFloat_Check(p)) return PyFloat_AS_DOUBLE(p);
  if (PyUnicode_Check(p)) {
    Py_ssize_t size = 0;
    const char* utf8 = PyUnicode_AsUTF8AndSize(p, &size);
    if (utf8 == nullptr) throw py::error_already_set();  // lone surrogates: not UTF-8
    bound.storage.emplace_back(utf8, static_cast<std::size_t>(size));
    return std::string_view(bound.storage.back());
  }
  if (PyDateTime_Check(p)) {
    const std::int64_t local = epoch_us_of_fields(p, true);
    py::object offset = value.attr("utcoffset")();
    if (offset.is_none()) return e6data::Timestamp{local};  // naive: taken as UTC (documented)
    const auto offset_seconds = offset.attr("total_seconds")().cast<double>();
    const auto seconds = static_cast<std::int32_t>(offset_seconds);
    if (static_cast<double>(seconds) != offset_seconds) {
      throw e6data::UsageError(where + " has a UTC offset with a fraction of a second");
    }
    const char sign = seconds < 0 ? '-' : '+';
    const int magnitude = seconds < 0 ? -seconds : seconds;
    char zone[16];
    std::snprintf(zone, sizeof zone, "%c%02d:%02d", sign, magnitude / 3600, (magnitude / 60) % 60);
    bound.storage.emplace_back(zone);
    return e6data::TimestampTz{local - std::int64_t{seconds} * kMicrosPerSecond,
                               std::string_view(bound.storage.back()), seconds};
  }
  if (PyDate_Check(p)) return e6data::Date{epoch_us_of_fields(p, false)};
  // Never destroyed: a static destructor would run after the interpreter has finalized.
  static const auto* decimal_type =
      new py::object(py::module_::import("decimal").attr("Decimal"));  // NOLINT
  if (py::isinstance(value, *decimal_type)) return decimal_value(value, where);
  if (PyBytes_Check(p) || PyByteArray_Check(p) || PyMemoryView_Check(p)) {
    throw UnsupportedParameter(describe(where, value) +
                               ": binary parameters are not supported (the SQL-text form cannot "
                               "carry bytes); compare with a hex literal in the SQL instead");
  }
  throw UnsupportedParameter(describe(where, value) +
                             " has no e6data type: use None, bool, int, float, str, "
                             "decimal.Decimal, datetime.date or datetime.datetime");
}

}  // namespace

void init_parameters() {
  PyDateTime_IMPORT;
  if (PyDateTimeAPI == nullptr) throw py::error_already_set();
}

BoundParameters bind_parameters(const py::handle& values) {
  BoundParameters bound;
  if (values.is_none()) return bound;
  if (PyDict_Check(values.ptr()) || py::hasattr(values, "keys")) {
    bound.is_named = true;
    py::object keys = values.attr("keys")();
    for (const auto key : keys) {
      if (!PyUnicode_Check(key.ptr())) {
        throw UnsupportedParameter("parameter names must be str, got " +
                                   std::string(py::str(key.get_type().attr("__name__"))));
      }
      std::string name = key.cast<std::string>();
      e6data::Value value = one_value(values[key], "parameter '" + name + "'", bound);
      bound.named.emplace_back(std::move(name), value);
    }
    return bound;
  }
  if (PyUnicode_Check(values.ptr()) || PyBytes_Check(values.ptr())) {
    throw UnsupportedParameter("parameters must be a sequence or a mapping, not a string");
  }
  if (PySequence_Check(values.ptr()) == 0) {
    throw e6data::UsageError(
        "parameters must be a sequence (for %s) or a mapping (for %(name)s), "
        "not " +
        std::string(py::str(values.get_type().attr("__name__"))));
  }
  py::sequence sequence = py::reinterpret_borrow<py::sequence>(values);
  for (std::size_t i = 0; i < sequence.size(); ++i) {
    bound.positional.push_back(one_value(sequence[i], "parameter " + std::to_string(i + 1), bound));
  }
  return bound;
}

}  // namespace e6py

#include "python_values.hpp"

// datetime.h keeps its C API pointer per translation unit: every datetime call of the package
// that needs it lives in this file (and parameters.cpp imports its own).
#include <datetime.h>

// The CPython datetime and list/tuple macros expand to C casts.
#pragma GCC diagnostic ignored "-Wold-style-cast"

#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "e6data/values.hpp"
#include "error_translation.hpp"

namespace py = pybind11;

namespace e6py {
namespace {

constexpr std::int64_t kMicrosPerSecond = 1'000'000;
constexpr std::int64_t kMicrosPerDay = 86'400 * kMicrosPerSecond;

struct Civil {
  std::int64_t year;
  int month;
  int day;
};

// The proleptic Gregorian date of a day count since 1970-01-01 (the days-from-civil inverse).
Civil civil_from_days(std::int64_t days) {
  days += 719468;
  const std::int64_t era = (days >= 0 ? days : days - 146096) / 146097;
  const auto doe = static_cast<std::int64_t>(days - era * 146097);
  const std::int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const std::int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const std::int64_t mp = (5 * doy + 2) / 153;
  const auto day = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  const auto month = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  return {yoe + era * 400 + (month <= 2 ? 1 : 0), month, day};
}

struct Fields {
  Civil date;
  int hour;
  int minute;
  int second;
  int micro;
};

Fields fields_of(std::int64_t epoch_us) {
  const std::int64_t days = floor_div(epoch_us, kMicrosPerDay);
  std::int64_t rest = epoch_us - days * kMicrosPerDay;
  Fields f{civil_from_days(days), 0, 0, 0, 0};
  f.micro = static_cast<int>(rest % kMicrosPerSecond);
  rest /= kMicrosPerSecond;
  f.second = static_cast<int>(rest % 60);
  f.minute = static_cast<int>((rest / 60) % 60);
  f.hour = static_cast<int>(rest / 3600);
  return f;
}

void require_python_year(const Civil& date, const e6data::ColumnView& column, std::int64_t row,
                         const std::string& name) {
  if (date.year >= 1 && date.year <= 9999) return;
  throw ValueRangeError("column '" + name + "' row " + std::to_string(row) + ": " +
                        column.to_string(row) +
                        " is outside the years Python's datetime can hold (1..9999); read it "
                        "with fetchnumpy() (datetime64) or cast it to text in SQL");
}

// Python objects the conversions use, set at import. Never destroyed: a static destructor would
// drop references after the interpreter has finalized.
struct PythonTypes {
  py::object decimal;    // decimal.Decimal
  py::object timezone;   // datetime.timezone
  py::object timedelta;  // datetime.timedelta
  py::object utc;        // datetime.timezone.utc
};
PythonTypes& types() {
  static auto* instance = new PythonTypes();  // NOLINT(cppcoreguidelines-owning-memory)
  return *instance;
}

// Fixed-offset zones by (offset, name): TIMESTAMP_TZ results repeat few of them.
py::object zone_object(std::int32_t offset_seconds, std::string_view zone) {
  static auto* cache = new std::unordered_map<std::string, py::object>();  // NOLINT: as types()
  if (zone.empty() && offset_seconds == 0) return types().utc;
  std::string key = std::to_string(offset_seconds) + '|' + std::string(zone);
  auto found = cache->find(key);
  if (found != cache->end()) return found->second;
  if (cache->size() > 4096) cache->clear();  // bounded: zones come from data
  py::object delta = types().timedelta(py::arg("seconds") = offset_seconds);
  py::object tz =
      zone.empty() ? types().timezone(delta) : types().timezone(delta, py::str(std::string(zone)));
  cache->emplace(std::move(key), tz);
  return tz;
}

struct DecimalCacheEntry {
  e6data::Decimal128 value;
  py::object object;
};

DecimalCacheEntry& decimal_cache_slot(const e6data::Decimal128& value) {
  constexpr std::size_t kSlots = 16384;  // few collisions for a few thousand distinct values
  // Never destroyed (see types()); used under the GIL only.
  static auto* cache = new std::vector<DecimalCacheEntry>(kSlots);  // NOLINT
  const auto low = static_cast<std::uint64_t>(value.unscaled);
  const auto high = static_cast<std::uint64_t>(value.unscaled >> 64);
  std::uint64_t h = (low ^ (high * 0x9E3779B97F4A7C15ULL)) * 0xBF58476D1CE4E5B9ULL;
  h ^= static_cast<std::uint64_t>(static_cast<std::uint32_t>(value.scale)) * 0x94D049BB133111EBULL;
  return (*cache)[(h >> 32) % kSlots];
}

py::object steal(PyObject* object) {
  if (object == nullptr) throw py::error_already_set();
  return py::reinterpret_steal<py::object>(object);
}

}  // namespace

std::string int128_text(e6data::int128 value) {
  const bool negative = value < 0;
  // Work on the magnitude as unsigned: -INT128_MIN does not fit the signed type.
  __extension__ using uint128 = unsigned __int128;
  uint128 magnitude = negative ? uint128(0) - static_cast<uint128>(value) : uint128(value);
  std::string digits;
  do {
    digits.insert(digits.begin(), static_cast<char>('0' + static_cast<int>(magnitude % 10)));
    magnitude /= 10;
  } while (magnitude != 0);
  return negative ? "-" + digits : digits;
}

void init_python_values() {
  PyDateTime_IMPORT;
  if (PyDateTimeAPI == nullptr) throw py::error_already_set();
  PythonTypes& t = types();
  t.decimal = py::module_::import("decimal").attr("Decimal");
  py::module_ datetime = py::module_::import("datetime");
  t.timezone = datetime.attr("timezone");
  t.timedelta = datetime.attr("timedelta");
  t.utc = t.timezone.attr("utc");
}

py::object cell_object(const e6data::ColumnView& column, std::int64_t row,
                       const std::string& name) {
  using e6data::VectorType;
  if (column.is_null(row)) return py::none();
  switch (column.type()) {
    case VectorType::kBoolean:
      return py::bool_(column.bool_at(row));
    case VectorType::kInteger:
      return steal(PyLong_FromLong(column.int32_at(row)));
    case VectorType::kLong:
      return steal(PyLong_FromLongLong(column.int64_at(row)));
    case VectorType::kDouble:
    case VectorType::kFloat:
      return steal(PyFloat_FromDouble(column.double_at(row)));
    case VectorType::kBinary: {
      const std::string_view bytes = column.string_at(row);
      return steal(PyBytes_FromStringAndSize(bytes.data(), static_cast<Py_ssize_t>(bytes.size())));
    }
    case VectorType::kString:
    case VectorType::kStruct:
    case VectorType::kMap:
    case VectorType::kArray: {
      // The decoder hands over UTF-8; surrogateescape keeps any other byte instead of failing
      // the row (it round-trips through .encode("utf-8", "surrogateescape")).
      const std::string_view text = column.string_at(row);
      return steal(PyUnicode_DecodeUTF8(text.data(), static_cast<Py_ssize_t>(text.size()),
                                        "surrogateescape"));
    }
    case VectorType::kDate: {
      const Civil date = civil_from_days(floor_div(column.int64_at(row), kMicrosPerDay));
      require_python_year(date, column, row, name);
      return steal(PyDate_FromDate(static_cast<int>(date.year), date.month, date.day));
    }
    case VectorType::kDateTime:
    case VectorType::kTimestamp: {
      const Fields f = fields_of(column.int64_at(row));
      require_python_year(f.date, column, row, name);
      return steal(PyDateTime_FromDateAndTime(static_cast<int>(f.date.year), f.date.month,
                                              f.date.day, f.hour, f.minute, f.second, f.micro));
    }
    case VectorType::kTimestampTz: {
      const std::int32_t offset = column.offset_seconds_at(row);
      const std::int64_t local = column.int64_at(row) + std::int64_t{offset} * kMicrosPerSecond;
      const Fields f = fields_of(local);
      require_python_year(f.date, column, row, name);
      py::object tz = zone_object(offset, column.zone_at(row).value_or(std::string_view{}));
      return steal(PyDateTimeAPI->DateTime_FromDateAndTime(
          static_cast<int>(f.date.year), f.date.month, f.date.day, f.hour, f.minute, f.second,
          f.micro, tz.ptr(), PyDateTimeAPI->DateTimeType));
    }
    case VectorType::kDecimal128: {
      const e6data::Decimal128 value = column.decimal_at(row);
      // Decimals are immutable, and results repeat values (prices, amounts): a small
      // direct-mapped cache of the objects made saves most of Decimal's parsing.
      DecimalCacheEntry& slot = decimal_cache_slot(value);
      if (slot.object && slot.value == value) return slot.object;
      // Decimal("123.45") keeps the exponent -2, so the column's scale survives; a negative
      // scale is written as an exponent ("5E+2"), which Decimal keeps too.
      std::string text = value.scale >= 0
                             ? value.to_string()
                             : int128_text(value.unscaled) + "E+" + std::to_string(-value.scale);
      slot.value = value;
      slot.object = types().decimal(py::str(text));
      return slot.object;
    }
    case VectorType::kNull:
    case VectorType::kInt96:
      return py::none();
  }
  return py::none();
}

py::list rows_to_python(const e6data::Batch& batch, std::int64_t begin, std::int64_t end,
                        const std::vector<std::string>& names) {
  const std::int64_t count = end > begin ? end - begin : 0;
  const auto columns = static_cast<Py_ssize_t>(batch.num_columns());
  py::list rows(count);
  for (std::int64_t i = 0; i < count; ++i) {
    PyObject* tuple = PyTuple_New(columns);
    if (tuple == nullptr) throw py::error_already_set();
    PyList_SET_ITEM(rows.ptr(), static_cast<Py_ssize_t>(i), tuple);  // the list owns it now
  }
  static const std::string kUnnamed;
  // Column by column: one type dispatch per cell, but each column's storage is read in order.
  for (Py_ssize_t c = 0; c < columns; ++c) {
    const e6data::ColumnView column = batch.column(static_cast<std::size_t>(c));
    const std::string& name =
        static_cast<std::size_t>(c) < names.size() ? names[static_cast<std::size_t>(c)] : kUnnamed;
    for (std::int64_t i = 0; i < count; ++i) {
      py::object cell = cell_object(column, begin + i, name);
      PyObject* tuple = PyList_GET_ITEM(rows.ptr(), static_cast<Py_ssize_t>(i));
      PyTuple_SET_ITEM(tuple, c, cell.release().ptr());
    }
  }
  // A row of numbers, text, decimals and times can be part of no reference cycle, so the
  // collector need not track it (CPython untracks such tuples itself, but only when a collection
  // visits them: for a million rows that is repeated full passes while they are made).
  for (std::int64_t i = 0; i < count; ++i) {
    PyObject* tuple = PyList_GET_ITEM(rows.ptr(), static_cast<Py_ssize_t>(i));
    bool atomic = true;
    for (Py_ssize_t c = 0; c < columns && atomic; ++c) {
      atomic = PyObject_GC_IsTracked(PyTuple_GET_ITEM(tuple, c)) == 0;
    }
    if (atomic) PyObject_GC_UnTrack(tuple);
  }
  return rows;
}

}  // namespace e6py

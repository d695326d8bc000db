#include "numpy_columns.hpp"

#include <pybind11/numpy.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <set>
#include <span>
#include <utility>

#include "e6data/errors.hpp"
#include "e6data/vector_type.hpp"
#include "python_values.hpp"

namespace py = pybind11;

namespace e6py {
namespace {

constexpr std::int64_t kMicrosPerDay = 86'400'000'000;
// More rows than this are not reserved up front from the server's count (it is only a hint).
constexpr std::int64_t kMostRowsReserved = 1 << 24;

// How a column is stored while it is filled.
enum class Storage { kBool, kInt32, kInt64, kDouble, kMicros, kDays, kObject };

Storage storage_of(e6data::VectorType type) {
  using e6data::VectorType;
  switch (type) {
    case VectorType::kBoolean:
      return Storage::kBool;
    case VectorType::kInteger:
      return Storage::kInt32;
    case VectorType::kLong:
      return Storage::kInt64;
    case VectorType::kDouble:
    case VectorType::kFloat:
      return Storage::kDouble;
    case VectorType::kDateTime:
    case VectorType::kTimestamp:
    case VectorType::kTimestampTz:
      return Storage::kMicros;
    case VectorType::kDate:
      return Storage::kDays;
    default:
      return Storage::kObject;
  }
}

const char* dtype_of(Storage storage) {
  switch (storage) {
    case Storage::kBool:
      return "bool";
    case Storage::kInt32:
      return "int32";
    case Storage::kInt64:
      return "int64";
    case Storage::kDouble:
      return "float64";
    case Storage::kMicros:
      return "datetime64[us]";
    case Storage::kDays:
      return "datetime64[D]";
    case Storage::kObject:
      return "object";
  }
  return "object";
}

std::size_t width_of(Storage storage) {
  switch (storage) {
    case Storage::kBool:
      return 1;
    case Storage::kInt32:
      return 4;
    default:
      return 8;
  }
}

// Hands `bytes` to a new numpy array of `dtype` without copying.
py::array adopt(std::vector<unsigned char>&& bytes, std::size_t width, const char* dtype) {
  const std::size_t count = bytes.size() / width;
  if (count == 0) return py::array(py::dtype(dtype), std::vector<py::ssize_t>{0});
  auto* owned = new std::vector<unsigned char>(std::move(bytes));  // NOLINT: the capsule owns it
  py::capsule owner(owned, [](void* p) { delete static_cast<std::vector<unsigned char>*>(p); });
  return py::array(py::dtype(dtype), std::vector<py::ssize_t>{static_cast<py::ssize_t>(count)},
                   std::vector<py::ssize_t>{static_cast<py::ssize_t>(width)}, owned->data(), owner);
}

}  // namespace

struct NumpyColumns::Column {
  std::string name;
  Storage storage = Storage::kObject;
  std::vector<unsigned char> bytes;  // fixed-width values, in order
  std::vector<unsigned char> nulls;  // one per row: 1 = null
  bool any_null = false;
  // Storage::kObject: owned references, handed to the object array by finish(). A vector, not a
  // Python list: the array is filled from it directly, without a second pass through Python.
  std::vector<PyObject*> objects;

  Column() = default;
  Column(const Column&) = delete;
  Column& operator=(const Column&) = delete;
  ~Column() {
    for (PyObject* object : objects) Py_XDECREF(object);
  }

  template <typename T>
  void copy_values(const e6data::ColumnView& column, std::int64_t begin) {
    const std::span<const T> values = column.values<T>();
    const auto rows = static_cast<std::size_t>(column.size() - begin);
    const std::size_t at = bytes.size();
    bytes.resize(at + rows * sizeof(T));
    auto* out = reinterpret_cast<T*>(bytes.data() + at);  // NOLINT: the vector holds T's bytes
    if (column.is_constant()) {
      std::fill(out, out + rows, values.empty() ? T{} : values[0]);
      return;
    }
    // Defensive: never read past the stored values, whatever their count (rows past it are
    // nulls, zeroed below).
    const auto first = static_cast<std::size_t>(begin);
    const std::size_t stored = values.size() > first ? std::min(rows, values.size() - first) : 0;
    if (stored > 0) std::memcpy(out, values.data() + first, stored * sizeof(T));
    std::fill(out + stored, out + rows, T{});
  }

  // Rows [begin, size) of `column`.
  void append(const e6data::ColumnView& column, std::int64_t begin) {
    const std::int64_t rows = column.size() - begin;
    const std::size_t first = nulls.size();
    nulls.resize(first + static_cast<std::size_t>(rows));
    if (column.type() == e6data::VectorType::kNull) {  // every row null, no values stored
      any_null = true;
      if (storage == Storage::kObject) {
        for (std::int64_t r = 0; r < rows; ++r) objects.push_back(py::none().release().ptr());
        return;
      }
      std::fill(nulls.begin() + static_cast<std::ptrdiff_t>(first), nulls.end(), 1);
      bytes.resize(bytes.size() + static_cast<std::size_t>(rows) * width_of(storage), 0);
      return;
    }
    if (storage == Storage::kObject) {
      for (std::int64_t r = 0; r < rows; ++r) {
        objects.push_back(cell_object(column, begin + r, name).release().ptr());
      }
      return;
    }
    const std::size_t at = bytes.size();
    switch (storage) {
      case Storage::kBool: {
        const std::span<const bool> values = column.values<bool>();
        bytes.resize(at + static_cast<std::size_t>(rows));
        unsigned char* out = bytes.data() + at;
        for (std::int64_t r = 0; r < rows; ++r) {
          const auto at_row = static_cast<std::size_t>(begin + r);
          const bool v = column.is_constant() ? (!values.empty() && values[0])
                                              : (at_row < values.size() && values[at_row]);
          out[r] = v ? 1 : 0;
        }
        break;
      }
      case Storage::kInt32:
        copy_values<std::int32_t>(column, begin);
        break;
      case Storage::kInt64:
      case Storage::kMicros:
      case Storage::kDays:
        copy_values<std::int64_t>(column, begin);
        break;
      case Storage::kDouble:
        copy_values<double>(column, begin);
        break;
      case Storage::kObject:
        break;
    }
    const std::size_t width = width_of(storage);
    if (storage == Storage::kDays) {
      auto* days = reinterpret_cast<std::int64_t*>(bytes.data() + at);  // NOLINT: as above
      for (std::int64_t r = 0; r < rows; ++r) days[r] = floor_div(days[r], kMicrosPerDay);
    }
    if (column.null_count() > 0) {
      for (std::int64_t r = 0; r < rows; ++r) {
        if (!column.is_null(begin + r)) continue;
        any_null = true;
        nulls[first + static_cast<std::size_t>(r)] = 1;
        // The storage under a null is unspecified: make it zero so arrays are deterministic.
        std::memset(bytes.data() + at + static_cast<std::size_t>(r) * width, 0, width);
      }
    }
  }

  py::object finish() {
    if (storage == Storage::kObject) {
      // numpy zero-fills a new object array (a NULL slot reads as None): the references are
      // moved into it as they are.
      py::array out(py::dtype("O"),
                    std::vector<py::ssize_t>{static_cast<py::ssize_t>(objects.size())});
      auto** slots = static_cast<PyObject**>(out.mutable_data());
      for (std::size_t i = 0; i < objects.size(); ++i) {
        Py_XDECREF(slots[i]);  // NULL when numpy zero-filled it, None if it ever fills
        slots[i] = objects[i];
      }
      objects.clear();
      return out;
    }
    py::array data = adopt(std::move(bytes), width_of(storage), dtype_of(storage));
    if (!any_null) return data;
    py::array mask = adopt(std::move(nulls), 1, "bool");
    return py::module_::import("numpy.ma").attr("MaskedArray")(data, py::arg("mask") = mask);
  }
};

NumpyColumns::NumpyColumns(const std::vector<e6data::ColumnInfo>& columns,
                           std::int64_t expected_rows) {
  std::set<std::string> taken;
  for (const e6data::ColumnInfo& info : columns) {
    auto column = std::make_unique<Column>();
    std::string name = info.name;
    for (int n = 2; taken.count(name) != 0; ++n) name = info.name + "_" + std::to_string(n);
    taken.insert(name);
    column->name = name;
    const auto type = e6data::vector_type_from_name(info.type);
    column->storage = type ? storage_of(*type) : Storage::kObject;
    if (expected_rows > 0 && expected_rows <= kMostRowsReserved) {
      if (column->storage != Storage::kObject) {
        column->bytes.reserve(static_cast<std::size_t>(expected_rows) * width_of(column->storage));
      } else {
        column->objects.reserve(static_cast<std::size_t>(expected_rows));
      }
      column->nulls.reserve(static_cast<std::size_t>(expected_rows));
    }
    columns_.push_back(std::move(column));
  }
}

NumpyColumns::~NumpyColumns() = default;

void NumpyColumns::append(const e6data::Batch& batch, std::int64_t begin) {
  if (batch.num_columns() != columns_.size()) {
    throw e6data::UsageError("a result batch has " + std::to_string(batch.num_columns()) +
                             " columns but the result metadata declared " +
                             std::to_string(columns_.size()));
  }
  for (std::size_t c = 0; c < columns_.size(); ++c) {
    Column& column = *columns_[c];
    const e6data::ColumnView view = batch.column(c);
    // A batch whose vector type differs from the description (a NULL-only batch of a LONG
    // column) is stored as the description says, except that values must be readable as such.
    const Storage storage = storage_of(view.type());
    if (view.type() != e6data::VectorType::kNull && storage != column.storage) {
      throw e6data::UsageError("column '" + column.name + "' is " +
                               std::string(e6data::to_string(view.type())) +
                               " in a batch but another type in the result metadata");
    }
    column.append(view, begin);
  }
}

py::dict NumpyColumns::finish() {
  py::dict out;
  for (const auto& column : columns_) out[py::str(column->name)] = column->finish();
  return out;
}

}  // namespace e6py

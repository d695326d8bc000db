#pragma once
/// \file
/// \brief Storage behind ColumnView and Batch. Not API: use ColumnView; this layout may change in
/// any release.

#include <cstdint>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "e6data/values.hpp"
#include "e6data/vector_type.hpp"

namespace e6data::wire {
class TimeZone;  // internal: a loaded tz database zone
}

namespace e6data::detail {

/// \brief A fixed-size array of bool. (std::vector<bool> is bit-packed and cannot give a
/// std::span<const bool>.)
class BoolArray {
 public:
  BoolArray() = default;
  explicit BoolArray(std::size_t size) : data_(new bool[size]()), size_(size), capacity_(size) {}
  /// Uninitialised storage for `size` values that the caller fills at once.
  struct Uninitialized {};
  BoolArray(std::size_t size, Uninitialized)
      : data_(new bool[size]), size_(size), capacity_(size) {}
  BoolArray(BoolArray&&) noexcept = default;
  BoolArray& operator=(BoolArray&&) noexcept = default;
  BoolArray(const BoolArray& other) : BoolArray(other.size_) {
    for (std::size_t i = 0; i < size_; ++i) data_[i] = other.data_[i];
  }
  BoolArray& operator=(const BoolArray& other) {
    if (this != &other) *this = BoolArray(other);
    return *this;
  }

  const bool* data() const noexcept { return data_.get(); }
  bool* data() noexcept { return data_.get(); }
  std::size_t size() const noexcept { return size_; }
  bool empty() const noexcept { return size_ == 0; }
  bool operator[](std::size_t i) const noexcept { return data_[i]; }
  bool& operator[](std::size_t i) noexcept { return data_[i]; }
  void push_back(bool value) {
    if (size_ == capacity_) {
      BoolArray grown(capacity_ == 0 ? 16 : capacity_ * 2);
      for (std::size_t i = 0; i < size_; ++i) grown.data_[i] = data_[i];
      grown.size_ = size_;
      *this = std::move(grown);
    }
    data_[size_++] = value;
  }
  /// Grows (false-filled) or shrinks to `size`.
  void resize(std::size_t size) {
    while (size_ < size) push_back(false);
    size_ = size;
  }

 private:
  std::unique_ptr<bool[]> data_;
  std::size_t size_ = 0;
  std::size_t capacity_ = 0;
};

/// \brief An allocator whose resize() leaves new elements default-initialised (for numbers: not
/// zeroed), so the decoder writes each value once instead of zeroing and then overwriting.
template <typename T>
struct DefaultInitAllocator : std::allocator<T> {
  template <typename U>
  struct rebind {
    using other = DefaultInitAllocator<U>;
  };
  using std::allocator<T>::allocator;
  template <typename U>
  void construct(U* p) noexcept(std::is_nothrow_default_constructible_v<U>) {
    ::new (static_cast<void*>(p)) U;
  }
  template <typename U, typename... Args>
  void construct(U* p, Args&&... args) {
    ::new (static_cast<void*>(p)) U(std::forward<Args>(args)...);
  }
};

/// \brief Storage of fixed-width column values.
template <typename T>
using ValueVector = std::vector<T, DefaultInitAllocator<T>>;

/// \brief A TIMESTAMP_TZ zone as sent, with what formatting needs to find its offset.
struct ZoneEntry {
  std::string name;
  bool fixed = false;  ///< "+HH:MM", "Z", "UTC": offset is `fixed_offset_seconds`
  std::int32_t fixed_offset_seconds = 0;
  std::shared_ptr<const wire::TimeZone> tz;  ///< the tz database zone when !fixed
};

/// \brief One decoded column. Exactly one value store is used, per physical_type_of(type).
///
/// Invariants (established by the decoder and the builder):
/// - `size` rows; a constant column stores one value that applies to every non-null row.
/// - `nulls` is empty only for NULL columns; it has 1 entry (applies to every row) or `size`.
/// - a non-constant column stores exactly `size` values (rows without a wire entry hold 0/empty).
/// - bytes: `offsets` has (number of values + 1) entries into `bytes`.
/// - TIMESTAMP_TZ: `zone_index` parallels the values; -1 = no zone; else an index into `zones`.
struct ColumnData {
  VectorType type = VectorType::kNull;
  std::int64_t size = 0;
  bool constant = false;
  BoolArray nulls;
  BoolArray bools;
  ValueVector<std::int32_t> int32s;
  ValueVector<std::int64_t> int64s;
  ValueVector<double> doubles;
  std::vector<std::uint32_t> offsets;
  std::string bytes;
  ValueVector<int128> decimals;
  std::int32_t decimal_scale = 0;
  std::vector<std::int32_t> zone_index;
  std::vector<ZoneEntry> zones;
  std::string zone_offset;  ///< Vector.zoneOffset as sent (not interpreted)
  std::string format;       ///< Vector.format as sent (not interpreted)
};

/// \brief Storage of one batch.
struct BatchData {
  std::int64_t rows = 0;
  std::vector<ColumnData> columns;
};

}  // namespace e6data::detail

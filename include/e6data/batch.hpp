#pragma once
/// \file
/// \brief Batch: an immutable, columnar block of result rows.

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <memory>

#include "e6data/column.hpp"

namespace e6data {

class Batch;

/// \brief One row of a Batch, read cell by cell.
/// \warning Valid only while a copy of the Batch lives.
class RowView {
 public:
  RowView(const detail::BatchData& data, std::int64_t row) noexcept : data_(&data), row_(row) {}
  /// \brief Number of cells (the batch's column count).
  std::size_t size() const noexcept { return data_->columns.size(); }
  /// \brief Row index within the batch.
  std::int64_t index() const noexcept { return row_; }
  /// \brief Cell `column` as a Value. \throws UsageError if `column` is out of range.
  Value operator[](std::size_t column) const;
  /// \brief Display text of cell `column`. \throws UsageError if out of range.
  std::string to_string(std::size_t column) const;

 private:
  const detail::BatchData* data_;
  std::int64_t row_;
};

/// \brief An immutable block of rows stored by column.
///
/// Cheap to copy (shares its storage); every copy keeps the storage alive, and the views it hands
/// out are valid as long as one copy lives. Thread safety: any number of threads may read one
/// Batch (or copies of it) at once.
class Batch {
 public:
  /// \brief An empty batch: no rows, no columns (end of results).
  Batch();
  /// \brief Takes ownership of decoded storage (used by the decoder and builders).
  explicit Batch(std::shared_ptr<const detail::BatchData> data) noexcept;

  /// \brief Number of rows; 0 means the result set is exhausted.
  std::int64_t num_rows() const noexcept { return data_->rows; }
  /// \brief Number of columns.
  std::size_t num_columns() const noexcept { return data_->columns.size(); }
  /// \brief True when this batch marks the end of results (no rows).
  bool is_end_of_results() const noexcept { return data_->rows == 0; }

  /// \brief Column `i`. \throws UsageError if `i` is out of range.
  ColumnView column(std::size_t i) const;
  /// \brief Row `i`. \throws UsageError if `i` is out of range.
  RowView row(std::int64_t i) const;

  /// \brief Iterates the rows in order: `for (RowView row : batch.rows())`.
  class RowRange {
   public:
    class iterator {
     public:
      using iterator_category = std::forward_iterator_tag;
      using value_type = RowView;
      using difference_type = std::ptrdiff_t;
      iterator() = default;
      iterator(const detail::BatchData* data, std::int64_t row) : data_(data), row_(row) {}
      RowView operator*() const { return RowView(*data_, row_); }
      iterator& operator++() {
        ++row_;
        return *this;
      }
      iterator operator++(int) {
        iterator old = *this;
        ++row_;
        return old;
      }
      friend bool operator==(const iterator& a, const iterator& b) { return a.row_ == b.row_; }

     private:
      const detail::BatchData* data_ = nullptr;
      std::int64_t row_ = 0;
    };
    explicit RowRange(const detail::BatchData* data) : data_(data) {}
    iterator begin() const { return {data_, 0}; }
    iterator end() const { return {data_, data_->rows}; }

   private:
    const detail::BatchData* data_;
  };
  RowRange rows() const noexcept { return RowRange(data_.get()); }

  /// \brief The storage (for the encoder and tests). Not API.
  const detail::BatchData& storage() const noexcept { return *data_; }

 private:
  std::shared_ptr<const detail::BatchData> data_;
};

}  // namespace e6data

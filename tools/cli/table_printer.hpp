#pragma once
// Prints rows of text cells as an aligned, human-readable table.

#include <cstddef>
#include <ostream>
#include <string>
#include <vector>

namespace e6data::cli {

class TablePrinter {
 public:
  explicit TablePrinter(std::vector<std::string> headers) : headers_(std::move(headers)) {}
  void add_row(std::vector<std::string> cells) { rows_.push_back(std::move(cells)); }
  // Cells wider than `max_cell_width` characters are cut with "..." (the JSON form is complete).
  void print(std::ostream& out, std::size_t max_cell_width = 60) const;

 private:
  std::vector<std::string> headers_;
  std::vector<std::vector<std::string>> rows_;
};

}  // namespace e6data::cli

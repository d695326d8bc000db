#include "table_printer.hpp"

#include <algorithm>

namespace e6data::cli {
namespace {

// Display width in code points (UTF-8 continuation bytes do not advance the cursor).
std::size_t display_width(const std::string& s) {
  return static_cast<std::size_t>(std::count_if(
      s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

std::string fit(const std::string& s, std::size_t max_width) {
  if (display_width(s) <= max_width) return s;
  std::string out;
  std::size_t width = 0;
  for (char c : s) {
    const bool starts_char = (static_cast<unsigned char>(c) & 0xC0) != 0x80;
    if (starts_char && ++width > max_width - 3) break;
    out += c;
  }
  return out + "...";
}

// Control characters would break the layout of a terminal table.
std::string printable(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      out += c == '\n' ? "\\n" : c == '\t' ? "\\t" : "?";
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace

void TablePrinter::print(std::ostream& out, std::size_t max_cell_width) const {
  std::vector<std::vector<std::string>> cells;
  cells.reserve(rows_.size() + 1);
  cells.push_back(headers_);
  for (const auto& row : rows_) cells.push_back(row);
  std::vector<std::size_t> widths(headers_.size(), 0);
  for (auto& row : cells) {
    row.resize(headers_.size());
    for (std::size_t c = 0; c < row.size(); ++c) {
      row[c] = fit(printable(row[c]), max_cell_width);
      widths[c] = std::max(widths[c], display_width(row[c]));
    }
  }
  auto print_row = [&](const std::vector<std::string>& row) {
    for (std::size_t c = 0; c < row.size(); ++c) {
      if (c > 0) out << " | ";
      out << row[c];
      if (c + 1 < row.size()) out << std::string(widths[c] - display_width(row[c]), ' ');
    }
    out << '\n';
  };
  print_row(cells[0]);
  for (std::size_t c = 0; c < widths.size(); ++c) {
    if (c > 0) out << "-+-";
    out << std::string(widths[c], '-');
  }
  out << '\n';
  for (std::size_t r = 1; r < cells.size(); ++r) print_row(cells[r]);
}

}  // namespace e6data::cli

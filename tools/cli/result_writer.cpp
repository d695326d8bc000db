#include "result_writer.hpp"

#include <algorithm>
#include <cstdint>

namespace e6data::cli {
namespace {

using Kind = Cell::Kind;

// Display width in code points: UTF-8 continuation bytes do not advance the cursor.
std::size_t display_width(std::string_view s) {
  return static_cast<std::size_t>(std::count_if(
      s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

// Control characters would break a terminal layout: show them as escapes.
std::string printable(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else if (u < 0x20 || u == 0x7f) {
      static constexpr char kHex[] = "0123456789abcdef";
      out += "\\x";
      out += kHex[u >> 4];
      out += kHex[u & 0xF];
    } else {
      out += c;
    }
  }
  return out;
}

// Length of the valid UTF-8 sequence at s[i], or 0 when the bytes there are not one.
std::size_t utf8_sequence_length(std::string_view s, std::size_t i) {
  const auto b0 = static_cast<unsigned char>(s[i]);
  if (b0 < 0x80) return 1;
  std::size_t len = 0;
  std::uint32_t min = 0;
  std::uint32_t cp = 0;
  if ((b0 & 0xE0) == 0xC0) {
    len = 2, min = 0x80, cp = b0 & 0x1Fu;
  } else if ((b0 & 0xF0) == 0xE0) {
    len = 3, min = 0x800, cp = b0 & 0x0Fu;
  } else if ((b0 & 0xF8) == 0xF0) {
    len = 4, min = 0x10000, cp = b0 & 0x07u;
  } else {
    return 0;
  }
  if (i + len > s.size()) return 0;
  for (std::size_t k = 1; k < len; ++k) {
    const auto b = static_cast<unsigned char>(s[i + k]);
    if ((b & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (b & 0x3Fu);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return len;
}

bool is_numeric_type(std::string_view type) {
  for (std::string_view t : {"INTEGER", "INT", "LONG", "SHORT", "BYTE", "DOUBLE", "FLOAT"}) {
    if (type == t) return true;
  }
  return type.rfind("DECIMAL", 0) == 0;
}

const std::string& null_or(const WriterOptions& options, const std::string& fallback) {
  return options.null_text ? *options.null_text : fallback;
}

// RFC 4180: fields with a comma, quote, CR or LF are quoted, quotes doubled; records end CRLF.
class CsvWriter final : public ResultWriter {
 public:
  CsvWriter(const WriterOptions& options, std::ostream& out) : options_(options), out_(out) {}
  void begin(const std::vector<ColumnInfo>& columns) override {
    for (std::size_t c = 0; c < columns.size(); ++c) {
      if (c > 0) out_ << ',';
      field(columns[c].name, false);
    }
    out_ << "\r\n";
  }
  void row(const std::vector<Cell>& cells) override {
    for (std::size_t c = 0; c < cells.size(); ++c) {
      if (c > 0) out_ << ',';
      if (cells[c].kind == Kind::kNull) {
        out_ << null_or(options_, kEmpty);  // unquoted: tells NULL from "" (an empty string)
      } else {
        field(cells[c].text, true);
      }
    }
    out_ << "\r\n";
  }
  void end() override { out_.flush(); }

 private:
  void field(const std::string& text, bool quote_empty) {
    const bool quote = (quote_empty && text.empty()) ||
                       text.find_first_of(",\"\r\n") != std::string::npos ||
                       (options_.null_text && text == *options_.null_text);
    if (!quote) {
      out_ << text;
      return;
    }
    out_ << '"';
    for (char c : text) {
      if (c == '"') out_ << '"';
      out_ << c;
    }
    out_ << '"';
  }
  inline static const std::string kEmpty;
  WriterOptions options_;
  std::ostream& out_;
};

// Tab-separated values as ClickHouse's TabSeparated and PostgreSQL's text COPY write them:
// tab, newline, carriage return and backslash escaped, NULL as \N.
class TsvWriter final : public ResultWriter {
 public:
  TsvWriter(const WriterOptions& options, std::ostream& out) : options_(options), out_(out) {}
  void begin(const std::vector<ColumnInfo>& columns) override {
    for (std::size_t c = 0; c < columns.size(); ++c) {
      if (c > 0) out_ << '\t';
      escaped(columns[c].name);
    }
    out_ << '\n';
  }
  void row(const std::vector<Cell>& cells) override {
    for (std::size_t c = 0; c < cells.size(); ++c) {
      if (c > 0) out_ << '\t';
      if (cells[c].kind == Kind::kNull) {
        out_ << null_or(options_, kNull);
      } else {
        escaped(cells[c].text);
      }
    }
    out_ << '\n';
  }
  void end() override { out_.flush(); }

 private:
  void escaped(const std::string& text) {
    for (char c : text) {
      switch (c) {
        case '\t':
          out_ << "\\t";
          break;
        case '\n':
          out_ << "\\n";
          break;
        case '\r':
          out_ << "\\r";
          break;
        case '\\':
          out_ << "\\\\";
          break;
        default:
          out_ << c;
      }
    }
  }
  inline static const std::string kNull = "\\N";
  WriterOptions options_;
  std::ostream& out_;
};

// json: one array of objects per result; jsonl: one object per line.
class JsonWriter final : public ResultWriter {
 public:
  JsonWriter(bool lines, std::ostream& out) : lines_(lines), out_(out) {}
  void begin(const std::vector<ColumnInfo>& columns) override {
    names_.clear();
    for (const auto& c : columns) names_.push_back(c.name);
    rows_ = 0;
    if (!lines_) out_ << '[';
  }
  void row(const std::vector<Cell>& cells) override {
    if (!lines_) out_ << (rows_ == 0 ? "\n" : ",\n");
    out_ << '{';
    for (std::size_t c = 0; c < cells.size(); ++c) {
      if (c > 0) out_ << ',';
      write_json_string(out_, c < names_.size() ? names_[c] : std::string());
      out_ << ':';
      switch (cells[c].kind) {
        case Kind::kNull:
          out_ << "null";
          break;
        case Kind::kNumber:
        case Kind::kBool:
          out_ << cells[c].text;
          break;
        case Kind::kString:
          write_json_string(out_, cells[c].text);
          break;
      }
    }
    out_ << '}';
    if (lines_) out_ << '\n';
    ++rows_;
  }
  void end() override {
    if (!lines_) out_ << (rows_ == 0 ? "]\n" : "\n]\n");
    out_.flush();
  }

 private:
  bool lines_;
  std::ostream& out_;
  std::vector<std::string> names_;
  std::int64_t rows_ = 0;
};

// The layouts that need every row first: an aligned table (psql's), vertical records (psql's
// \x) and a GitHub-flavoured Markdown table.
class BufferedWriter final : public ResultWriter {
 public:
  BufferedWriter(const WriterOptions& options, std::ostream& out) : options_(options), out_(out) {}
  void begin(const std::vector<ColumnInfo>& columns) override {
    headers_.clear();
    for (const auto& c : columns) headers_.push_back(shown(c.name));
    rows_.clear();
    numeric_.clear();
    for (const auto& c : columns) numeric_.push_back(is_numeric_type(c.type));
  }
  void row(const std::vector<Cell>& cells) override {
    std::vector<std::string> texts;
    texts.reserve(cells.size());
    for (std::size_t c = 0; c < cells.size(); ++c) {
      const Cell& cell = cells[c];
      if (cell.kind == Kind::kNull) {
        texts.push_back(shown(null_or(options_, kNull)));
      } else {
        texts.push_back(shown(cell.text));
      }
    }
    rows_.push_back(std::move(texts));
  }
  void end() override {
    switch (options_.format) {
      case OutputFormat::kVertical:
        vertical();
        break;
      case OutputFormat::kMarkdown:
        markdown();
        break;
      default:
        table();
    }
    out_.flush();
  }

 private:
  std::string shown(std::string_view text) const {
    if (options_.format != OutputFormat::kMarkdown) return printable(text);
    std::string out;
    for (char c : printable(text)) {
      if (c == '|') out += '\\';
      out += c;
    }
    return out;
  }
  std::vector<std::size_t> widths(std::size_t minimum) const {
    std::vector<std::size_t> w(headers_.size(), minimum);
    for (std::size_t c = 0; c < headers_.size(); ++c)
      w[c] = std::max(w[c], display_width(headers_[c]));
    for (const auto& r : rows_) {
      for (std::size_t c = 0; c < r.size() && c < w.size(); ++c) {
        w[c] = std::max(w[c], display_width(r[c]));
      }
    }
    return w;
  }
  void padded(const std::string& text, std::size_t width, bool right) {
    const std::string pad(width - display_width(text), ' ');
    if (right) out_ << pad;
    out_ << text;
    if (!right) out_ << pad;
  }
  void table() {
    const auto w = widths(0);
    // Numbers (and their headers) align right; the last column gets no trailing blanks.
    auto cell = [&](const std::string& text, std::size_t c) {
      out_ << (c == 0 ? " " : " | ");
      if (numeric_[c] || c + 1 < w.size()) {
        padded(text, w[c], numeric_[c]);
      } else {
        out_ << text;
      }
    };
    for (std::size_t c = 0; c < headers_.size(); ++c) cell(headers_[c], c);
    out_ << '\n';
    for (std::size_t c = 0; c < headers_.size(); ++c) {
      out_ << (c == 0 ? "-" : "-+-") << std::string(w[c], '-');
    }
    out_ << "-\n";
    for (const auto& r : rows_) {
      for (std::size_t c = 0; c < r.size() && c < w.size(); ++c) cell(r[c], c);
      out_ << '\n';
    }
    out_ << '(' << rows_.size() << (rows_.size() == 1 ? " row)\n" : " rows)\n");
  }
  void vertical() {
    std::size_t name_width = 0;
    for (const auto& h : headers_) name_width = std::max(name_width, display_width(h));
    for (std::size_t r = 0; r < rows_.size(); ++r) {
      out_ << "-[ RECORD " << r + 1 << " ]" << std::string(name_width > 4 ? name_width - 4 : 1, '-')
           << '\n';
      for (std::size_t c = 0; c < headers_.size() && c < rows_[r].size(); ++c) {
        padded(headers_[c], name_width, false);
        out_ << " | " << rows_[r][c] << '\n';
      }
    }
    out_ << '(' << rows_.size() << (rows_.size() == 1 ? " row)\n" : " rows)\n");
  }
  void markdown() {
    const auto w = widths(3);
    for (std::size_t c = 0; c < headers_.size(); ++c) {
      out_ << "| ";
      padded(headers_[c], w[c], false);
      out_ << ' ';
    }
    out_ << "|\n";
    for (std::size_t c = 0; c < headers_.size(); ++c) {
      out_ << "| " << std::string(w[c] - 1, '-') << (numeric_[c] && !rows_.empty() ? ':' : '-')
           << ' ';
    }
    out_ << "|\n";
    for (const auto& r : rows_) {
      for (std::size_t c = 0; c < r.size() && c < w.size(); ++c) {
        out_ << "| ";
        padded(r[c], w[c], numeric_[c]);
        out_ << ' ';
      }
      out_ << "|\n";
    }
  }

  inline static const std::string kNull = "NULL";
  WriterOptions options_;
  std::ostream& out_;
  std::vector<std::string> headers_;
  std::vector<std::vector<std::string>> rows_;
  std::vector<bool> numeric_;  // right-aligned, as numbers are
};

}  // namespace

std::optional<OutputFormat> parse_output_format(std::string_view name) {
  if (name == "table") return OutputFormat::kTable;
  if (name == "vertical") return OutputFormat::kVertical;
  if (name == "csv") return OutputFormat::kCsv;
  if (name == "tsv") return OutputFormat::kTsv;
  if (name == "json") return OutputFormat::kJson;
  if (name == "jsonl") return OutputFormat::kJsonl;
  if (name == "markdown") return OutputFormat::kMarkdown;
  return std::nullopt;
}

const std::vector<std::string>& output_format_names() {
  static const std::vector<std::string> kNames = {"table", "vertical", "csv",     "tsv",
                                                  "json",  "jsonl",    "markdown"};
  return kNames;
}

Cell cell_at(const ColumnView& column, std::int64_t row) {
  if (column.is_null(row)) return {};
  switch (column.type()) {
    case VectorType::kBoolean:
      return {Kind::kBool, column.bool_at(row) ? "true" : "false"};
    case VectorType::kInteger:
    case VectorType::kLong:
      return {Kind::kNumber, column.to_string(row)};
    case VectorType::kDouble:
    case VectorType::kFloat: {
      std::string text = column.to_string(row);
      const bool finite = text != "nan" && text != "inf" && text != "-inf";
      return {finite ? Kind::kNumber : Kind::kString, std::move(text)};
    }
    case VectorType::kNull:
      return {};
    default:
      return {Kind::kString, column.to_string(row)};
  }
}

std::unique_ptr<ResultWriter> make_result_writer(const WriterOptions& options, std::ostream& out) {
  switch (options.format) {
    case OutputFormat::kCsv:
      return std::make_unique<CsvWriter>(options, out);
    case OutputFormat::kTsv:
      return std::make_unique<TsvWriter>(options, out);
    case OutputFormat::kJson:
      return std::make_unique<JsonWriter>(false, out);
    case OutputFormat::kJsonl:
      return std::make_unique<JsonWriter>(true, out);
    default:
      return std::make_unique<BufferedWriter>(options, out);
  }
}

void write_batch(ResultWriter& writer, const Batch& batch) {
  std::vector<ColumnView> columns;
  columns.reserve(batch.num_columns());
  for (std::size_t c = 0; c < batch.num_columns(); ++c) columns.push_back(batch.column(c));
  std::vector<Cell> cells(columns.size());
  for (std::int64_t r = 0; r < batch.num_rows(); ++r) {
    for (std::size_t c = 0; c < columns.size(); ++c) cells[c] = cell_at(columns[c], r);
    writer.row(cells);
  }
}

void write_json_string(std::ostream& out, std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  out << '"';
  std::size_t i = 0;
  while (i < text.size()) {
    const char c = text[i];
    const auto u = static_cast<unsigned char>(c);
    if (u >= 0x80) {
      const std::size_t len = utf8_sequence_length(text, i);
      if (len == 0) {
        out << "\\ufffd";
        ++i;
      } else {
        out << text.substr(i, len);
        i += len;
      }
      continue;
    }
    switch (c) {
      case '"':
        out << "\\\"";
        break;
      case '\\':
        out << "\\\\";
        break;
      case '\n':
        out << "\\n";
        break;
      case '\r':
        out << "\\r";
        break;
      case '\t':
        out << "\\t";
        break;
      default:
        if (u < 0x20 || u == 0x7f) {
          out << "\\u00" << kHex[u >> 4] << kHex[u & 0xF];
        } else {
          out << c;
        }
    }
    ++i;
  }
  out << '"';
}

}  // namespace e6data::cli

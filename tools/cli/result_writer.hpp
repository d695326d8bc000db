#pragma once
// Writes query results in the formats of `e6data-cli query --format`: table, vertical, csv,
// tsv, json, jsonl, markdown. Values are the connector's own text (ColumnView::to_string); the
// formats differ only in layout, quoting and how NULL is shown (docs/cli.md, "Output formats").

#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "e6data/batch.hpp"
#include "e6data/schema.hpp"

namespace e6data::cli {

enum class OutputFormat { kTable, kVertical, kCsv, kTsv, kJson, kJsonl, kMarkdown };

// The format named `name` ("table", "csv", ...), or nullopt.
std::optional<OutputFormat> parse_output_format(std::string_view name);
// The names parse_output_format accepts, for --help.
const std::vector<std::string>& output_format_names();

// One cell: the library's text of the value and how JSON should type it.
struct Cell {
  enum class Kind {
    kNull,    // SQL NULL
    kString,  // JSON string (text, dates, timestamps, decimals, binary as hex)
    kNumber,  // JSON number: integers, finite doubles
    kBool,    // JSON true/false
  };
  Kind kind = Kind::kNull;
  std::string text;  // the connector's rendering; empty for NULL

  friend bool operator==(const Cell&, const Cell&) = default;
};

// Cell `row` of `column`. Decimals are JSON strings, so they stay exact whatever reads them;
// NaN and infinities are strings ("nan", "inf", "-inf") because JSON has no such numbers.
Cell cell_at(const ColumnView& column, std::int64_t row);

struct WriterOptions {
  OutputFormat format = OutputFormat::kTable;
  // Replaces the default NULL text of every format (table/vertical/markdown: NULL; csv: an empty
  // unquoted field, "" being the empty string; tsv: \N). JSON always writes null.
  std::optional<std::string> null_text;
};

// Receives one result: begin() once, row() per row, end() once. Streaming formats (csv, tsv,
// json, jsonl) write each row at once; table, vertical and markdown need every row for the
// column widths, and write at end().
class ResultWriter {
 public:
  virtual ~ResultWriter() = default;
  virtual void begin(const std::vector<ColumnInfo>& columns) = 0;
  virtual void row(const std::vector<Cell>& cells) = 0;
  virtual void end() = 0;
};

std::unique_ptr<ResultWriter> make_result_writer(const WriterOptions& options, std::ostream& out);

// Writes every row of `batch` to `writer`.
void write_batch(ResultWriter& writer, const Batch& batch);

// Writes `text` as a JSON string literal (with quotes); invalid UTF-8 bytes become U+FFFD.
void write_json_string(std::ostream& out, std::string_view text);

}  // namespace e6data::cli

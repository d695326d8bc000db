#include "decode_command.hpp"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <memory>
#include <optional>
#include <sstream>
#include <string>

#include "e6data/decode.hpp"
#include "table_printer.hpp"
#include "wire/canonical_json.hpp"

namespace e6data::cli {
namespace {

struct DecodeArgs {
  std::string file;
  bool json = false;
  bool metadata = false;
  std::optional<std::size_t> expect_columns;
};

// Reads the whole file ("-" is standard input). Throws std::runtime_error naming the file.
std::string read_payload(const std::string& path) {
  if (path == "-") {
    std::ostringstream buffer;
    buffer << std::cin.rdbuf();
    return buffer.str();
  }
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) throw std::runtime_error("is a directory");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error(std::string("cannot open it: ") + std::strerror(errno));
  std::ostringstream buffer;
  buffer << in.rdbuf();
  if (in.bad()) throw std::runtime_error("cannot read it");
  return buffer.str();
}

void print_batch_table(const Batch& batch) {
  std::vector<std::string> headers;
  for (std::size_t c = 0; c < batch.num_columns(); ++c) {
    headers.push_back("#" + std::to_string(c) + " " +
                      std::string(to_string(batch.column(c).type())));
  }
  TablePrinter table(std::move(headers));
  for (const RowView row : batch.rows()) {
    std::vector<std::string> cells;
    for (std::size_t c = 0; c < row.size(); ++c) cells.push_back(row.to_string(c));
    table.add_row(std::move(cells));
  }
  table.print(std::cout);
  std::cout << "(" << batch.num_rows() << (batch.num_rows() == 1 ? " row" : " rows")
            << (batch.is_end_of_results() ? ": end of results" : "") << ")\n";
}

void print_schema_table(const ResultSchema& schema) {
  TablePrinter table({"name", "type", "zone", "format"});
  for (const auto& f : schema.columns) table.add_row({f.name, f.type, f.zone, f.format});
  table.print(std::cout);
  std::cout << "(row count " << schema.row_count << ", " << schema.columns.size() << " fields)\n";
}

// When a payload fails to decode as what the user said it is, but decodes as the other kind,
// the mistake is the flag, and the message says so.
std::string hint_for(const std::string& payload, bool given_as_metadata) {
  try {
    if (given_as_metadata) {
      const Batch batch = decode_result_batch(payload);
      if (batch.num_columns() == 0) return {};
      return "; it decodes as a result batch of " + std::to_string(batch.num_columns()) +
             " columns: drop --metadata";
    }
    const ResultSchema schema = decode_result_metadata(payload);
    if (schema.columns.empty()) return {};
    return "; it decodes as result metadata of " + std::to_string(schema.columns.size()) +
           " fields: add --metadata";
  } catch (const std::exception&) {
    return {};
  }
}

int run_decode(const DecodeArgs& args) {
  std::string payload;
  try {
    payload = read_payload(args.file);
  } catch (const std::exception& e) {
    if (args.json) {
      std::cout << nlohmann::ordered_json{{"error", e.what()}}.dump() << '\n';
    } else {
      std::cerr << "e6data-cli decode: " << args.file << ": " << e.what() << '\n';
    }
    return 1;
  }
  try {
    if (args.metadata) {
      const ResultSchema schema = decode_result_metadata(payload);
      if (args.json) {
        std::cout << wire::schema_to_json(schema).dump() << '\n';
      } else {
        print_schema_table(schema);
      }
    } else {
      const Batch batch = decode_result_batch(payload, {.expected_columns = args.expect_columns});
      if (args.json) {
        std::cout << wire::batch_to_json(batch).dump() << '\n';
      } else {
        print_batch_table(batch);
      }
    }
    return 0;
  } catch (const std::exception& e) {
    const std::string message = e.what() + hint_for(payload, args.metadata);
    if (args.json) {
      std::cout << nlohmann::ordered_json{{"error", message}}.dump() << '\n';
    } else {
      std::cerr << "e6data-cli decode: " << args.file << ": " << message << '\n';
    }
    return 1;
  }
}

}  // namespace

void add_decode_command(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<DecodeArgs>();
  CLI::App* cmd = app.add_subcommand(
      "decode",
      "Decode a captured result batch (Thrift Chunk) or, with --metadata, result metadata");
  cmd->add_option("file", args->file, "Payload file, as received; - reads standard input")
      ->required();
  cmd->add_flag("--json", args->json,
                "Print the canonical JSON form ({\"rows\", \"columns\"} or {\"row_count\", "
                "\"fields\"}); errors as {\"error\": ...}");
  cmd->add_flag("--metadata", args->metadata, "The file is result metadata, not a result batch");
  cmd->add_option("--expect-columns", args->expect_columns,
                  "Check the batch against result metadata of N columns")
      ->check(CLI::NonNegativeNumber);
  cmd->footer(R"(Exit status: 0 decoded, 1 the payload is malformed or unreadable, 2 usage errors.

Examples:
  e6data-cli decode batch.bin
  e6data-cli decode --json batch.bin
  e6data-cli decode --metadata --json metadata.bin
  e6data-cli decode --expect-columns 3 - < batch.bin)");
  cmd->callback([args, &exit_code] { exit_code = run_decode(*args); });
}

}  // namespace e6data::cli

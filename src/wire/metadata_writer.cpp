#include "wire/metadata_writer.hpp"

#include <cstdint>
#include <limits>
#include <stdexcept>

#include "wire/modified_utf8.hpp"
#include "wire/thrift_binary_writer.hpp"

namespace e6data::wire {
namespace {

void write_string(std::string& out, const std::string& text, const char* what) {
  const std::string encoded = utf8_to_modified_utf8(text);
  if (encoded.size() > std::numeric_limits<std::uint16_t>::max()) {
    throw std::invalid_argument(std::string("metadata ") + what + " is " +
                                std::to_string(encoded.size()) +
                                " bytes in modified UTF-8; the limit is 65535");
  }
  append_be(out, static_cast<std::uint16_t>(encoded.size()));
  out += encoded;
}

}  // namespace

std::string write_result_metadata(const ResultSchema& schema) {
  if (schema.columns.size() > static_cast<std::size_t>(std::numeric_limits<std::int32_t>::max())) {
    throw std::invalid_argument("too many metadata fields");
  }
  std::string out;
  append_be(out, static_cast<std::uint64_t>(schema.row_count));
  append_be(out, static_cast<std::uint32_t>(schema.columns.size()));
  for (const auto& field : schema.columns) {
    write_string(out, field.name, "field name");
    write_string(out, field.type, "field type");
    write_string(out, field.zone, "field zone");
    write_string(out, field.format, "field format");
  }
  return out;
}

}  // namespace e6data::wire

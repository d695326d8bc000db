#include "wire/metadata_reader.hpp"

#include <cstdint>
#include <string>

#include "e6data/errors.hpp"
#include "wire/modified_utf8.hpp"
#include "wire/thrift_binary_reader.hpp"

namespace e6data::wire {
namespace {

class MetadataCursor {
 public:
  explicit MetadataCursor(std::string_view bytes) : bytes_(bytes) {}

  std::size_t offset() const { return pos_; }
  std::size_t remaining() const { return bytes_.size() - pos_; }

  const std::uint8_t* take(std::size_t n, const char* what) {
    if (remaining() < n) {
      throw DecodeError("metadata ends inside " + std::string(what) + ": needs " +
                            std::to_string(n) + " bytes, " + std::to_string(remaining()) +
                            " remain",
                        pos_);
    }
    const auto* p = reinterpret_cast<const std::uint8_t*>(bytes_.data()) + pos_;
    pos_ += n;
    return p;
  }

  std::string read_string(const char* what) {
    const std::size_t length = ThriftBinaryReader::load_be<std::uint16_t>(take(2, what));
    const std::size_t at = pos_;
    const auto* p = take(length, what);
    return modified_utf8_to_utf8(std::string_view(reinterpret_cast<const char*>(p), length), at);
  }

 private:
  std::string_view bytes_;
  std::size_t pos_ = 0;
};

}  // namespace

ResultSchema read_result_metadata(std::string_view payload) {
  MetadataCursor in(payload);
  ResultSchema schema;
  schema.row_count = static_cast<std::int64_t>(
      ThriftBinaryReader::load_be<std::uint64_t>(in.take(8, "the row count")));
  const std::size_t count_at = in.offset();
  const auto field_count = static_cast<std::int32_t>(
      ThriftBinaryReader::load_be<std::uint32_t>(in.take(4, "the field count")));
  if (field_count < 0) {
    throw DecodeError("negative field count " + std::to_string(field_count), count_at);
  }
  // Each field is at least four 2-byte lengths: refuse a count the input cannot hold before
  // allocating anything for it.
  constexpr std::size_t kMinFieldBytes = 8;
  if (static_cast<std::size_t>(field_count) > in.remaining() / kMinFieldBytes) {
    throw DecodeError("field count " + std::to_string(field_count) + " needs at least " +
                          std::to_string(static_cast<std::size_t>(field_count) * kMinFieldBytes) +
                          " bytes, only " + std::to_string(in.remaining()) + " remain",
                      count_at);
  }
  schema.columns.reserve(static_cast<std::size_t>(field_count));
  for (std::int32_t i = 0; i < field_count; ++i) {
    ColumnInfo field;
    field.name = in.read_string("a field name");
    field.type = in.read_string("a field type");
    field.zone = in.read_string("a field zone");
    field.format = in.read_string("a field format");
    schema.columns.push_back(std::move(field));
  }
  return schema;
}

}  // namespace e6data::wire

// Fuzz target: the result-metadata reader must refuse bad bytes with DecodeError only; what it
// accepts must survive a write/read round trip.
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>

#include "e6data/decode.hpp"
#include "wire/metadata_writer.hpp"
#include "wire/modified_utf8.hpp"

namespace {

// The reader also accepts standard UTF-8 (4-byte sequences, raw 00), which the writer re-encodes
// as modified UTF-8 (6-byte surrogate pairs, C0 80): a field near the 65535-byte limit can grow
// past it, and the writer then refuses it, as documented. Only such inputs skip the round trip.
bool rewrite_exceeds_limit(const std::string& text) {
  return e6data::wire::utf8_to_modified_utf8(text).size() >
         std::numeric_limits<std::uint16_t>::max();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  e6data::ResultSchema schema;
  try {
    schema = e6data::decode_result_metadata(bytes);
  } catch (const e6data::DecodeError&) {
    return 0;
  }
  for (const auto& field : schema.columns) {
    for (const std::string* text : {&field.name, &field.type, &field.zone, &field.format}) {
      if (rewrite_exceeds_limit(*text)) return 0;
    }
  }
  if (e6data::decode_result_metadata(e6data::wire::write_result_metadata(schema)) != schema) {
    __builtin_trap();
  }
  return 0;
}

// Fuzz target: the result-metadata reader must refuse bad bytes with DecodeError only; what it
// accepts must survive a write/read round trip.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "e6data/decode.hpp"
#include "wire/metadata_writer.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  e6data::ResultSchema schema;
  try {
    schema = e6data::decode_result_metadata(bytes);
  } catch (const e6data::DecodeError&) {
    return 0;
  }
  if (e6data::decode_result_metadata(e6data::wire::write_result_metadata(schema)) != schema) {
    __builtin_trap();
  }
  return 0;
}

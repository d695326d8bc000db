#include "e6data/decode.hpp"

#include "wire/chunk_decoder.hpp"
#include "wire/metadata_reader.hpp"

namespace e6data {

Batch decode_result_batch(std::string_view payload, const DecodeOptions& options) {
  return wire::ChunkDecoder({.expected_columns = options.expected_columns}).decode(payload);
}

ResultSchema decode_result_metadata(std::string_view payload) {
  return wire::read_result_metadata(payload);
}

}  // namespace e6data

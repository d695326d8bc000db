// Fuzz target: the result-batch decoder must refuse bad bytes with DecodeError only; anything it
// accepts must read back consistently through every API and survive an encode/decode round trip.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "e6data/decode.hpp"
#include "wire/canonical_json.hpp"
#include "wire/chunk_encoder.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  e6data::Batch batch;
  try {
    batch = e6data::decode_result_batch(bytes);
  } catch (const e6data::DecodeError&) {
    return 0;
  }
  // Constant columns may claim many rows from few bytes: read a bounded number.
  if (batch.num_rows() > 4096) return 0;
  const std::string json = e6data::wire::batch_to_json(batch).dump();
  const std::string again =
      e6data::wire::batch_to_json(e6data::decode_result_batch(e6data::wire::encode_chunk(batch)))
          .dump();
  if (json != again) __builtin_trap();
  for (const e6data::RowView row : batch.rows()) {
    for (std::size_t c = 0; c < row.size(); ++c) (void)row.to_string(c);
  }
  return 0;
}

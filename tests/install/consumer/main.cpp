// Uses only the installed public headers: decodes a LONG column [1, 2, 3] and prints its sum.
#include <e6data/e6data.hpp>
#include <iostream>
#include <string>

int main() {
  static const char kChunk[] =
      "\x08\x00\x01\x00\x00\x00\x03"                  // Chunk.size = 3
      "\x0f\x00\x02\x0c\x00\x00\x00\x01"              // vectors: 1 struct
      "\x08\x00\x01\x00\x00\x00\x03"                  // Vector.size = 3
      "\x08\x00\x02\x00\x00\x00\x06"                  // vectorType = LONG
      "\x0f\x00\x03\x02\x00\x00\x00\x03\x00\x00\x00"  // nullSet = [false x3]
      "\x0c\x00\x04\x0c\x00\x03\x0f\x00\x01\x0a\x00\x00\x00\x03"
      "\x00\x00\x00\x00\x00\x00\x00\x01"
      "\x00\x00\x00\x00\x00\x00\x00\x02"
      "\x00\x00\x00\x00\x00\x00\x00\x03"
      "\x00\x00\x00\x00";  // ends: Int64Data, Data, Vector, Chunk
  const std::string chunk(kChunk, sizeof(kChunk) - 1);
  const e6data::Batch batch = e6data::decode_result_batch(chunk);
  std::int64_t sum = 0;
  for (const std::int64_t v : batch.column(0).values<std::int64_t>()) sum += v;
  std::cout << "sum=" << sum << '\n';
  return sum == 6 ? 0 : 1;
}

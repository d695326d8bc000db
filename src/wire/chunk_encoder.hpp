#pragma once
// Encoder of result batches: a Batch into one Thrift binary `Chunk` (PROTOCOL.md §5.2), the
// inverse of ChunkDecoder. The dev server streams its results with it.

#include <string>

#include "e6data/batch.hpp"

namespace e6data::wire {

// Every vector carries a full null set; values sit in the data member that PROTOCOL.md §5.2
// assigns to the vector type (constant members for constant columns); null rows hold
// placeholders (0 or empty). A batch without columns or rows encodes as Chunk{size: 0}.
std::string encode_chunk(const Batch& batch);

// Appends the encoding to `out` (reuse one buffer across batches).
void append_chunk(std::string& out, const Batch& batch);

}  // namespace e6data::wire

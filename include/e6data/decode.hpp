#pragma once
/// \file
/// \brief Decoding of captured payloads: result batches and result metadata.
///
/// The connector calls these for every response; they are public so that tools and operators
/// can decode payloads captured from a cluster.

#include <cstddef>
#include <optional>
#include <string_view>

#include "e6data/batch.hpp"
#include "e6data/schema.hpp"

namespace e6data {

/// \brief Options of decode_result_batch().
struct DecodeOptions {
  /// The number of columns the result metadata declared; when set, a batch with rows must carry
  /// exactly that many vectors.
  std::optional<std::size_t> expected_columns;
};

/// \brief Decodes one `GetNextResultBatchResponse.resultBatch` (a Thrift binary `Chunk`).
/// An empty payload, or a chunk of size 0, gives a batch with `is_end_of_results()`.
/// \param payload the bytes as received; not retained
/// \return the decoded batch; it owns copies of everything it needs
/// \throws DecodeError naming what was expected at which byte offset; nothing is returned
/// partially, and no allocation is made in proportion to a length the bytes do not back.
Batch decode_result_batch(std::string_view payload, const DecodeOptions& options = {});

/// \brief Decodes one `GetResultMetadataResponse.resultMetaData` (Java DataOutputStream layout,
/// strings in Java modified UTF-8, returned as UTF-8).
/// \throws DecodeError naming what was expected at which byte offset.
ResultSchema decode_result_metadata(std::string_view payload);

}  // namespace e6data

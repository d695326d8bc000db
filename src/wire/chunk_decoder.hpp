#pragma once
// Decoder of result batches: one Thrift binary `Chunk` (PROTOCOL.md §5.2) into a Batch.
//
// Two passes: the Thrift structure is read into staging (fields may arrive in any order, so a
// Vector can only be checked once it is complete), then each vector is checked against the
// contract of shared/testdata/wire/README.md ("What is valid") and moved into column storage.
// Every allocation is bounded by bytes actually present in the input.

#include <cstddef>
#include <optional>
#include <string_view>

#include "e6data/batch.hpp"
#include "wire/time_zone.hpp"

namespace e6data::wire {

class ChunkDecoder {
 public:
  struct Options {
    // Number of fields in the result metadata; a chunk with rows must carry that many vectors.
    std::optional<std::size_t> expected_columns;
  };

  // `zones` resolves TIMESTAMP_TZ zone names; it must outlive the decoder.
  explicit ChunkDecoder(Options options = {},
                        TimeZoneDatabase& zones = TimeZoneDatabase::system()) noexcept
      : options_(options), zones_(&zones) {}

  // Throws DecodeError (what was expected, at which offset) on any violation.
  Batch decode(std::string_view payload) const;

 private:
  Options options_;
  TimeZoneDatabase* zones_;
};

}  // namespace e6data::wire

#pragma once
// Writer of result metadata, the inverse of metadata_reader (for the dev server and tests).

#include <string>

#include "e6data/schema.hpp"

namespace e6data::wire {

// Throws std::invalid_argument when a string is not valid UTF-8 or is longer than 65535 bytes
// once in modified UTF-8, or when there are more than 2^31-1 fields.
std::string write_result_metadata(const ResultSchema& schema);

}  // namespace e6data::wire

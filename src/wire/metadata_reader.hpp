#pragma once
// Reader of result metadata (PROTOCOL.md §5.1): Java DataOutputStream layout, big-endian:
//   i64 row_count, i32 field_count, field_count x {name, type, zone, format}
// each string a u16 byte length + Java modified UTF-8. Bytes after the last field are ignored.

#include <string_view>

#include "e6data/schema.hpp"

namespace e6data::wire {

// Throws DecodeError naming what was expected at which offset.
ResultSchema read_result_metadata(std::string_view payload);

}  // namespace e6data::wire

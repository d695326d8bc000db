#pragma once
// Java "modified UTF-8", as DataOutputStream.writeUTF writes the strings of the result metadata:
// U+0000 as C0 80 and characters above U+FFFF as a surrogate pair of two 3-byte sequences
// (CESU-8). We accept that and standard UTF-8 (a raw 00 byte, 4-byte sequences) and return
// proper UTF-8; anything else is refused.

#include <cstddef>
#include <string>
#include <string_view>

namespace e6data::wire {

// Converts to standard UTF-8. Throws DecodeError at `base_offset` + the offending byte's index
// on invalid, truncated or overlong sequences (other than C0 80) and unpaired surrogates.
std::string modified_utf8_to_utf8(std::string_view in, std::size_t base_offset);

// Converts standard UTF-8 to modified UTF-8 (for the metadata writer). Throws
// std::invalid_argument when `in` is not valid UTF-8.
std::string utf8_to_modified_utf8(std::string_view in);

}  // namespace e6data::wire

namespace e6data::wire {

// True when `in` is valid standard UTF-8 (no overlong forms, no surrogates, <= U+10FFFF).
bool is_valid_utf8(std::string_view in) noexcept;

}  // namespace e6data::wire

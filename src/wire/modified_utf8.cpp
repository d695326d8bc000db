#include "wire/modified_utf8.hpp"

#include <cstdint>
#include <stdexcept>

#include "e6data/errors.hpp"

namespace e6data::wire {
namespace {

bool is_continuation(unsigned char c) {
  return (c & 0xC0) == 0x80;
}

void append_utf8(std::string& out, std::uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

// Decodes one 3-byte sequence at `i` (lead E0..EF) and returns its code point, which may be a
// surrogate. The caller checked that 3 bytes are present.
std::uint32_t three_byte(const unsigned char* p) {
  return ((p[0] & 0x0Fu) << 12) | ((p[1] & 0x3Fu) << 6) | (p[2] & 0x3Fu);
}

}  // namespace

std::string modified_utf8_to_utf8(std::string_view in, std::size_t base_offset) {
  const auto* p = reinterpret_cast<const unsigned char*>(in.data());
  const std::size_t n = in.size();
  std::string out;
  out.reserve(n);
  auto fail = [&](const std::string& what, std::size_t i) -> void {
    throw DecodeError("invalid modified UTF-8 in a metadata string: " + what, base_offset + i);
  };
  std::size_t i = 0;
  while (i < n) {
    const unsigned char c = p[i];
    if (c < 0x80) {  // ASCII, including a raw 00 byte
      out += static_cast<char>(c);
      ++i;
      continue;
    }
    auto need = [&](std::size_t k) {
      if (i + k > n) fail("sequence truncated by the end of the string", i);
      for (std::size_t j = 1; j < k; ++j) {
        if (!is_continuation(p[i + j])) fail("missing continuation byte", i + j);
      }
    };
    if (c == 0xC0 || c == 0xC1) {
      // C0 80 is Java's U+0000; every other overlong 2-byte form is invalid.
      need(2);
      if (c == 0xC0 && p[i + 1] == 0x80) {
        out += '\0';
        i += 2;
        continue;
      }
      fail("overlong encoding", i);
    }
    if (c >= 0xC2 && c <= 0xDF) {
      need(2);
      out.append(in.substr(i, 2));
      i += 2;
      continue;
    }
    if (c >= 0xE0 && c <= 0xEF) {
      need(3);
      const std::uint32_t cp = three_byte(p + i);
      if (cp < 0x800) fail("overlong encoding", i);
      if (cp >= 0xDC00 && cp <= 0xDFFF) fail("unpaired low surrogate", i);
      if (cp >= 0xD800 && cp <= 0xDBFF) {
        // A high surrogate must be followed by a low one, also as a 3-byte sequence.
        if (i + 6 > n || p[i + 3] != 0xED) fail("unpaired high surrogate", i);
        const std::size_t at = i;
        i += 3;
        need(3);
        const std::uint32_t low = three_byte(p + i);
        if (low < 0xDC00 || low > 0xDFFF) fail("unpaired high surrogate", at);
        append_utf8(out, 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00));
        i += 3;
        continue;
      }
      out.append(in.substr(i, 3));
      i += 3;
      continue;
    }
    if (c >= 0xF0 && c <= 0xF4) {
      need(4);
      const std::uint32_t cp = ((c & 0x07u) << 18) | ((p[i + 1] & 0x3Fu) << 12) |
                               ((p[i + 2] & 0x3Fu) << 6) | (p[i + 3] & 0x3Fu);
      if (cp < 0x10000) fail("overlong encoding", i);
      if (cp > 0x10FFFF) fail("code point above U+10FFFF", i);
      out.append(in.substr(i, 4));
      i += 4;
      continue;
    }
    fail(is_continuation(c) ? "unexpected continuation byte" : "invalid byte", i);
  }
  return out;
}

std::string utf8_to_modified_utf8(std::string_view in) {
  // Validate as standard UTF-8 by reusing the decoder, then re-encode NUL and supplementary
  // characters the way DataOutputStream does.
  std::string checked;
  try {
    checked = modified_utf8_to_utf8(in, 0);
  } catch (const DecodeError& e) {
    throw std::invalid_argument("not valid UTF-8: " + e.detail());
  }
  std::string out;
  out.reserve(checked.size() + 8);
  const auto* p = reinterpret_cast<const unsigned char*>(checked.data());
  for (std::size_t i = 0; i < checked.size();) {
    const unsigned char c = p[i];
    if (c == 0) {
      out += "\xC0\x80";
      ++i;
    } else if (c >= 0xF0) {
      const std::uint32_t cp = ((c & 0x07u) << 18) | ((p[i + 1] & 0x3Fu) << 12) |
                               ((p[i + 2] & 0x3Fu) << 6) | (p[i + 3] & 0x3Fu);
      const std::uint32_t v = cp - 0x10000;
      append_utf8(out, 0xD800 + (v >> 10));  // 3-byte sequences of the surrogates (CESU-8)
      append_utf8(out, 0xDC00 + (v & 0x3FF));
      i += 4;
    } else {
      const std::size_t len = c < 0x80 ? 1 : c < 0xE0 ? 2 : 3;
      out.append(checked, i, len);
      i += len;
    }
  }
  return out;
}

}  // namespace e6data::wire

namespace e6data::wire {

bool is_valid_utf8(std::string_view in) noexcept {
  const auto* p = reinterpret_cast<const unsigned char*>(in.data());
  const std::size_t n = in.size();
  std::size_t i = 0;
  while (i < n) {
    const unsigned char c = p[i];
    if (c < 0x80) {
      ++i;
      continue;
    }
    std::size_t len = 0;
    unsigned char lo = 0x80;
    unsigned char hi = 0xBF;  // allowed range of the second byte
    if (c >= 0xC2 && c <= 0xDF) {
      len = 2;
    } else if (c == 0xE0) {
      len = 3;
      lo = 0xA0;
    } else if (c == 0xED) {
      len = 3;
      hi = 0x9F;  // no surrogates
    } else if (c >= 0xE1 && c <= 0xEF) {
      len = 3;
    } else if (c == 0xF0) {
      len = 4;
      lo = 0x90;
    } else if (c >= 0xF1 && c <= 0xF3) {
      len = 4;
    } else if (c == 0xF4) {
      len = 4;
      hi = 0x8F;
    } else {
      return false;
    }
    if (i + len > n) return false;
    if (p[i + 1] < lo || p[i + 1] > hi) return false;
    for (std::size_t j = 2; j < len; ++j) {
      if ((p[i + j] & 0xC0) != 0x80) return false;
    }
    i += len;
  }
  return true;
}

}  // namespace e6data::wire

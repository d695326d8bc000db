#pragma once
// A strict reader of the Apache Thrift binary protocol over untrusted bytes.
//
// Why hand-written: the rules of the wire contract are stricter than the Thrift library's
// (a bool byte other than 0/1, a list of the wrong element type even when empty, a union with
// two members are errors), every count is checked against the bytes that remain *before*
// anything is allocated, and lists of fixed-width numbers are read in bulk. The Thrift library
// stays as the reference in the differential tests and the benchmark (tests/reference/).

#include <bit>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "e6data/errors.hpp"

namespace e6data::wire {

/// Thrift binary protocol type ids (TType).
enum class TType : std::uint8_t {
  kStop = 0,
  kBool = 2,
  kByte = 3,
  kDouble = 4,
  kI16 = 6,
  kI32 = 8,
  kI64 = 10,
  kString = 11,
  kStruct = 12,
  kMap = 13,
  kSet = 14,
  kList = 15,
};

/// Name of a type id for messages ("i64", "list", ...); "type N" for invalid ids.
std::string ttype_name(std::uint8_t type);

/// Smallest encoded size of one value of `type`, used to bound claimed counts by the remaining
/// bytes. 0 for invalid ids.
constexpr std::size_t min_encoded_size(TType type) noexcept {
  switch (type) {
    case TType::kBool:
    case TType::kByte:
    case TType::kStruct:  // an empty struct is just its stop byte
      return 1;
    case TType::kI16:
      return 2;
    case TType::kI32:
    case TType::kString:  // i32 length
      return 4;
    case TType::kDouble:
    case TType::kI64:
      return 8;
    case TType::kMap:  // key type, value type, i32 count
      return 6;
    case TType::kSet:
    case TType::kList:  // element type, i32 count
      return 5;
    case TType::kStop:
      return 0;
  }
  return 0;
}

constexpr bool is_valid_ttype(std::uint8_t id) noexcept {
  switch (id) {
    case 2:
    case 3:
    case 4:
    case 6:
    case 8:
    case 10:
    case 11:
    case 12:
    case 13:
    case 14:
    case 15:
      return true;
    default:
      return false;
  }
}

// Big-endian arrays to native values, `count` elements from `in` (no alignment needed). Compiled
// for AVX2 and baseline x86-64 and chosen at load time: the baseline ISA has no byte shuffle, so
// its loop stays scalar.
void bulk_load_be32(const std::uint8_t* in, std::size_t count, std::int32_t* out) noexcept;
void bulk_load_be64(const std::uint8_t* in, std::size_t count, std::int64_t* out) noexcept;
void bulk_load_be_double(const std::uint8_t* in, std::size_t count, double* out) noexcept;

struct FieldHeader {
  TType type = TType::kStop;
  std::int16_t id = 0;
  std::size_t offset = 0;  // where the header starts, for messages
};

class ThriftBinaryReader {
 public:
  // Skipped unknown fields may nest; the contract asks for at least 64 levels and the stack must
  // survive hostile depth, so recursion stops here with an error.
  static constexpr int kMaxSkipDepth = 128;

  explicit ThriftBinaryReader(std::string_view bytes) noexcept
      : begin_(reinterpret_cast<const std::uint8_t*>(bytes.data())),
        pos_(begin_),
        end_(begin_ + bytes.size()) {}

  std::size_t offset() const noexcept { return static_cast<std::size_t>(pos_ - begin_); }
  std::size_t remaining() const noexcept { return static_cast<std::size_t>(end_ - pos_); }

  [[noreturn]] void fail(const std::string& message) const { throw DecodeError(message, offset()); }
  [[noreturn]] static void fail_at(const std::string& message, std::size_t offset) {
    throw DecodeError(message, offset);
  }

  // Reads the next field header; type kStop ends the struct.
  FieldHeader read_field_header() {
    FieldHeader header;
    header.offset = offset();
    need(1, "a field type or stop byte");
    const std::uint8_t type = *pos_++;
    if (type == 0) return header;
    if (!is_valid_ttype(type)) {
      fail_at("invalid Thrift type id " + std::to_string(type) + " in a field header",
              header.offset);
    }
    header.type = static_cast<TType>(type);
    header.id = read_i16("a field id");
    return header;
  }

  // A known field must have the IDL's wire type.
  static void expect_field_type(const FieldHeader& header, TType expected, const char* field) {
    if (header.type != expected) {
      fail_at(std::string(field) + ": expected wire type " +
                  ttype_name(static_cast<std::uint8_t>(expected)) + ", found " +
                  ttype_name(static_cast<std::uint8_t>(header.type)),
              header.offset);
    }
  }

  std::uint8_t read_byte(const char* what) {
    need(1, what);
    return *pos_++;
  }
  bool read_bool(const char* what) {
    need(1, what);
    const std::uint8_t b = *pos_;
    if (b > 1) fail(std::string(what) + ": bool byte must be 0 or 1, found " + std::to_string(b));
    ++pos_;
    return b == 1;
  }
  std::int16_t read_i16(const char* what) {
    need(2, what);
    const auto v = static_cast<std::int16_t>(load_be<std::uint16_t>(pos_));
    pos_ += 2;
    return v;
  }
  std::int32_t read_i32(const char* what) {
    need(4, what);
    const auto v = static_cast<std::int32_t>(load_be<std::uint32_t>(pos_));
    pos_ += 4;
    return v;
  }
  std::int64_t read_i64(const char* what) {
    need(8, what);
    const auto v = static_cast<std::int64_t>(load_be<std::uint64_t>(pos_));
    pos_ += 8;
    return v;
  }
  double read_double(const char* what) {
    need(8, what);
    const auto bits = load_be<std::uint64_t>(pos_);
    pos_ += 8;
    return std::bit_cast<double>(bits);
  }
  // string and binary: i32 length + bytes; the view points into the input.
  std::string_view read_binary(const char* what) {
    const std::size_t at = offset();
    const std::int32_t length = read_i32(what);
    if (length < 0) fail_at(std::string(what) + ": negative length " + std::to_string(length), at);
    if (static_cast<std::size_t>(length) > remaining()) {
      fail_at(std::string(what) + ": length " + std::to_string(length) + " exceeds the " +
                  std::to_string(remaining()) + " bytes that remain",
              at);
    }
    std::string_view out(reinterpret_cast<const char*>(pos_), static_cast<std::size_t>(length));
    pos_ += length;
    return out;
  }

  // Reads a list header whose element type must be `element` (even for an empty list), and
  // returns the count after checking that the remaining input can hold that many elements.
  std::size_t read_list_header(TType element, const char* what) {
    const std::size_t at = offset();
    need(5, what);
    const std::uint8_t type = *pos_++;
    const std::int32_t count = static_cast<std::int32_t>(load_be<std::uint32_t>(pos_));
    pos_ += 4;
    if (type != static_cast<std::uint8_t>(element)) {
      fail_at(std::string(what) + ": list element type is " + ttype_name(type) + ", expected " +
                  ttype_name(static_cast<std::uint8_t>(element)),
              at);
    }
    return checked_count(count, min_encoded_size(element), what, at);
  }

  // Bulk readers of list bodies. The count was already bounded by read_list_header, so the
  // bytes are there; `out` receives `count` values.
  // Bulk readers of list bodies: one pass each (load, swap, store), see bulk_load_be*.
  void read_i32_values(std::size_t count, std::int32_t* out) noexcept {
    bulk_load_be32(pos_, count, out);
    pos_ += count * 4;
  }
  void read_i64_values(std::size_t count, std::int64_t* out) noexcept {
    bulk_load_be64(pos_, count, out);
    pos_ += count * 8;
  }
  void read_double_values(std::size_t count, double* out) noexcept {
    bulk_load_be_double(pos_, count, out);
    pos_ += count * 8;
  }
  void read_bool_values(std::size_t count, bool* out, const char* what) {
    // One vectorisable check, then a copy: bytes 0 and 1 are exactly the object representations
    // of false and true.
    std::uint8_t bad = 0;
    for (std::size_t i = 0; i < count; ++i) bad |= static_cast<std::uint8_t>(pos_[i] & 0xFE);
    if (bad != 0) {
      for (std::size_t i = 0; i < count; ++i) {
        if (pos_[i] > 1) {
          pos_ += i;
          fail(std::string(what) + ": bool byte must be 0 or 1, found " + std::to_string(pos_[0]));
        }
      }
    }
    if (count != 0) std::memcpy(out, pos_, count);
    pos_ += count;
  }

  // Skips one value of `type` (an unknown field), validating it as strictly as a known one.
  void skip(TType type, int depth = 0) {
    if (depth > kMaxSkipDepth) {
      fail("nesting deeper than " + std::to_string(kMaxSkipDepth) + " levels");
    }
    switch (type) {
      case TType::kBool:
        read_bool("a skipped bool");
        return;
      case TType::kByte:
        skip_bytes(1, "a skipped byte");
        return;
      case TType::kI16:
        skip_bytes(2, "a skipped i16");
        return;
      case TType::kI32:
        skip_bytes(4, "a skipped i32");
        return;
      case TType::kDouble:
      case TType::kI64:
        skip_bytes(8, "a skipped 8-byte value");
        return;
      case TType::kString:
        read_binary("a skipped string");
        return;
      case TType::kStruct:
        for (;;) {
          const FieldHeader field = read_field_header();
          if (field.type == TType::kStop) return;
          skip(field.type, depth + 1);
        }
      case TType::kMap: {
        const std::size_t at = offset();
        const TType key = read_element_type("a skipped map's key type");
        const TType value = read_element_type("a skipped map's value type");
        const std::int32_t claimed = read_i32("a skipped map's count");
        const std::size_t count = checked_count(
            claimed, min_encoded_size(key) + min_encoded_size(value), "a skipped map", at);
        for (std::size_t i = 0; i < count; ++i) {
          skip(key, depth + 1);
          skip(value, depth + 1);
        }
        return;
      }
      case TType::kSet:
      case TType::kList: {
        const std::size_t at = offset();
        const TType element = read_element_type("a skipped list's element type");
        const std::int32_t claimed = read_i32("a skipped list's count");
        const std::size_t count =
            checked_count(claimed, min_encoded_size(element), "a skipped list", at);
        for (std::size_t i = 0; i < count; ++i) skip(element, depth + 1);
        return;
      }
      case TType::kStop:
        break;
    }
    fail("cannot skip a value of " + ttype_name(static_cast<std::uint8_t>(type)));
  }

  // The byte-order helpers are public for the bulk readers' users (and tests).
  template <typename U>
  static U load_be(const std::uint8_t* p) noexcept {
    U v;
    std::memcpy(&v, p, sizeof(U));
    return byteswap_be(v);
  }

 private:
  template <typename U>
  static constexpr U byteswap_be(U v) noexcept {
    if constexpr (std::endian::native == std::endian::big) {
      return v;
    } else if constexpr (sizeof(U) == 2) {
      return static_cast<U>(__builtin_bswap16(v));
    } else if constexpr (sizeof(U) == 4) {
      return static_cast<U>(__builtin_bswap32(v));
    } else {
      return static_cast<U>(__builtin_bswap64(v));
    }
  }

  void need(std::size_t n, const char* what) const {
    if (remaining() < n) {
      fail("input ends inside " + std::string(what) + ": needs " + std::to_string(n) + " bytes, " +
           std::to_string(remaining()) + " remain");
    }
  }
  void skip_bytes(std::size_t n, const char* what) {
    need(n, what);
    pos_ += n;
  }
  TType read_element_type(const char* what) {
    const std::size_t at = offset();
    const std::uint8_t type = read_byte(what);
    if (!is_valid_ttype(type)) {
      fail_at("invalid Thrift type id " + std::to_string(type) + " as " + what, at);
    }
    return static_cast<TType>(type);
  }
  std::size_t checked_count(std::int32_t count, std::size_t min_element_size, const char* what,
                            std::size_t at) const {
    if (count < 0) fail_at(std::string(what) + ": negative count " + std::to_string(count), at);
    const auto n = static_cast<std::size_t>(count);
    if (min_element_size != 0 && n > remaining() / min_element_size) {
      fail_at(std::string(what) + ": count " + std::to_string(count) + " needs at least " +
                  std::to_string(n * min_element_size) + " bytes, only " +
                  std::to_string(remaining()) + " remain",
              at);
    }
    return n;
  }

  const std::uint8_t* begin_;
  const std::uint8_t* pos_;
  const std::uint8_t* end_;
};

}  // namespace e6data::wire

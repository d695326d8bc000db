#pragma once
// Writer of the Thrift binary protocol (the encoders' half of thrift_binary_reader.hpp).

#include <bit>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "wire/thrift_binary_reader.hpp"

namespace e6data::wire {

template <typename U>
void append_be(std::string& out, U value) {
  static_assert(std::is_unsigned_v<U>);
  char bytes[sizeof(U)];
  for (std::size_t i = 0; i < sizeof(U); ++i) {
    bytes[i] = static_cast<char>((value >> (8 * (sizeof(U) - 1 - i))) & 0xFF);
  }
  out.append(bytes, sizeof(U));
}

class ThriftBinaryWriter {
 public:
  explicit ThriftBinaryWriter(std::string& out) : out_(out) {}

  void field(TType type, std::int16_t id) {
    out_ += static_cast<char>(type);
    append_be(out_, static_cast<std::uint16_t>(id));
  }
  void stop() { out_ += '\0'; }
  void byte(std::int8_t v) { out_ += static_cast<char>(v); }
  void boolean(bool v) { out_ += static_cast<char>(v ? 1 : 0); }
  void i32(std::int32_t v) { append_be(out_, static_cast<std::uint32_t>(v)); }
  void i64(std::int64_t v) { append_be(out_, static_cast<std::uint64_t>(v)); }
  void f64(double v) { append_be(out_, std::bit_cast<std::uint64_t>(v)); }
  void binary(std::string_view v) {
    i32(static_cast<std::int32_t>(v.size()));
    out_.append(v);
  }
  void list_begin(TType element, std::size_t count) {
    out_ += static_cast<char>(element);
    i32(static_cast<std::int32_t>(count));
  }

 private:
  std::string& out_;
};

}  // namespace e6data::wire

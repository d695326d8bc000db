#include "wire/thrift_binary_reader.hpp"

namespace e6data::wire {

// GCC builds an AVX2 clone and a baseline clone of each loop and picks one at load time (ifunc).
// Other compilers (clang builds the fuzz targets) get the portable loop. Not under
// ThreadSanitizer: the ifunc resolver runs during relocation, before TSan's runtime exists, and
// its instrumented code crashes every program at start-up.
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && !defined(__SANITIZE_THREAD__)
#define E6DATA_BULK_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define E6DATA_BULK_CLONES
#endif

E6DATA_BULK_CLONES
void bulk_load_be32(const std::uint8_t* in, std::size_t count, std::int32_t* out) noexcept {
  for (std::size_t i = 0; i < count; ++i) {
    out[i] = static_cast<std::int32_t>(ThriftBinaryReader::load_be<std::uint32_t>(in + i * 4));
  }
}

E6DATA_BULK_CLONES
void bulk_load_be64(const std::uint8_t* in, std::size_t count, std::int64_t* out) noexcept {
  for (std::size_t i = 0; i < count; ++i) {
    out[i] = static_cast<std::int64_t>(ThriftBinaryReader::load_be<std::uint64_t>(in + i * 8));
  }
}

E6DATA_BULK_CLONES
void bulk_load_be_double(const std::uint8_t* in, std::size_t count, double* out) noexcept {
  for (std::size_t i = 0; i < count; ++i) {
    out[i] = std::bit_cast<double>(ThriftBinaryReader::load_be<std::uint64_t>(in + i * 8));
  }
}

std::string ttype_name(std::uint8_t type) {
  switch (type) {
    case 0:
      return "stop";
    case 2:
      return "bool";
    case 3:
      return "i8";
    case 4:
      return "double";
    case 6:
      return "i16";
    case 8:
      return "i32";
    case 10:
      return "i64";
    case 11:
      return "string";
    case 12:
      return "struct";
    case 13:
      return "map";
    case 14:
      return "set";
    case 15:
      return "list";
    default:
      return "type " + std::to_string(type);
  }
}

}  // namespace e6data::wire

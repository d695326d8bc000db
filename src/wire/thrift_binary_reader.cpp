#include "wire/thrift_binary_reader.hpp"

namespace e6data::wire {

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

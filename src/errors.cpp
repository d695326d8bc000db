#include "e6data/errors.hpp"

namespace e6data {

std::string_view to_string(ErrorKind kind) noexcept {
  switch (kind) {
    case ErrorKind::kDecode:
      return "decode";
    case ErrorKind::kUsage:
      return "usage";
  }
  return "unknown";
}

Error::Error(ErrorKind kind, const std::string& message)
    : std::runtime_error(message), kind_(kind) {}

DecodeError::DecodeError(const std::string& message, std::size_t offset)
    : Error(ErrorKind::kDecode, message + " (at byte " + std::to_string(offset) + ")"),
      detail_(message),
      offset_(offset) {}

UsageError::UsageError(const std::string& message) : Error(ErrorKind::kUsage, message) {}

}  // namespace e6data

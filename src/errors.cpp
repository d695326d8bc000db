#include "e6data/errors.hpp"

#include <utility>

namespace e6data {

std::string_view to_string(ErrorKind kind) noexcept {
  switch (kind) {
    case ErrorKind::kDecode:
      return "decode";
    case ErrorKind::kUsage:
      return "usage";
    case ErrorKind::kConnection:
      return "connection";
    case ErrorKind::kAuthentication:
      return "authentication";
    case ErrorKind::kQuery:
      return "query";
    case ErrorKind::kTimeout:
      return "timeout";
    case ErrorKind::kCancelled:
      return "cancelled";
    case ErrorKind::kClusterSuspended:
      return "cluster suspended";
    case ErrorKind::kStrategyChanged:
      return "strategy changed";
    case ErrorKind::kInternal:
      return "internal";
  }
  return "unknown";
}

Error::Error(ErrorKind kind, const std::string& message, ErrorContext context)
    : std::runtime_error(message), kind_(kind), context_(std::move(context)) {}

DecodeError::DecodeError(const std::string& message, std::size_t offset)
    : Error(ErrorKind::kDecode, message + " (at byte " + std::to_string(offset) + ")"),
      detail_(message),
      offset_(offset) {}

UsageError::UsageError(const std::string& message) : Error(ErrorKind::kUsage, message) {}

}  // namespace e6data

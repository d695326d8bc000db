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
    case ErrorKind::kResultPositionUnknown:
      return "result position unknown";
    case ErrorKind::kOutcomeUnknown:
      return "outcome unknown";
  }
  return "unknown";
}

std::string_view to_string(FailureCause cause) noexcept {
  switch (cause) {
    case FailureCause::kNone:
      return "none";
    case FailureCause::kWrongDeployment:
      return "wrong deployment (456)";
    case FailureCause::kRouter503:
      return "router 503";
    case FailureCause::kSessionLost:
      return "session lost (Access denied)";
    case FailureCause::kUnavailable:
      return "unavailable";
    case FailureCause::kDeadline:
      return "deadline exceeded";
    case FailureCause::kCancelled:
      return "cancelled";
    case FailureCause::kUnauthenticated:
      return "unauthenticated";
    case FailureCause::kRefused:
      return "refused";
    case FailureCause::kUnimplemented:
      return "unimplemented";
    case FailureCause::kOther:
      return "other";
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

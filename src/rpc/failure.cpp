#include "rpc/failure.hpp"

#include "e6data/errors.hpp"

namespace e6data::rpc {
namespace {

bool contains(const std::string& text, std::string_view part) {
  return text.find(part) != std::string::npos;
}

}  // namespace

std::string_view to_string(FailureKind kind) noexcept {
  switch (kind) {
    case FailureKind::kWrongStrategy:
      return "wrong strategy (456)";
    case FailureKind::kAccessDenied:
      return "access denied";
    case FailureKind::kSuspended:
      return "cluster suspended (503)";
    case FailureKind::kTransient:
      return "transient";
    case FailureKind::kDeadline:
      return "deadline exceeded";
    case FailureKind::kCancelled:
      return "cancelled";
    case FailureKind::kUnauthenticated:
      return "unauthenticated";
    case FailureKind::kQuery:
      return "query refused";
    case FailureKind::kFatal:
      return "fatal";
  }
  return "?";
}

FailureKind classify_failure(const grpc::Status& status) {
  const std::string& message = status.error_message();
  // The router's HTTP statuses come first: they arrive as UNKNOWN/UNAVAILABLE with the HTTP
  // status in the text, which is the only place gRPC keeps it.
  if (contains(message, "status: 456")) return FailureKind::kWrongStrategy;
  if (status.error_code() == grpc::StatusCode::UNAVAILABLE && contains(message, "status: 503")) {
    return FailureKind::kSuspended;
  }
  if (contains(message, "Access denied")) return FailureKind::kAccessDenied;
  switch (status.error_code()) {
    case grpc::StatusCode::UNAVAILABLE:
      return FailureKind::kTransient;
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return FailureKind::kDeadline;
    case grpc::StatusCode::CANCELLED:
      return FailureKind::kCancelled;
    case grpc::StatusCode::UNAUTHENTICATED:
    case grpc::StatusCode::PERMISSION_DENIED:
      return FailureKind::kUnauthenticated;
    case grpc::StatusCode::INVALID_ARGUMENT:
    case grpc::StatusCode::NOT_FOUND:
    case grpc::StatusCode::ALREADY_EXISTS:
    case grpc::StatusCode::FAILED_PRECONDITION:
    case grpc::StatusCode::OUT_OF_RANGE:
      return FailureKind::kQuery;
    default:
      return FailureKind::kFatal;
  }
}

void throw_call_error(const grpc::Status& status, const CallInfo& call) {
  const FailureKind kind = classify_failure(status);
  ErrorContext context;
  context.grpc_code = static_cast<int>(status.error_code());
  context.server_message = status.error_message();
  context.query_id = call.query_id;
  context.strategy = call.strategy;
  std::string message = call.method + " failed";
  if (!call.query_id.empty()) message += " (query " + call.query_id + ")";
  if (!call.strategy.empty()) message += " on the " + call.strategy + " deployment";
  message += ": " + status.error_message();
  switch (kind) {
    case FailureKind::kWrongStrategy:
      context.http_status = 456;
      context.retryable = call.query_id.empty();
      if (!call.query_id.empty()) {
        throw QueryError(ErrorKind::kStrategyChanged,
                         message + " -- the deployment running this query is no longer serving",
                         context);
      }
      throw ConnectionError(ErrorKind::kConnection, message, context);
    case FailureKind::kAccessDenied:
      context.retryable = true;  // after authenticating again
      throw AuthenticationError(ErrorKind::kAuthentication, message, context);
    case FailureKind::kSuspended:
      context.http_status = 503;
      context.retryable = true;  // after resuming the cluster
      throw ClusterSuspendedError(ErrorKind::kClusterSuspended,
                                  message +
                                      " -- the cluster is suspended; resume it or enable "
                                      "auto_resume",
                                  context);
    case FailureKind::kTransient:
      context.retryable = true;
      throw ConnectionError(ErrorKind::kConnection, message, context);
    case FailureKind::kDeadline:
      throw TimeoutError(ErrorKind::kTimeout, message, context);
    case FailureKind::kCancelled:
      throw CancelledError(ErrorKind::kCancelled, message, context);
    case FailureKind::kUnauthenticated:
      throw AuthenticationError(ErrorKind::kAuthentication, message, context);
    case FailureKind::kQuery:
      throw QueryError(ErrorKind::kQuery, message, context);
    case FailureKind::kFatal:
      break;
  }
  throw Error(ErrorKind::kInternal, message, context);
}

}  // namespace e6data::rpc

#include "rpc/failure.hpp"

#include <array>

namespace e6data::rpc {
namespace {

// The exact messages of PROTOCOL.md §6. gRPC writes the plain-proxy form itself when an HTTP/2
// response carries a non-200 status, so it cannot come from a server's or user's text.
constexpr std::array<std::string_view, 3> kWrongDeploymentForms = {
    "status: 456", "Received http2 header with status: 456", "Wrong strategy. Status: 456"};
constexpr std::array<std::string_view, 2> kRouter503Forms = {
    "status: 503, cluster is suspended", "Received http2 header with status: 503"};
constexpr std::string_view kAccessDenied = "Access denied";

bool is_one_of(std::string_view message, const auto& forms) {
  for (const std::string_view form : forms) {
    if (message == form) return true;
  }
  return false;
}

}  // namespace

FailureCause classify_failure(const grpc::Status& status) {
  // error_message() returns a copy: keep it alive while it is viewed.
  const std::string message = status.error_message();
  switch (status.error_code()) {
    case grpc::StatusCode::UNKNOWN:
      return is_one_of(message, kWrongDeploymentForms) ? FailureCause::kWrongDeployment
                                                       : FailureCause::kOther;
    case grpc::StatusCode::UNAVAILABLE:
      return is_one_of(message, kRouter503Forms) ? FailureCause::kRouter503
                                                 : FailureCause::kUnavailable;
    case grpc::StatusCode::INTERNAL:
      // A live cluster answers exactly "Access denied"; the dev server adds a reason after it.
      return message.starts_with(kAccessDenied) ? FailureCause::kSessionLost : FailureCause::kOther;
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return FailureCause::kDeadline;
    case grpc::StatusCode::CANCELLED:
      return FailureCause::kCancelled;
    case grpc::StatusCode::UNAUTHENTICATED:
    case grpc::StatusCode::PERMISSION_DENIED:
      return FailureCause::kUnauthenticated;
    case grpc::StatusCode::INVALID_ARGUMENT:
    case grpc::StatusCode::NOT_FOUND:
    case grpc::StatusCode::ALREADY_EXISTS:
    case grpc::StatusCode::FAILED_PRECONDITION:
    case grpc::StatusCode::OUT_OF_RANGE:
      return FailureCause::kRefused;
    case grpc::StatusCode::UNIMPLEMENTED:
      return FailureCause::kUnimplemented;
    default:
      return FailureCause::kOther;
  }
}

void throw_call_error(const grpc::Status& status, const CallInfo& call) {
  const FailureCause cause = classify_failure(status);
  ErrorContext context;
  context.grpc_code = static_cast<int>(status.error_code());
  context.server_message = status.error_message();
  context.query_id = call.query_id;
  context.strategy = call.strategy;
  context.cause = cause;
  std::string message = call.method + " failed";
  if (!call.query_id.empty()) message += " (query " + call.query_id + ")";
  if (!call.strategy.empty()) message += " on the " + call.strategy + " deployment";
  if (status.error_message().empty()) {
    // Something answered, but not as an e6data server would (a wrong service or port).
    message += ": the server at " +
               (call.endpoint.empty() ? std::string("the endpoint") : call.endpoint) +
               " did not answer as an e6data QueryEngineService (gRPC status " +
               std::to_string(context.grpc_code) + ")";
  } else {
    message += ": " + status.error_message();
  }
  switch (cause) {
    case FailureCause::kWrongDeployment:
      context.http_status = 456;
      context.retryable = call.query_id.empty();
      if (!call.query_id.empty()) {
        throw QueryError(ErrorKind::kStrategyChanged,
                         message + " -- the deployment running this query is no longer serving",
                         context);
      }
      throw ConnectionError(ErrorKind::kConnection, message, context);
    case FailureCause::kSessionLost:
      context.retryable = true;  // after authenticating again
      throw AuthenticationError(ErrorKind::kAuthentication, message, context);
    case FailureCause::kRouter503:
      context.http_status = 503;
      context.retryable = true;  // after resuming the cluster (or backing off)
      throw ClusterSuspendedError(ErrorKind::kClusterSuspended,
                                  message +
                                      " -- the cluster is suspended; resume it or enable "
                                      "auto_resume",
                                  context);
    case FailureCause::kUnavailable:
      context.retryable = true;
      throw ConnectionError(ErrorKind::kConnection, message, context);
    case FailureCause::kDeadline:
      throw TimeoutError(ErrorKind::kTimeout, message, context);
    case FailureCause::kCancelled:
      throw CancelledError(ErrorKind::kCancelled, message, context);
    case FailureCause::kUnauthenticated:
      throw AuthenticationError(ErrorKind::kAuthentication, message, context);
    case FailureCause::kRefused:
      throw QueryError(ErrorKind::kQuery, message, context);
    case FailureCause::kNone:
    case FailureCause::kUnimplemented:
    case FailureCause::kOther:
      break;
  }
  throw Error(ErrorKind::kInternal, message, context);
}

}  // namespace e6data::rpc

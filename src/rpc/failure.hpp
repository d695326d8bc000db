#pragma once
// Classification of failed gRPC calls: the one place where a grpc::Status becomes a failure kind
// (what the strategy layer decides on) and a typed public error (what users catch). Decisions
// elsewhere are made on kinds, never on message text.
//
// The router and the server signal blue-green events through the status (PROTOCOL.md §6):
//   HTTP 456 from the router  -> UNKNOWN "Received http2 header with status: 456"
//   HTTP 503 (suspended)      -> UNAVAILABLE "... status: 503"
//   unknown/expired session   -> INTERNAL "... Access denied ..."

#include <grpcpp/support/status.h>

#include <string>
#include <string_view>

namespace e6data::rpc {

enum class FailureKind {
  kWrongStrategy,    // the strategy header names a deployment that is not serving (456)
  kAccessDenied,     // the session is unknown or expired: authenticate again
  kSuspended,        // the cluster is suspended (503): resume it
  kTransient,        // the connection failed (UNAVAILABLE): a retry may succeed where safe
  kDeadline,         // the call's deadline passed
  kCancelled,        // the call or query was cancelled
  kUnauthenticated,  // the credentials were refused
  kQuery,            // the request was refused: bad SQL, unknown object, bad argument
  kFatal,            // anything else: the server failed in a way the client cannot act on
};

std::string_view to_string(FailureKind kind) noexcept;

// The failure kind of a non-OK status.
FailureKind classify_failure(const grpc::Status& status);

// What the failing call was, for the error's message and fields.
struct CallInfo {
  std::string method;    // e.g. "prepareStatementV2"
  std::string query_id;  // empty when the call belongs to no query
  std::string strategy;  // the deployment the call went to, if known
};

// Throws the typed public error for a failed call (ConnectionError, AuthenticationError,
// QueryError, TimeoutError, CancelledError, ClusterSuspendedError or Error), keeping the
// server's message. \pre !status.ok()
[[noreturn]] void throw_call_error(const grpc::Status& status, const CallInfo& call);

}  // namespace e6data::rpc

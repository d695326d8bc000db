#pragma once
// Classification of failed gRPC calls: the one place where a grpc::Status becomes a failure cause
// (e6data::FailureCause, carried in the error's context to the strategy layer) and a typed public
// error (what users catch). No other layer reads message text.
//
// The router and the server signal blue-green events through the status (PROTOCOL.md §6). A cause
// is recognised by the status code AND the whole message being one of these exact forms, never a
// substring (text inside a message can come from SQL, data or a trigger):
//   wrong deployment (456): UNKNOWN      "status: 456"                          (e6data's gateway)
//                           UNKNOWN      "Received http2 header with status: 456" (plain proxy)
//                           UNKNOWN      "Wrong strategy. Status: 456"          (older documents)
//   503:                    UNAVAILABLE  "status: 503, cluster is suspended"    (e6data's gateway)
//                           UNAVAILABLE  "Received http2 header with status: 503" (plain proxy)
//   session lost:           INTERNAL     "Access denied" or "Access denied..."

#include <grpcpp/support/status.h>

#include <string>
#include <string_view>

#include "e6data/errors.hpp"

namespace e6data::rpc {

// The failure cause of a non-OK status.
FailureCause classify_failure(const grpc::Status& status);

// What the failing call was, for the error's message and fields.
struct CallInfo {
  std::string method;    // e.g. "prepareStatementV2"
  std::string query_id;  // empty when the call belongs to no query
  std::string strategy;  // the deployment the call went to, if known
  std::string endpoint;  // host:port, for messages that must say where
};

// Throws the typed public error for a failed call (ConnectionError, AuthenticationError,
// QueryError, TimeoutError, CancelledError, ClusterSuspendedError or Error), keeping the
// server's message and the cause. \pre !status.ok()
[[noreturn]] void throw_call_error(const grpc::Status& status, const CallInfo& call);

}  // namespace e6data::rpc

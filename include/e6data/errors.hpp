#pragma once
/// \file
/// \brief The typed errors every public e6data function throws.
///
/// One hierarchy, one channel: public functions throw; there are no error codes or "failed"
/// results to check. Subclasses exist only where a `catch` would differ.

#include <cstddef>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace e6data {

/// \brief What went wrong, independent of the C++ type that carries it.
enum class ErrorKind {
  kDecode,          ///< Bytes from the server (or a capture) that do not follow the wire contract.
  kUsage,           ///< The caller used the API wrongly (wrong type, out-of-range index, ...).
  kConnection,      ///< The cluster could not be reached, or the connection broke.
  kAuthentication,  ///< Wrong credentials, or a session the server no longer accepts.
  kQuery,           ///< The server refused or failed the statement (bad SQL, unknown table...).
  kTimeout,         ///< The call's deadline passed.
  kCancelled,       ///< The query or call was cancelled.
  kClusterSuspended,  ///< The cluster is suspended (HTTP 503) and was not resumed.
  kStrategyChanged,   ///< The deployment serving a running query went away (blue-green switch).
  kInternal,          ///< The server failed in a way the client cannot act on.
  /// A fetch failed in a way that may have consumed rows on the server: the result's position
  /// is unknown, so the cursor refuses further fetches (without a call) instead of skipping rows.
  kResultPositionUnknown,
  /// A statement's execute failed after it may have reached a deployment: whether it ran is
  /// unknown, and a statement with side effects is never sent again.
  kOutcomeUnknown,
};

/// \brief Why a gRPC call failed, decided once from the status code and the exact message forms
/// of PROTOCOL.md section 6 (never from text found elsewhere in a message).
enum class FailureCause {
  kNone,             ///< not from a failed call
  kWrongDeployment,  ///< the router refused the call: its deployment is not serving (456)
  kRouter503,        ///< the router answered 503 (a suspended cluster, or a proxy on the path)
  kSessionLost,      ///< INTERNAL "Access denied": the session is unknown or expired
  kUnavailable,      ///< the connection failed or broke (UNAVAILABLE, not a 503 form)
  kDeadline,         ///< the call's deadline passed
  kCancelled,        ///< the call or the query was cancelled
  kUnauthenticated,  ///< the credentials were refused
  kRefused,          ///< the server refused the request (bad SQL, unknown object, bad argument)
  kUnimplemented,    ///< the server does not offer the method
  kOther,            ///< anything else the server answered
};

/// \brief Name of a failure cause, e.g. "wrong deployment (456)".
std::string_view to_string(FailureCause cause) noexcept;

/// \brief Name of an error kind, e.g. "decode".
std::string_view to_string(ErrorKind kind) noexcept;

/// \brief Where an error came from: the gRPC call and the query it belonged to.
struct ErrorContext {
  int grpc_code = 0;           ///< the gRPC status code (0 when the error is not from a call)
  std::string server_message;  ///< the server's own message, kept verbatim
  std::string query_id;        ///< the query the call belonged to, if any
  std::string strategy;        ///< the deployment (blue/green) the call went to, if known
  bool retryable = false;      ///< repeating the operation may succeed
  int http_status = 0;  ///< the router's HTTP status (456 wrong deployment, 503 suspended), or 0
  FailureCause cause = FailureCause::kNone;  ///< why the call failed (set by the call path only)
};

/// \brief Base of every error the library throws.
class Error : public std::runtime_error {
 public:
  /// \param kind what went wrong
  /// \param message a sentence a person can act on; never contains secrets
  /// \param context the call it came from, if any
  Error(ErrorKind kind, const std::string& message, ErrorContext context = {});

  /// \brief What went wrong.
  ErrorKind kind() const noexcept { return kind_; }
  /// \brief True when repeating the same operation may succeed.
  bool is_retryable() const noexcept { return context_.retryable; }
  /// \brief The gRPC status code of the failed call (0 when not from a call).
  int grpc_code() const noexcept { return context_.grpc_code; }
  /// \brief The server's message, verbatim (empty when not from a call).
  const std::string& server_message() const noexcept { return context_.server_message; }
  /// \brief The query the failed call belonged to (empty when none).
  const std::string& query_id() const noexcept { return context_.query_id; }
  /// \brief The deployment the call went to (empty when unknown).
  const std::string& strategy() const noexcept { return context_.strategy; }
  /// \brief The router's HTTP status when the call was refused before reaching a deployment:
  /// 456 (the deployment named by the strategy header is not serving) or 503 (the cluster is
  /// suspended); 0 otherwise.
  int http_status() const noexcept { return context_.http_status; }
  /// \brief Why the call failed, as the call path classified it (kNone when not from a call).
  FailureCause cause() const noexcept { return context_.cause; }
  /// \brief Everything known about the call the error came from.
  const ErrorContext& context() const noexcept { return context_; }

 private:
  ErrorKind kind_;
  ErrorContext context_;
};

/// \brief Thrown when the cluster cannot be reached or the connection breaks (gRPC UNAVAILABLE
/// that is not a suspended cluster, a TLS failure, a refused connection).
class ConnectionError : public Error {
 public:
  using Error::Error;
};

/// \brief Thrown when the credentials are refused, or a session is no longer accepted after
/// re-authenticating.
class AuthenticationError : public Error {
 public:
  using Error::Error;
};

/// \brief Thrown when the server refuses or fails a statement: bad SQL, an unknown table,
/// a failure while running it; also when a running query's deployment went away.
class QueryError : public Error {
 public:
  using Error::Error;
};

/// \brief Thrown when a call's deadline passes.
class TimeoutError : public Error {
 public:
  using Error::Error;
};

/// \brief Thrown when a query or call was cancelled.
class CancelledError : public Error {
 public:
  using Error::Error;
};

/// \brief Thrown when the cluster is suspended and auto-resume is off or did not succeed.
class ClusterSuspendedError : public Error {
 public:
  using Error::Error;
};

/// \brief Thrown when a result batch or result metadata payload is malformed.
///
/// The message says what was expected, and `offset()` is the byte offset in the payload where
/// the problem was found.
class DecodeError : public Error {
 public:
  /// \param message what was expected and what was found
  /// \param offset byte offset in the payload
  DecodeError(const std::string& message, std::size_t offset);

  /// \brief Byte offset in the payload at which the problem was detected.
  std::size_t offset() const noexcept { return offset_; }
  /// \brief The message without the " (at byte N)" suffix.
  const std::string& detail() const noexcept { return detail_; }

 private:
  std::string detail_;
  std::size_t offset_;
};

/// \brief Thrown when the API is used wrongly: a typed read of a column of another type, a row
/// or column index out of range, and similar mistakes in the calling code.
class UsageError : public Error {
 public:
  /// \param message names the operation and what was wrong with it
  explicit UsageError(const std::string& message);
};

}  // namespace e6data

#pragma once
// Failures of the dev server's engine, by what the client should see; the gRPC layer maps each
// code to a status (query_engine_service.cpp, to_status).

#include <stdexcept>
#include <string>

namespace e6data::devserver {

enum class EngineErrorCode {
  kInvalidArgument,     // bad SQL, bad parameters, bad request fields
  kNotFound,            // unknown query id, catalog, schema or table
  kAccessDenied,        // unknown or expired session (PROTOCOL §6: INTERNAL + "Access denied")
  kUnauthenticated,     // wrong credentials
  kCancelled,           // the query was cancelled
  kFailedPrecondition,  // e.g. fetch before execute
  kInternal,            // SQLite failed at run time
};

class EngineError : public std::runtime_error {
 public:
  EngineError(EngineErrorCode code, const std::string& message)
      : std::runtime_error(message), code_(code) {}
  EngineErrorCode code() const noexcept { return code_; }

 private:
  EngineErrorCode code_;
};

}  // namespace e6data::devserver

#pragma once
// What a Connection and its Cursors share: the options, the call path and the session. The
// session is authenticated lazily and again after "Access denied" (with_session()).

#include <functional>
#include <mutex>
#include <string>

#include "e6data/errors.hpp"
#include "e6data/options.hpp"
#include "rpc/engine_client.hpp"

namespace e6data::detail {

struct ConnectionState {
  explicit ConnectionState(ConnectionOptions o) : options(std::move(o)), client(options) {}

  ConnectionOptions options;
  rpc::EngineClient client;
  std::mutex mutex;  // guards session_id and closed
  std::string session_id;
  bool closed = false;

  rpc::CallOptions call_options(
      std::chrono::milliseconds timeout = std::chrono::seconds(60)) const {
    rpc::CallOptions call;
    call.timeout = timeout;
    return call;
  }

  // Authenticates and stores the new session id.
  std::string authenticate() {
    AuthenticateRequest req;
    req.set_user(options.username);
    req.set_password(options.password);
    const AuthenticateResponse res = client.authenticate(req, call_options());
    if (res.sessionid().empty()) {
      throw AuthenticationError(ErrorKind::kAuthentication,
                                "authenticate returned no session for user " + options.username);
    }
    std::lock_guard lock(mutex);
    session_id = res.sessionid();
    return session_id;
  }

  std::string session() {
    {
      std::lock_guard lock(mutex);
      if (closed) throw UsageError("the connection is closed");
      if (!session_id.empty()) return session_id;
    }
    return authenticate();
  }

  // Runs `call(session_id)`; if the server no longer knows the session, authenticates once more
  // and runs it again. Calls that belong to a prepared query must not use this: their query
  // died with the session (see Cursor).
  template <typename F>
  auto with_session(F&& call) -> decltype(call(std::string())) {
    const std::string session = this->session();
    try {
      return call(session);
    } catch (const AuthenticationError& e) {
      if (!e.is_retryable()) throw;  // refused credentials: retrying cannot help
      {
        std::lock_guard lock(mutex);
        if (session_id == session) session_id.clear();
      }
      return call(this->session());
    }
  }
};

}  // namespace e6data::detail

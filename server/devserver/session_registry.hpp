#pragma once
// Sessions of the dev server and the queries that belong to them. A session expires after an
// idle timeout (measured on an injected clock, so tests need no sleeps); expiring a session
// releases its queries. A query no call touched for longer than the query idle timeout (e6data's
// planner query lifetime, 900 s by default) is dropped too and is unknown afterwards, so a query
// a client could not clear never holds a drain for long. Thread-safe.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "devserver/query.hpp"

namespace e6data::devserver {

// 128 random bits as 32 hex digits: session and query ids, unique across deployments and
// restarts (PROTOCOL §6).
std::string random_id();

class SessionRegistry {
 public:
  using Clock = std::function<std::chrono::steady_clock::time_point()>;

  SessionRegistry(std::chrono::milliseconds idle_timeout, Clock clock,
                  std::chrono::milliseconds query_idle_timeout = std::chrono::seconds(900));

  // A new session for `user`; returns its id (unguessable: 128 random bits, hex).
  std::string create(const std::string& user);
  // Marks the session used. Throws EngineError(kAccessDenied) when it is unknown or expired.
  void touch(const std::string& session_id);
  // The user of a live session (touches it).
  std::string user_of(const std::string& session_id);

  void add_query(const std::string& session_id, std::shared_ptr<Query> query);
  // Throws kAccessDenied for a bad session, kNotFound for a query not in that session (or
  // dropped as idle). Marks the query used.
  std::shared_ptr<Query> find_query(const std::string& session_id, const std::string& query_id);
  // Removes and returns the query (nullptr when absent).
  std::shared_ptr<Query> remove_query(const std::string& session_id, const std::string& query_id);

  // Drops sessions idle for longer than the timeout, with their queries; returns how many.
  std::size_t expire_idle();
  // Drops queries idle for longer than the query idle timeout; returns how many.
  std::size_t expire_idle_queries();
  // Drops every session with its queries (fault injection, suspend); returns how many.
  std::size_t expire_all();

  // Live sessions and their live queries (what a drain waits for); expired ones not yet reaped
  // are not counted.
  std::int64_t session_count();
  std::int64_t query_count();

 private:
  struct TrackedQuery {
    std::shared_ptr<Query> query;
    std::chrono::steady_clock::time_point last_used;
  };
  struct Session {
    std::string user;
    std::chrono::steady_clock::time_point last_used;
    std::unordered_map<std::string, TrackedQuery> queries;
  };
  Session& live_session(const std::string& session_id);  // with mutex_ held

  std::mutex mutex_;
  std::chrono::milliseconds idle_timeout_;
  std::chrono::milliseconds query_idle_timeout_;
  Clock clock_;
  std::unordered_map<std::string, Session> sessions_;
};

}  // namespace e6data::devserver

#include "devserver/session_registry.hpp"

#include <random>
#include <vector>

#include "devserver/errors.hpp"

namespace e6data::devserver {

std::string random_id() {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id;
  for (int word = 0; word < 2; ++word) {
    std::uint64_t bits = rng();
    for (int i = 0; i < 16; ++i, bits >>= 4) id += kHex[bits & 15];
  }
  return id;
}

SessionRegistry::SessionRegistry(std::chrono::milliseconds idle_timeout, Clock clock,
                                 std::chrono::milliseconds query_idle_timeout)
    : idle_timeout_(idle_timeout),
      query_idle_timeout_(query_idle_timeout),
      clock_(std::move(clock)) {}

std::string SessionRegistry::create(const std::string& user) {
  std::lock_guard lock(mutex_);
  std::string id = random_id();
  sessions_[id] = Session{user, clock_(), {}};
  return id;
}

SessionRegistry::Session& SessionRegistry::live_session(const std::string& session_id) {
  const auto now = clock_();
  auto it = sessions_.find(session_id);
  if (it == sessions_.end() || now - it->second.last_used > idle_timeout_) {
    if (it != sessions_.end()) sessions_.erase(it);  // expired: release it and its queries
    // PROTOCOL §6: INTERNAL with "Access denied"; the client re-authenticates.
    throw EngineError(EngineErrorCode::kAccessDenied,
                      "Access denied: unknown or expired session; authenticate again");
  }
  it->second.last_used = now;
  return it->second;
}

void SessionRegistry::touch(const std::string& session_id) {
  std::lock_guard lock(mutex_);
  live_session(session_id);
}

std::string SessionRegistry::user_of(const std::string& session_id) {
  std::lock_guard lock(mutex_);
  return live_session(session_id).user;
}

void SessionRegistry::add_query(const std::string& session_id, std::shared_ptr<Query> query) {
  std::lock_guard lock(mutex_);
  Session& session = live_session(session_id);
  const std::string id = query->id();
  session.queries[id] = TrackedQuery{std::move(query), clock_()};
}

std::shared_ptr<Query> SessionRegistry::find_query(const std::string& session_id,
                                                   const std::string& query_id) {
  std::lock_guard lock(mutex_);
  Session& session = live_session(session_id);
  const auto now = clock_();
  auto it = session.queries.find(query_id);
  if (it != session.queries.end() && now - it->second.last_used > query_idle_timeout_) {
    it->second.query->cancel();  // idle too long: dropped, as the janitor would have
    session.queries.erase(it);
    it = session.queries.end();
  }
  if (it == session.queries.end()) {
    throw EngineError(
        EngineErrorCode::kNotFound,
        "query " + query_id + " is unknown in this session (cleared or never prepared)");
  }
  it->second.last_used = now;
  return it->second.query;
}

std::shared_ptr<Query> SessionRegistry::remove_query(const std::string& session_id,
                                                     const std::string& query_id) {
  std::lock_guard lock(mutex_);
  Session& session = live_session(session_id);
  auto it = session.queries.find(query_id);
  if (it == session.queries.end()) return nullptr;
  const bool idle = clock_() - it->second.last_used > query_idle_timeout_;
  auto query = std::move(it->second.query);
  session.queries.erase(it);
  if (idle) {
    query->cancel();
    return nullptr;  // it was already gone as far as clients can tell
  }
  return query;
}

std::size_t SessionRegistry::expire_idle() {
  std::vector<std::shared_ptr<Query>> released;  // destroyed outside the lock
  std::size_t expired = 0;
  {
    std::lock_guard lock(mutex_);
    const auto now = clock_();
    for (auto it = sessions_.begin(); it != sessions_.end();) {
      if (now - it->second.last_used > idle_timeout_) {
        for (auto& [id, tracked] : it->second.queries) {
          tracked.query->end_with_session();
          released.push_back(std::move(tracked.query));
        }
        it = sessions_.erase(it);
        ++expired;
      } else {
        ++it;
      }
    }
  }
  return expired;
}

std::size_t SessionRegistry::expire_idle_queries() {
  std::vector<std::shared_ptr<Query>> released;  // destroyed outside the lock
  {
    std::lock_guard lock(mutex_);
    const auto now = clock_();
    for (auto& [session_id, session] : sessions_) {
      for (auto it = session.queries.begin(); it != session.queries.end();) {
        if (now - it->second.last_used > query_idle_timeout_) {
          it->second.query->cancel();
          released.push_back(std::move(it->second.query));
          it = session.queries.erase(it);
        } else {
          ++it;
        }
      }
    }
  }
  return released.size();
}

std::size_t SessionRegistry::expire_all() {
  std::vector<std::shared_ptr<Query>> released;  // destroyed outside the lock
  std::size_t expired = 0;
  {
    std::lock_guard lock(mutex_);
    for (auto& [id, session] : sessions_) {
      for (auto& [query_id, tracked] : session.queries) {
        tracked.query->end_with_session();
        released.push_back(std::move(tracked.query));
      }
      ++expired;
    }
    sessions_.clear();
  }
  return expired;
}

std::int64_t SessionRegistry::session_count() {
  std::lock_guard lock(mutex_);
  const auto now = clock_();
  std::int64_t n = 0;
  for (const auto& [id, session] : sessions_) n += now - session.last_used <= idle_timeout_;
  return n;
}

std::int64_t SessionRegistry::query_count() {
  std::lock_guard lock(mutex_);
  const auto now = clock_();
  std::int64_t n = 0;
  for (const auto& [id, session] : sessions_) {
    if (now - session.last_used > idle_timeout_) continue;
    for (const auto& [query_id, tracked] : session.queries) {
      n += now - tracked.last_used <= query_idle_timeout_;
    }
  }
  return n;
}

}  // namespace e6data::devserver

#pragma once
// Queries whose result was read to the end but whose cursor is kept (PROTOCOL.md §6, server-side
// hygiene). Such a query keeps its server handle, so that status() and explain_analyze() still
// work, until its cursor is reused, cleared or destroyed. But a deployment drains only when no
// query is open on it: a kept cursor would hold every later switch for the whole drain timeout.
// So when a switch away from a parked query's deployment is announced, the query is handed to a
// thread of this object that clears it on the server at once, off the caller's path.
//
// The owner of a parked query takes it back with unpark() before it clears it itself; a query
// already handed over is cleared by this object and must not be cleared again. The same thread
// clears the queries the connector forgets (clear_later), so no caller waits for those clears.
//
// Thread safety: every method may run on any thread.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "strategy/call_runner.hpp"
#include "strategy/endpoint_state.hpp"

namespace e6data::detail {

struct ParkedQuery {
  strategy::Route route;  // where the query ran (deployment and session)
  std::string query_id;
  std::string engine_ip;
  // Cancel before the clear: a forgotten query may still be running (its call was cancelled or
  // ran out of time), and an engine may go on computing a query that is only cleared.
  bool cancel_first = false;
};

class ParkedQueries {
 public:
  // A parked query as its owner holds it.
  class Ticket {
   public:
    explicit Ticket(ParkedQuery q) : query_(std::move(q)) {}
    const ParkedQuery& query() const noexcept { return query_; }
    // True once the query was handed over to be cleared off the owner's path.
    bool handed_over() const noexcept { return handed_over_.load(); }

   private:
    friend class ParkedQueries;
    ParkedQuery query_;
    std::atomic<bool> handed_over_{false};
  };

  // `clear(query)` sends one best-effort clear, bounded in time, and never throws.
  using Clear = std::function<void(const ParkedQuery&)>;

  ParkedQueries(std::shared_ptr<strategy::EndpointState> endpoint, Clear clear);
  // Stops listening, then lets the clearing thread finish what it was handed (each clear is
  // bounded) and joins it.
  ~ParkedQueries();
  ParkedQueries(const ParkedQueries&) = delete;
  ParkedQueries& operator=(const ParkedQueries&) = delete;

  // Parks an exhausted query. When a switch away from its deployment was announced already, it
  // is handed over at once (the returned ticket says so).
  std::shared_ptr<Ticket> park(ParkedQuery query);
  // Clears a query the connector forgot (lost in a switch, cancelled, undecodable) off the
  // caller's path.
  void clear_later(ParkedQuery query);
  // The owner lets go of a parked query (its cursor is reused, cleared or destroyed): the query is
  // cleared here, off the owner's path (issue #15 item 4: a short query's last round trip is not
  // the caller's), unless it was handed over already.
  void release(const std::shared_ptr<Ticket>& ticket);
  // Takes a parked query back for its owner. True when the owner still holds the server handle
  // (and may clear it); false when it was handed over (cleared, or being cleared, here).
  bool unpark(const std::shared_ptr<Ticket>& ticket);

  std::size_t parked() const;
  // How many queries were cleared off their owners' paths (tests and diagnostics).
  std::uint64_t cleared() const noexcept { return cleared_.load(); }
  // Waits until nothing handed over is still waiting to be cleared (tests).
  void wait_idle() const;
  // The same, for at most `bound`; false when clears were still waiting then (Connection::close).
  bool wait_idle_for(std::chrono::milliseconds bound) const;

 private:
  void on_switch_announced(strategy::Deployment retiring);
  // Moves the ticket to the clearing queue; requires mutex_.
  void hand_over_locked(const std::shared_ptr<Ticket>& ticket);
  void clear_in_background();

  const std::shared_ptr<strategy::EndpointState> endpoint_;
  const Clear clear_;
  std::uint64_t listener_id_ = 0;

  mutable std::mutex mutex_;
  mutable std::condition_variable changed_;
  std::list<std::shared_ptr<Ticket>> parked_;
  std::deque<std::shared_ptr<Ticket>> to_clear_;
  bool clearing_ = false;  // the thread is inside a clear
  bool stopping_ = false;
  std::thread worker_;  // started at the first hand-over
  std::atomic<std::uint64_t> cleared_{0};
};

}  // namespace e6data::detail

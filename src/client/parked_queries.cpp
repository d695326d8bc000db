#include "client/parked_queries.hpp"

#include <algorithm>

namespace e6data::detail {

ParkedQueries::ParkedQueries(std::shared_ptr<strategy::EndpointState> endpoint, Clear clear)
    : endpoint_(std::move(endpoint)), clear_(std::move(clear)) {
  listener_id_ = endpoint_->add_switch_listener(
      [this](strategy::Deployment retiring) { on_switch_announced(retiring); });
}

ParkedQueries::~ParkedQueries() {
  endpoint_->remove_switch_listener(listener_id_);  // no listener call runs after this
  std::thread worker;
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    worker = std::move(worker_);
  }
  changed_.notify_all();
  if (worker.joinable()) worker.join();
}

std::shared_ptr<ParkedQueries::Ticket> ParkedQueries::park(ParkedQuery query) {
  auto ticket = std::make_shared<Ticket>(std::move(query));
  std::lock_guard lock(mutex_);
  // Checked under the lock: an announcement either is visible here, or its listener runs after
  // this insertion and finds the ticket.
  const strategy::StrategyWord w = endpoint_->word();
  const strategy::Deployment d = ticket->query_.route.deployment;
  if (w.pending != strategy::Deployment::kNone && w.active == d && w.pending != d) {
    hand_over_locked(ticket);
  } else {
    parked_.push_back(ticket);
  }
  return ticket;
}

void ParkedQueries::clear_later(ParkedQuery query) {
  query.cancel_first = true;
  auto ticket = std::make_shared<Ticket>(std::move(query));
  std::lock_guard lock(mutex_);
  hand_over_locked(ticket);
}

void ParkedQueries::release(const std::shared_ptr<Ticket>& ticket) {
  if (!ticket) return;
  std::lock_guard lock(mutex_);
  if (ticket->handed_over_.load()) return;  // cleared, or being cleared, already
  parked_.remove(ticket);
  hand_over_locked(ticket);
}

bool ParkedQueries::unpark(const std::shared_ptr<Ticket>& ticket) {
  if (!ticket) return true;
  std::lock_guard lock(mutex_);
  if (ticket->handed_over_.load()) return false;
  parked_.remove(ticket);
  return true;
}

std::size_t ParkedQueries::parked() const {
  std::lock_guard lock(mutex_);
  return parked_.size();
}

void ParkedQueries::wait_idle() const {
  std::unique_lock lock(mutex_);
  changed_.wait(lock, [this] { return to_clear_.empty() && !clearing_; });
}

bool ParkedQueries::wait_idle_for(std::chrono::milliseconds bound) const {
  std::unique_lock lock(mutex_);
  return changed_.wait_for(lock, bound, [this] { return to_clear_.empty() && !clearing_; });
}

void ParkedQueries::on_switch_announced(strategy::Deployment retiring) {
  std::lock_guard lock(mutex_);
  for (auto it = parked_.begin(); it != parked_.end();) {
    if ((*it)->query_.route.deployment == retiring) {
      hand_over_locked(*it);
      it = parked_.erase(it);
    } else {
      ++it;
    }
  }
}

void ParkedQueries::hand_over_locked(const std::shared_ptr<Ticket>& ticket) {
  ticket->handed_over_ = true;
  to_clear_.push_back(ticket);
  if (!worker_.joinable() && !stopping_) {
    worker_ = std::thread([this] { clear_in_background(); });
  }
  changed_.notify_all();
}

void ParkedQueries::clear_in_background() {
  std::unique_lock lock(mutex_);
  for (;;) {
    changed_.wait(lock, [this] { return stopping_ || !to_clear_.empty(); });
    // What was handed over is cleared even when stopping: each clear is bounded, and a query left
    // open holds its deployment's drain.
    if (to_clear_.empty()) return;
    const std::shared_ptr<Ticket> ticket = to_clear_.front();
    to_clear_.pop_front();
    clearing_ = true;
    lock.unlock();
    clear_(ticket->query_);
    cleared_.fetch_add(1);
    lock.lock();
    clearing_ = false;
    changed_.notify_all();
  }
}

}  // namespace e6data::detail

#include "client/download_ahead.hpp"

#include <algorithm>

#include "rpc/cancel_state.hpp"

namespace e6data::detail {

std::size_t decoded_bytes(const Batch& batch) {
  std::size_t total = 0;
  for (std::size_t c = 0; c < batch.num_columns(); ++c) {
    const ColumnView column = batch.column(c);
    // A constant column stores one value for all its rows.
    const std::int64_t stored =
        column.is_constant() ? std::min<std::int64_t>(column.size(), 1) : column.size();
    const auto n = static_cast<std::size_t>(stored);
    total += n;  // null flags
    switch (column.physical_type()) {
      case PhysicalType::kNone:
        break;
      case PhysicalType::kBool:
        total += n;
        break;
      case PhysicalType::kInt32:
        total += n * sizeof(std::int32_t);
        break;
      case PhysicalType::kInt64:
        total += n * sizeof(std::int64_t);
        break;
      case PhysicalType::kDouble:
        total += n * sizeof(double);
        break;
      case PhysicalType::kDecimal128:
        total += n * sizeof(int128);
        break;
      case PhysicalType::kBytes:
        total += (n + 1) * sizeof(std::uint32_t);
        for (std::int64_t row = 0; row < stored; ++row) {
          if (!column.is_null(row)) total += column.string_at(row).size();
        }
        break;
    }
  }
  return total;
}

DownloadAhead::DownloadAhead(Limits limits, Fetch fetch, std::size_t handed_bytes)
    : limits_(limits),
      fetch_(std::move(fetch)),
      held_bytes_(handed_bytes),
      handed_bytes_(handed_bytes),
      peak_bytes_(handed_bytes),
      thread_([this] { run(); }) {}

DownloadAhead::~DownloadAhead() {
  interrupt();
  thread_.join();
}

void DownloadAhead::interrupt() noexcept {
  {
    std::lock_guard lock(mutex_);
    interrupted_ = true;
  }
  changed_.notify_all();
  // Cuts the call in flight (gRPC cancels it on the wire); the fetch then returns or throws.
  stop_->cancel();
}

std::size_t DownloadAhead::peak_bytes() const {
  std::lock_guard lock(mutex_);
  return peak_bytes_;
}

void DownloadAhead::run() {
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      changed_.wait(lock, [&] {
        return interrupted_ || (ready_.size() < limits_.responses && held_bytes_ < limits_.bytes);
      });
      if (interrupted_) break;
    }
    FetchedResponse response;
    try {
      response = fetch_(stop_);
    } catch (...) {
      response = FetchedResponse{};
      response.error = std::current_exception();
    }
    const bool last = response.end || response.error || response.nothing_ready;
    {
      std::lock_guard lock(mutex_);
      response.cut = interrupted_;
      held_bytes_ += response.decoded_bytes;
      peak_bytes_ = std::max(peak_bytes_, held_bytes_);
      ready_.push_back(std::move(response));
      if (last) done_ = true;
    }
    changed_.notify_all();
    if (last) return;
  }
  {
    std::lock_guard lock(mutex_);
    done_ = true;
  }
  changed_.notify_all();
}

DownloadAhead::Wait DownloadAhead::next(std::chrono::steady_clock::time_point until,
                                        const CancellationToken* caller, FetchedResponse& out) {
  // While this waits, the caller's token interrupts the downloading (as it would cut the call the
  // caller would otherwise be making).
  struct CallerHook {
    std::shared_ptr<CancelState> state;
    ~CallerHook() {
      if (!state) return;
      std::lock_guard lock(state->mutex);
      state->on_cancel = nullptr;
    }
  } hook;
  if (caller != nullptr) {
    hook.state = caller->state();
    std::lock_guard lock(hook.state->mutex);
    hook.state->on_cancel = [this] { interrupt(); };
  }
  if (caller != nullptr && caller->is_cancelled()) interrupt();

  std::unique_lock lock(mutex_);
  held_bytes_ -= handed_bytes_;  // the previous response was handed over whole
  handed_bytes_ = 0;
  changed_.notify_all();
  bool deadline_passed = false;
  for (;;) {
    if (!ready_.empty()) {
      out = std::move(ready_.front());
      ready_.pop_front();
      handed_bytes_ = out.decoded_bytes;
      changed_.notify_all();
      return Wait::kResponse;
    }
    if (done_) return deadline_passed ? Wait::kDeadline : Wait::kInterrupted;
    if (interrupted_ || deadline_passed) {
      // Stopped: wait for the fetch in flight (cut, it returns promptly) or the thread's end.
      changed_.wait(lock);
      continue;
    }
    if (changed_.wait_until(lock, until) == std::cv_status::timeout && ready_.empty() && !done_) {
      deadline_passed = true;
      lock.unlock();
      interrupt();
      lock.lock();
    }
  }
}

}  // namespace e6data::detail

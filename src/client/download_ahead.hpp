#pragma once
// A query's bounded download-ahead (issue #15 item 3): while the caller works on the rows it has,
// one background thread fetches the query's next responses and decodes them, so that the network,
// the decoding and the caller's work overlap.
//
// Bounds: at most `responses` fetched responses wait ahead of the caller, and no fetch starts
// while the responses held (those waiting and the one being handed over) weigh `bytes` or more
// (decoded). A query's result thus never holds more than `bytes` plus one response. One fetch is
// in flight at a time (PROTOCOL.md §5.3).
//
// The download-ahead knows nothing of the query's rules: `fetch` runs one fetch (its own retries
// on "nothing ready" included) and returns what it read, or throws. A failure is kept in order
// and stops the downloading: the query sees it when it reaches that position, exactly as if it
// had made the call then, and decides there (re-run, fall back, position unknown). The fetch
// that failed is never repeated here.
//
// Thread safety: one owner thread calls next() and the destructor; interrupt() may run on any
// thread at any time.

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "e6data/batch.hpp"
#include "e6data/query_options.hpp"

namespace e6data::detail {

// What one fetch read: its batches with rows, in order, and whether it ended the result; or the
// failure of the fetch (in `error`, the rest empty).
struct FetchedResponse {
  std::vector<Batch> batches;
  bool end = false;
  std::size_t decoded_bytes = 0;
  std::size_t wire_bytes = 0;
  // Set when the response named another session for the query's later fetches and its clear
  // (a non-empty V2 sessionId that differs: PROTOCOL.md §5.3); empty when unchanged.
  std::string session;
  std::exception_ptr error;
  // Nothing was ready before the fetch's deadline, or it was stopped while it waited for rows:
  // nothing was consumed, and nothing more is fetched.
  bool nothing_ready = false;
  // The download-ahead was interrupted while this fetch was in flight: its call may have been cut
  // (then `error` says so; a fetch that completed all the same is whole).
  bool cut = false;
};

// The decoded size of a batch: its values, offsets, string bytes and null flags.
std::size_t decoded_bytes(const Batch& batch);

class DownloadAhead {
 public:
  struct Limits {
    std::size_t responses = 2;
    std::size_t bytes = std::size_t{64} << 20;
  };
  // Runs one fetch with `stop` as its cancellation token (cancelled when the download-ahead is
  // interrupted or destroyed, which cuts the call in flight). Called on the background thread.
  using Fetch = std::function<FetchedResponse(const std::shared_ptr<CancellationToken>& stop)>;

  // How next() ended.
  enum class Wait {
    kResponse,     // `out` holds the next response (or the failure at that position)
    kInterrupted,  // interrupt() (or the caller's token) stopped it with no fetch in flight:
                   // nothing was consumed
    kDeadline,     // the deadline passed with no fetch in flight: nothing was consumed
  };

  // Starts the background thread, which begins fetching at once. `handed_bytes`: the decoded size
  // of the response the caller is being handed (fetched on its own path), counted until the
  // first next().
  DownloadAhead(Limits limits, Fetch fetch, std::size_t handed_bytes);
  // Interrupts and joins: returns once no fetch runs and none will.
  ~DownloadAhead();
  DownloadAhead(const DownloadAhead&) = delete;
  DownloadAhead& operator=(const DownloadAhead&) = delete;

  // The next response, in order. The previous one counts as handed over from now on (its bytes no
  // longer hold back the next fetch). Waits until `until`; a cancelled `caller` token interrupts
  // the wait. At `until` or on interruption, a fetch in flight is cut (its call cancelled) and its
  // outcome returned (kResponse, with `cut` set); with none in flight nothing was consumed
  // (kDeadline / kInterrupted). After a response that ended the result or failed, and after
  // kDeadline / kInterrupted, nothing more is fetched.
  Wait next(std::chrono::steady_clock::time_point until, const CancellationToken* caller,
            FetchedResponse& out);

  // Stops the downloading: cuts the fetch in flight, starts none. Any thread; never blocks on the
  // network.
  void interrupt() noexcept;

  // For tests and measurements: the most bytes the responses held at once (decoded) and how many
  // fetches were made.
  std::size_t peak_bytes() const;

 private:
  void run();

  const Limits limits_;
  const Fetch fetch_;
  const std::shared_ptr<CancellationToken> stop_ = std::make_shared<CancellationToken>();

  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<FetchedResponse> ready_;  // fetched, not yet taken by next()
  std::size_t held_bytes_ = 0;         // ready_ and the response last taken by next()
  std::size_t handed_bytes_ = 0;       // the response last taken by next()
  std::size_t peak_bytes_ = 0;
  bool interrupted_ = false;
  bool done_ = false;  // the thread fetches no more

  std::thread thread_;  // last: starts once everything it uses exists
};

}  // namespace e6data::detail

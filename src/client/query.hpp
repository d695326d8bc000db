#pragma once
// One query's calls and fate (DESIGN.md "one query, end to end"). A Cursor owns one Query and
// reuses it for each statement; the Query owns everything the connector knows about the current
// statement: its text and parameters, where it runs (route, binding, query id, engine), what is
// known of its outcome (never sent / sent with an unknown outcome / ran), how many rows the
// caller has seen, and whether the result's position is still known.
//
// Every call on the query goes through the connection's CallRunner, inside one deadline per
// call. When a call fails, strategy::judge_failed_query (recovery.hpp) decides: run it again
// transparently, report it lost, report an unknown outcome, or report the call's own error. After
// any failure that may have consumed rows on the server, later fetches are refused without a call
// (kResultPositionUnknown) instead of silently skipping rows.
//
// Download-ahead (ConnectionOptions::download_ahead > 0): after the first response of a result,
// a DownloadAhead fetches the next responses in the background while the caller works on the
// rows at hand. It only calls and decodes; every decision (re-run, fall back to V1, position
// unknown) is still made here, on the owner's thread, when the caller reaches the response or
// failure at that position, so the rules are those of the blocking path. The query's route,
// binding, id and fetch form do not change while it runs: everything that changes them stops it
// first (stop_download()).
//
// Thread safety: one thread uses a Query at a time (the cursor's), except cancel(), which may run
// on any thread at any time; the identity it reads, and the download-ahead it interrupts, are
// guarded by identity_mutex_. The download-ahead's thread reads the identity without the lock:
// nothing writes it while that thread runs.

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "client/connection_state.hpp"
#include "client/download_ahead.hpp"
#include "e6data/batch.hpp"
#include "e6data/cursor.hpp"
#include "e6data/query_options.hpp"
#include "e6data/schema.hpp"

namespace e6data::detail {

class Query {
 public:
  // How much of a read begun on a retiring deployment is read ahead (wire bytes) before its
  // first row is handed over; past it, the rest streams (and a cut would be reported).
  static constexpr std::size_t kReadAheadBudget = std::size_t{16} << 20;
  // A V2 response with no chunks and no end of stream means "nothing ready yet" (PROTOCOL.md
  // §5.3): the next fetch waits this long, doubling up to the cap, within the call's deadline.
  static constexpr std::chrono::milliseconds kFirstEmptyPause{2};
  static constexpr std::chrono::milliseconds kMaxEmptyPause{100};

  Query(std::shared_ptr<ConnectionState> connection, std::string catalog, std::string database);
  ~Query();
  Query(const Query&) = delete;
  Query& operator=(const Query&) = delete;

  ConnectionState& connection() const noexcept { return *connection_; }
  const std::string& catalog() const noexcept { return catalog_; }

  // Runs a new statement (prepare, execute, result metadata), re-running it when the rules allow.
  // `parameters` are the typed parameters of the catalog call form (empty for the V1 form).
  void start(std::string sql, std::vector<ParameterValue> parameters, const QueryOptions& options);

  // The next batch of the result; nullopt at its end.
  std::optional<Batch> next_batch(const QueryOptions& options);

  QueryStatus status(const QueryOptions& options);
  std::string explain(const QueryOptions& options);
  ExplainAnalyzeResult explain_analyze(const QueryOptions& options);

  // Cancels the query on the server and releases its binding; wins over a re-run in progress.
  // May run on any thread.
  void cancel(const QueryOptions& options);
  // Clears the query on the server and forgets it. A query whose result was read to the end is
  // cleared off the caller's path (by the connection's clearing thread, within the clean-up
  // bound). Otherwise the clear is the caller's call and throws its error (the query is forgotten
  // first either way), except when its deployment or session is gone (nothing left).
  void clear(const QueryOptions& options);
  // Best effort, for destructors: a clear bounded by ConnectionOptions::cleanup_timeout; never
  // throws.
  void clear_quietly() noexcept;

  bool has_query() const;
  const std::vector<ColumnInfo>& columns() const noexcept { return columns_; }
  std::int64_t row_count() const noexcept { return row_count_; }
  const std::string& query_id() const noexcept { return query_id_; }
  // The deployment the query is bound to ("blue", "green"), or "" without a query.
  std::string_view deployment() const noexcept {
    return binding_ ? strategy::to_string(binding_->deployment()) : std::string_view{};
  }

 private:
  // What the connector knows of the statement's outcome.
  enum class Outcome { kNotSent, kExecuteSent, kRan };
  // How the current run's result is fetched (PROTOCOL.md §5.3), decided at its first fetch.
  enum class FetchForm { kUndecided, kV1, kV2 };

  strategy::TimePoint deadline(const QueryOptions& options, bool long_call) const;
  rpc::CallOptions call(strategy::TimePoint deadline, const QueryOptions& options) const;
  template <typename Request>
  Request request() const;
  template <typename Call>
  auto bound_call(Call&& call, strategy::Repeat repeat, strategy::TimePoint deadline);

  void run_from_start(strategy::TimePoint deadline, const QueryOptions& options);
  void prepare(strategy::TimePoint deadline, const QueryOptions& options);
  void execute_and_describe(strategy::TimePoint deadline, const QueryOptions& options);
  // A call of the query failed with `e` at `stage`: returns false when the statement may run
  // again (the old query forgotten), true when it ran and only its result is lost; otherwise
  // throws what the caller must see. In a catch block.
  bool judge(const Error& e, strategy::QueryStage stage, const char* operation);
  // One fetch from the server (re-running the statement when the rules allow; again after an
  // empty V2 response): appends its batches with rows to read_ahead_, in order, and returns true,
  // or returns false at the end of the result. Adds the response's wire size to `bytes`.
  bool fetch_more(strategy::TimePoint until, const QueryOptions& options, std::size_t& bytes);
  // One call and the decoding of its answer, changing nothing of the query (the download-ahead's
  // thread runs it too). Throws the call's Error, or DecodeError.
  // One fetch with `session` (the query's fetch session). Safe on the download-ahead's thread: it
  // reads only what stays fixed while the downloading runs.
  FetchedResponse fetch_response(strategy::TimePoint until, const QueryOptions& options,
                                 const std::string& session) const;
  // How a fetch takes the router's refusal (456) on a deployment being left: a query that can no
  // longer run again transparently (rows were delivered, or a statement with side effects ran)
  // still holds that deployment's drain, so the refusal is ridden out within the lag window
  // (strategy::Refused::kRideOut); any other goes to judge() at once, which runs it again.
  strategy::Refused fetch_refusals() const noexcept;
  // The session the query's fetches and its clear use: the route's, until a V2 response names
  // another (PROTOCOL.md §5.3).
  const std::string& fetch_session() const noexcept {
    return fetch_session_.empty() ? route_.session : fetch_session_;
  }
  // Keeps an answered fetch's batches in read_ahead_ and, at the end, lets go of the deployment.
  // Returns false at the end of the result.
  bool accept(FetchedResponse response);
  // A fetch failed with `e`: returns once the query can fetch again (it falls back to V1, or the
  // statement ran again from the start); otherwise throws what the caller must see.
  void recover_from_failed_fetch(const Error& e, strategy::TimePoint until,
                                 const QueryOptions& options);
  // A response could not be decoded: it was consumed, so the result's position is unknown.
  void lose_position_to(const DecodeError& e);
  // A fetch that may have consumed rows failed: the result's position is unknown (`why`).
  void lose_position_after_fetch(std::string why);
  // Download-ahead: starts it after a fetch that did not end the result (when enabled), takes
  // its next response at the caller's position, and stops it (joins its thread).
  void start_download(const QueryOptions& options);
  void take_downloaded(strategy::TimePoint until, const QueryOptions& options);
  void stop_download() noexcept;
  FetchForm choose_fetch_form() const;
  // A V2 fetch failed with `e`: true when the query goes on with V1 (UNIMPLEMENTED under "auto"
  // before anything of the result was fetched), the deployment then remembered as V1-only.
  bool fall_back_to_v1(const Error& e);
  // Decodes every chunk of a response before keeping any (a malformed one consumes the result's
  // position, and no part of the response is handed over): those with rows, in order, into
  // `out`. A zero-byte element is malformed. Throws DecodeError; changes nothing of the query.
  void decode_chunks(const std::vector<std::string_view>& chunks, FetchedResponse& out) const;
  Batch take_read_ahead();
  // Hands a batch to the caller (from then on, its rows count as delivered).
  Batch deliver(Batch batch);
  // After a start: a read on a deployment that a pending switch retires is read ahead.
  void note_where_the_read_runs();
  [[noreturn]] void refuse_unknown_position(const char* operation) const;
  void require_query(const char* operation) const;
  void throw_if_cancelled(const char* operation) const;
  void release_binding();
  // Takes the query back from the parked set: false when it was cleared off the caller's path
  // (after a switch away from its deployment was announced), so nothing is left to clear.
  bool take_back_parked();
  // Refuses a call on a query that was cleared off the caller's path.
  void require_server_handle(const char* operation) const;
  // Forgets the current query; when `clear_on_server` and it may still exist there, hands it to
  // the connection's background clear (bounded by the clean-up timeout, off the caller's path).
  void forget(bool clear_on_server);

  std::shared_ptr<ConnectionState> connection_;
  const std::string catalog_;
  const std::string database_;

  // The statement, kept so that a query lost in a switch can run again.
  std::string sql_;
  std::vector<ParameterValue> parameters_;
  bool is_read_ = false;
  int reruns_ = 0;
  // The caller has been handed rows of this statement. Atomic: the download-ahead's fetches read
  // it (fetch_refusals()) while the owner delivers.
  std::atomic<bool> rows_delivered_{false};
  Outcome outcome_ = Outcome::kNotSent;

  // Where the current query runs. Written by the owning thread under identity_mutex_; cancel()
  // reads it under the same lock.
  mutable std::mutex identity_mutex_;
  strategy::Route route_;
  std::string fetch_session_;  // see fetch_session(); owner thread only
  // The responses fetches parse into, kept across the query's fetches so that their buffers are
  // reused (see EngineClient::next_batch_into). Used by one fetch at a time: the caller's, or the
  // download-ahead's while it runs (started after, and joined before, the caller's own fetches).
  // Released when the result ends.
  mutable GetNextResultBatchV2Response v2_response_;
  mutable GetNextResultBatchResponse v1_response_;
  std::shared_ptr<strategy::QueryBinding> binding_;
  std::string query_id_;
  std::string engine_ip_;
  std::atomic<bool> cancelled_{false};  // cancel() was called for the current statement
  std::atomic<bool> started_{false};    // a statement was ever started

  std::vector<ColumnInfo> columns_;
  std::int64_t row_count_ = -1;
  bool exhausted_ = true;
  FetchForm fetch_form_ = FetchForm::kUndecided;
  bool fetched_ = false;  // a fetch of the current run was answered (its result was touched)
  // Batches fetched and not yet handed over: the rest of a V2 response, or a read begun on a
  // retiring deployment read ahead of the caller; and whether the next fetch should read ahead.
  std::deque<Batch> read_ahead_;
  bool read_ahead_wanted_ = false;
  // The background fetches of the current result, when running (see the note above). Reset only
  // under identity_mutex_, so that cancel() can interrupt it from another thread.
  std::unique_ptr<DownloadAhead> download_;
  // Set while the result is read to the end and the server handle kept (see parked_queries.hpp).
  std::shared_ptr<ParkedQueries::Ticket> parked_;
  // Set after a failure that may have consumed rows: why, for the refusal of later fetches.
  std::string unknown_position_;
};

}  // namespace e6data::detail

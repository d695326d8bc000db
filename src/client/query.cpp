#include "client/query.hpp"

#include <algorithm>

#include "client/statement_kind.hpp"
#include "e6data/decode.hpp"
#include "log/logger.hpp"
#include "rpc/call_forms.hpp"

namespace e6data::detail {
namespace {

using strategy::QueryStage;
using strategy::QueryVerdict;

std::string deployment_name(strategy::Deployment d) {
  return std::string(strategy::to_string(d));
}

// What a fetch lambda hands the runner for a response parsed into a kept object: the runner
// reads its `new_strategy` hint (CallRunner::observe) without copying the response's chunks.
template <typename Response>
struct ParsedInto {
  const Response* response;
  const std::string& new_strategy() const { return response->new_strategy(); }
};

}  // namespace

Query::Query(std::shared_ptr<ConnectionState> connection, std::string catalog, std::string database)
    : connection_(std::move(connection)),
      catalog_(std::move(catalog)),
      database_(std::move(database)) {}

Query::~Query() {
  stop_download();
  (void)take_back_parked();
  release_binding();
}

strategy::TimePoint Query::deadline(const QueryOptions& options, bool long_call) const {
  return connection_->deadline_for(options, long_call);
}

rpc::CallOptions Query::call(strategy::TimePoint deadline, const QueryOptions& options) const {
  return connection_->call_options(route_, deadline, options, query_id_, engine_ip_);
}

template <typename Request>
Request Query::request() const {
  Request req;
  req.set_engineip(engine_ip_);
  req.set_sessionid(route_.session);
  req.set_queryid(query_id_);
  return req;
}

template <typename Call>
auto Query::bound_call(Call&& call, strategy::Repeat repeat, strategy::TimePoint deadline) {
  return connection_->runner.call_bound(
      route_, *binding_, [&](const strategy::Route&) { return call(); }, repeat, deadline);
}

bool Query::has_query() const {
  std::lock_guard lock(identity_mutex_);
  return !query_id_.empty();
}

void Query::require_query(const char* operation) const {
  if (query_id_.empty() && unknown_position_.empty()) {
    throw UsageError(std::string("Cursor::") + operation + ": no query; call execute() first");
  }
}

void Query::throw_if_cancelled(const char* operation) const {
  if (cancelled_.load()) {
    throw CancelledError(ErrorKind::kCancelled,
                         std::string(operation) + ": the query was cancelled by the caller");
  }
}

void Query::refuse_unknown_position(const char* operation) const {
  throw QueryError(ErrorKind::kResultPositionUnknown,
                   std::string("Cursor::") + operation +
                       ": the result's position is unknown after an earlier failure (" +
                       unknown_position_ +
                       "); rows could be missing, so no more are fetched. Run the statement "
                       "again to read its result");
}

void Query::release_binding() {
  stop_download();  // its calls use the binding
  std::shared_ptr<strategy::QueryBinding> binding;
  {
    std::lock_guard lock(identity_mutex_);
    binding = std::move(binding_);
  }
  if (binding) connection_->endpoint->release(*binding);
}

bool Query::take_back_parked() {
  if (!parked_) return true;
  const bool held = connection_->parked.unpark(parked_);
  parked_.reset();
  return held;
}

void Query::require_server_handle(const char* operation) const {
  if (parked_ && parked_->handed_over()) {
    throw QueryError(ErrorKind::kStrategyChanged,
                     std::string("Cursor::") + operation + ": query " + query_id_ +
                         " was cleared on the server when a switch away from the " +
                         deployment_name(route_.deployment) +
                         " deployment was announced (its result had been read to the end, so "
                         "it no longer held its deployment's drain); run the statement again");
  }
}

void Query::forget(bool clear_on_server) {
  stop_download();
  const bool held = take_back_parked();
  if (clear_on_server && held && !query_id_.empty()) {
    // Off the caller's path: the caller is about to re-run the statement or get an error, and
    // the clear may need to outlast a refusing router (see ConnectionState::clear_parked).
    strategy::Route where = route_;
    where.session = fetch_session();
    connection_->parked.clear_later({where, query_id_, engine_ip_});
  }
  release_binding();
  {
    std::lock_guard lock(identity_mutex_);
    query_id_.clear();
    engine_ip_.clear();
  }
  columns_.clear();
  row_count_ = -1;
  exhausted_ = true;
  v2_response_ = GetNextResultBatchV2Response();  // no fetch runs: stop_download() joined it
  v1_response_ = GetNextResultBatchResponse();
  read_ahead_.clear();
  read_ahead_wanted_ = false;
  fetch_form_ = FetchForm::kUndecided;
  fetched_ = false;
  outcome_ = Outcome::kNotSent;
}

void Query::start(std::string sql, std::vector<ParameterValue> parameters,
                  const QueryOptions& options) {
  const strategy::TimePoint until = deadline(options, true);
  sql_ = std::move(sql);
  parameters_ = std::move(parameters);
  is_read_ = statement_is_read(sql_);
  stop_download();
  reruns_ = 0;
  rows_delivered_ = false;
  unknown_position_.clear();
  cancelled_ = false;
  started_ = true;
  run_from_start(until, options);
}

void Query::run_from_start(strategy::TimePoint until, const QueryOptions& options) {
  for (;;) {
    throw_if_cancelled("Cursor::execute");
    prepare(until, options);
    try {
      execute_and_describe(until, options);
      note_where_the_read_runs();
      return;
    } catch (const Error& e) {
      if (judge(e, outcome_ == Outcome::kRan ? QueryStage::kMetadata : QueryStage::kExecute,
                "execute")) {
        return;  // the statement ran; its result was lost (later fetches say so)
      }
    }
  }
}

void Query::prepare(strategy::TimePoint until, const QueryOptions& options) {
  auto& conn = *connection_;
  auto prepared = conn.runner.run_bound(
      [&](const strategy::Route& r) {
        return rpc::prepare_statement(conn.client, r.session, catalog_, database_, sql_,
                                      conn.call_options(r, until, options));
      },
      until);
  {
    std::lock_guard lock(identity_mutex_);
    route_ = std::move(prepared.route);
    fetch_session_.clear();
    binding_ = std::move(prepared.binding);
    query_id_ = prepared.response.queryid();
    engine_ip_ = prepared.response.engineip();
  }
  outcome_ = Outcome::kNotSent;
  if (cancelled_.load()) {  // cancel() ran while this prepare was in flight: it wins
    forget(true);
    throw_if_cancelled("Cursor::execute");
  }
}

void Query::execute_and_describe(strategy::TimePoint until, const QueryOptions& options) {
  auto& conn = *connection_;
  outcome_ = Outcome::kExecuteSent;
  bound_call(
      [&] {
        return rpc::execute_statement(conn.client, !catalog_.empty(), engine_ip_, route_.session,
                                      query_id_, parameters_, call(until, options));
      },
      strategy::Repeat::kUnsafe, until);
  outcome_ = Outcome::kRan;
  const auto req = request<GetResultMetadataRequest>();
  const auto meta =
      bound_call([&] { return conn.client.result_metadata(req, call(until, options)); },
                 strategy::Repeat::kSafe, until);
  ResultSchema schema = decode_result_metadata(meta.resultmetadata());
  columns_ = std::move(schema.columns);
  row_count_ = schema.row_count;
  exhausted_ = false;
  fetch_form_ = FetchForm::kUndecided;
  fetched_ = false;
}

bool Query::judge(const Error& e, QueryStage stage, const char* operation) {
  using strategy::Recovery;
  auto& endpoint = *connection_->endpoint;
  const strategy::Route lost_route = route_;
  const std::string lost_query = query_id_;
  const FailureCause cause = e.cause();
  // What the failure says about the deployment and session, whatever the query's fate.
  switch (strategy::recovery_for(cause)) {
    case Recovery::kWrongDeployment:
      endpoint.counters().recoveries_456.fetch_add(1);
      endpoint.on_wrong_deployment(lost_route.deployment, lost_route.generation);
      connection_->runner.forget(lost_route);
      break;
    case Recovery::kSessionLost:
      endpoint.counters().reauthentications.fetch_add(1);
      connection_->runner.forget(lost_route);
      break;
    default:
      break;
  }
  QueryVerdict verdict =
      strategy::judge_failed_query(cause, stage, is_read_, rows_delivered_, reruns_);
  if (verdict == QueryVerdict::kRerun && cancelled_.load()) verdict = QueryVerdict::kReport;
  // The old query may still exist on the server: after a 456 from an inconsistent router (its
  // deployment still serves), after Access denied (the deployment may have begun the work), after
  // a broken connection or a deadline. A clear costs one quick call when it is gone already; a
  // query left open holds its deployment's next drain. Not after a 503: a suspended cluster
  // keeps nothing, and the clear would wait for a resume.
  const bool may_exist = cause != FailureCause::kRouter503;
  forget(may_exist);
  if (verdict == QueryVerdict::kRerun) {
    ++reruns_;
    if (stage != QueryStage::kExecute) endpoint.counters().reruns.fetch_add(1);
    log::event(log::get("e6data.strategy"), spdlog::level::info,
               stage != QueryStage::kExecute ? "query lost with its deployment; re-running the read"
                                             : "query refused before it ran; preparing it again",
               {{"query_id", lost_query},
                {"strategy", deployment_name(lost_route.deployment)},
                {"cause", std::string(to_string(cause))},
                {"operation", operation}});
    return false;
  }
  if (verdict == QueryVerdict::kRanResultLost) {
    unknown_position_ = "the statement ran, but its result went with the " +
                        deployment_name(lost_route.deployment) + " deployment (" +
                        std::string(to_string(cause)) + ")";
    std::lock_guard lock(identity_mutex_);
    query_id_ = lost_query;
    log::event(log::get("e6data.strategy"), spdlog::level::info,
               "statement ran; its result description was lost with its deployment",
               {{"query_id", lost_query},
                {"strategy", deployment_name(lost_route.deployment)},
                {"cause", std::string(to_string(cause))}});
    return true;
  }
  endpoint.counters().lost_queries.fetch_add(1);
  if (stage != QueryStage::kExecute) {
    unknown_position_ = std::string(operation) + " failed: " + std::string(to_string(cause));
    std::lock_guard lock(identity_mutex_);
    query_id_ = lost_query;  // kept for messages (no call uses it again)
  }
  ErrorContext context = e.context();
  context.retryable = false;
  const std::string where = deployment_name(lost_route.deployment);
  switch (verdict) {
    case QueryVerdict::kLost:
      throw QueryError(
          ErrorKind::kStrategyChanged,
          "query " + lost_query + " was lost: the " + where +
              (cause == FailureCause::kWrongDeployment ? " deployment stopped serving"
                                                       : " session running it expired") +
              " during " + operation + "; it was not re-run because " +
              (is_read_ ? (rows_delivered_ ? "rows had already been delivered"
                                           : "it was re-run too often already")
                        : "it may have had side effects") +
              " (" + e.what() + ")",
          context);
    case QueryVerdict::kOutcomeUnknown:
      throw QueryError(ErrorKind::kOutcomeUnknown,
                       "query " + lost_query + " on the " + where + " deployment: the " +
                           std::string(to_string(cause)) + " failure of its " + operation +
                           " leaves unknown whether the statement ran; it was not sent again "
                           "because it may have side effects (" +
                           e.what() + ")",
                       context);
    case QueryVerdict::kReport:
    case QueryVerdict::kRerun:
    case QueryVerdict::kRanResultLost:
      break;
  }
  throw;
}

std::optional<Batch> Query::next_batch(const QueryOptions& options) {
  if (!unknown_position_.empty()) refuse_unknown_position("next_batch");
  require_query("next_batch");
  if (!read_ahead_.empty()) {
    throw_if_cancelled("Cursor::next_batch");
    return deliver(take_read_ahead());
  }
  if (exhausted_) return std::nullopt;
  const strategy::TimePoint until = deadline(options, true);
  if (download_) {
    take_downloaded(until, options);
    if (read_ahead_.empty()) return std::nullopt;
    return deliver(take_read_ahead());
  }
  std::size_t bytes = 0;
  if (read_ahead_wanted_) {
    // A read begun on a deployment that is being retired (a lag hold sent it to the active side
    // while a switch was pending; PROTOCOL.md §6) can be cut when that side finishes draining.
    // Read it ahead, up to a budget, before handing over its first row: a cut then loses no
    // delivered row, and the read runs again on the new deployment.
    read_ahead_wanted_ = false;
    while (bytes < kReadAheadBudget && fetch_more(until, options, bytes)) {
    }
  } else {
    (void)fetch_more(until, options, bytes);
  }
  // The first response of a result is fetched on the caller's path (a short result ends in it,
  // and no thread is started); the rest are fetched ahead.
  if (!exhausted_) start_download(options);
  if (read_ahead_.empty()) return std::nullopt;
  return deliver(take_read_ahead());
}

void Query::start_download(const QueryOptions& options) {
  const ConnectionOptions& o = connection_->options;
  if (o.download_ahead <= 0 || fetch_form_ == FetchForm::kUndecided) return;
  DownloadAhead::Limits limits;
  limits.responses = static_cast<std::size_t>(o.download_ahead);
  limits.bytes = static_cast<std::size_t>(o.download_ahead_bytes);
  // Each background fetch is one call with a deadline of its own: a fetch's default
  // (grpc.prepare_timeout), or the timeout of the call that started the downloading when that is
  // longer. Never shorter: that call ends at its own deadline, and a fetch running ahead that is
  // cut at a caller's short timeout may have consumed rows, so a caller polling with short
  // timeouts would lose its result for nothing (the caller's wait is bounded by next(), and its
  // deadline still stops the downloading while it waits). The caller's token is not passed down
  // (next() lets it interrupt the downloading while the caller waits).
  QueryOptions per_fetch;
  per_fetch.timeout =
      std::max(options.timeout,
               std::chrono::duration_cast<std::chrono::milliseconds>(o.grpc.prepare_timeout));
  // The lambda's own copy of the fetch session: a V2 response may replace it for the fetches
  // after it; the owner learns of it when it takes that response (accept()).
  auto fetch = [this, per_fetch,
                session = fetch_session()](const std::shared_ptr<CancellationToken>& stop) mutable {
    QueryOptions call_options = per_fetch;
    call_options.cancel = stop;
    const strategy::TimePoint until = deadline(call_options, true);
    auto& clock = connection_->endpoint->clock();
    auto pause = std::chrono::duration_cast<strategy::Duration>(kFirstEmptyPause);
    for (;;) {
      if (connection_->closed.load()) {
        // Closed: no more calls (the cursor refuses every call from now on).
        FetchedResponse stopped;
        stopped.nothing_ready = true;
        stopped.session = session;
        return stopped;
      }
      FetchedResponse response = fetch_response(until, call_options, session);
      if (!response.session.empty()) session = response.session;
      response.session = session;  // the owner adopts it with the response, whatever it holds
      if (response.end || !response.batches.empty()) return response;
      // Nothing ready yet: asked again after a growing pause, as on the caller's path. Stopped
      // or past the deadline, nothing was consumed.
      const strategy::TimePoint now = clock.now();
      if (stop->is_cancelled() || now + pause >= until) {
        response.nothing_ready = true;
        return response;
      }
      clock.sleep_until(now + pause);
      pause = std::min(pause * 2, std::chrono::duration_cast<strategy::Duration>(kMaxEmptyPause));
    }
  };
  std::size_t at_hand = 0;  // the rest of the response the caller is being handed
  for (const Batch& batch : read_ahead_) at_hand += decoded_bytes(batch);
  auto started = std::make_unique<DownloadAhead>(limits, std::move(fetch), at_hand);
  std::lock_guard lock(identity_mutex_);
  download_ = std::move(started);
}

void Query::stop_download() noexcept {
  std::unique_ptr<DownloadAhead> stopped;
  {
    std::lock_guard lock(identity_mutex_);
    stopped = std::move(download_);
  }
  stopped.reset();  // interrupts the fetch in flight and joins the thread, outside the lock
}

void Query::take_downloaded(strategy::TimePoint until, const QueryOptions& options) {
  throw_if_cancelled("Cursor::next_batch");
  const auto left = until - connection_->endpoint->clock().now();
  const auto steady_until = std::chrono::steady_clock::now() +
                            std::chrono::duration_cast<std::chrono::steady_clock::duration>(left);
  FetchedResponse response;
  const DownloadAhead::Wait wait = download_->next(steady_until, options.cancel.get(), response);
  if (!response.session.empty()) fetch_session_ = response.session;
  const bool caller_cancelled = options.cancel && options.cancel->is_cancelled();
  if (wait != DownloadAhead::Wait::kResponse || response.nothing_ready) {
    // No fetch was in flight, or the one in flight had nothing ready: nothing was consumed, and
    // the result stays readable.
    stop_download();
    throw_if_cancelled("Cursor::next_batch");
    if (caller_cancelled) {
      throw CancelledError(ErrorKind::kCancelled,
                           "Cursor::next_batch: cancelled by the caller's token while waiting for "
                           "rows (nothing was consumed: a later next_batch() reads on)");
    }
    const bool past_deadline = connection_->endpoint->clock().now() >= until;
    if (wait == DownloadAhead::Wait::kDeadline || past_deadline) {
      throw TimeoutError(ErrorKind::kTimeout,
                         "Cursor::next_batch: query " + query_id_ +
                             " had no rows ready before the call's deadline (nothing was "
                             "consumed: a later next_batch() reads on)");
    }
    // Interrupted before this call (an earlier call's token), or the fetches ahead found nothing
    // ready until their own deadline (not this call's): read on from here, within this call's.
    std::size_t bytes = 0;
    (void)fetch_more(until, options, bytes);
    if (!exhausted_) start_download(options);
    return;
  }
  if (!response.error) {
    if (response.end) stop_download();  // its thread has ended: joined at once
    (void)accept(std::move(response));
    return;
  }
  stop_download();  // a failure ends the downloading: its thread has ended
  try {
    std::rethrow_exception(response.error);
  } catch (const DecodeError& e) {
    lose_position_to(e);
    throw;
  } catch (const Error& e) {
    if (response.cut && e.cause() == FailureCause::kCancelled && !cancelled_.load() &&
        !caller_cancelled) {
      // Cut at this call's deadline while it waited: the fetch may have consumed rows, as a
      // fetch past its deadline on the caller's path.
      lose_position_after_fetch("a fetch was cut at the call's deadline");
      throw TimeoutError(ErrorKind::kTimeout,
                         "Cursor::next_batch: no response before the call's deadline; the fetch in "
                         "flight was cut, so the result's position is unknown");
    }
    const bool past_deadline = connection_->endpoint->clock().now() >= until;
    if (e.cause() == FailureCause::kDeadline && !response.cut && !past_deadline) {
      // A fetch running ahead passed its own deadline (not this call's, which has time left): it
      // may have consumed rows. This call did not time out; the result's position is lost. (A
      // fetch cut at this call's deadline that gRPC reports as DEADLINE_EXCEEDED goes on to
      // judge() below: a TimeoutError of this call, as on the caller's path.)
      lose_position_after_fetch("a fetch running ahead passed its own deadline");
      ErrorContext context = e.context();
      context.retryable = false;
      throw QueryError(ErrorKind::kResultPositionUnknown,
                       "Cursor::next_batch: a fetch running ahead of the caller (download-ahead) "
                       "passed its own deadline, so the result's position is unknown and rows "
                       "could be missing; run the statement again to read its result (" +
                           std::string(e.what()) + ")",
                       context);
    }
    recover_from_failed_fetch(e, until, options);
  }
  // Fell back to V1 or ran again from the start: nothing of the new run was fetched yet.
  std::size_t bytes = 0;
  (void)fetch_more(until, options, bytes);
  if (!exhausted_) start_download(options);
}

Batch Query::take_read_ahead() {
  Batch batch = std::move(read_ahead_.front());
  read_ahead_.pop_front();
  return batch;
}

Batch Query::deliver(Batch batch) {
  if (batch.num_rows() > 0) rows_delivered_ = true;
  return batch;
}

void Query::note_where_the_read_runs() {
  const strategy::StrategyWord w = connection_->endpoint->word();
  read_ahead_wanted_ =
      is_read_ && w.pending != strategy::Deployment::kNone && w.pending != route_.deployment;
}

Query::FetchForm Query::choose_fetch_form() const {
  const std::string& mode = connection_->options.result_batch_v2;
  if (mode == "on") return FetchForm::kV2;
  if (mode == "off") return FetchForm::kV1;
  // "auto" (the default, and ""): V2 unless this deployment said it has none (until the next
  // switch).
  return connection_->endpoint->result_batch_v1_only(route_.deployment) ? FetchForm::kV1
                                                                        : FetchForm::kV2;
}

bool Query::fall_back_to_v1(const Error& e) {
  // UNIMPLEMENTED means the server has no such method: the call did nothing, so nothing of the
  // result was consumed by it. Only before the first answered fetch, though: a server that served
  // V2 and then refuses it is not an older server, and the result's position would be unsure.
  if (fetch_form_ != FetchForm::kV2 || e.cause() != FailureCause::kUnimplemented || fetched_ ||
      connection_->options.result_batch_v2 == "on") {
    return false;
  }
  connection_->endpoint->note_result_batch_v1_only(route_.deployment);
  fetch_form_ = FetchForm::kV1;
  log::event(log::get("e6data"), spdlog::level::info,
             "the deployment has no getNextResultBatchV2: reading its results with "
             "getNextResultBatch until the next switch",
             {{"query_id", query_id_}, {"strategy", deployment_name(route_.deployment)}});
  return true;
}

void Query::decode_chunks(const std::vector<std::string_view>& chunks, FetchedResponse& out) const {
  out.batches.reserve(out.batches.size() + chunks.size());
  for (const std::string_view chunk : chunks) {
    if (chunk.empty()) {
      throw DecodeError("a V2 response element of zero bytes (each element is one whole Chunk)", 0);
    }
    Batch batch = decode_result_batch(chunk, {.expected_columns = columns_.size()});
    if (batch.is_end_of_results()) continue;
    out.decoded_bytes += decoded_bytes(batch);
    out.batches.push_back(std::move(batch));
  }
}

void Query::lose_position_after_fetch(std::string why) {
  // As judge() does for a failure it reports: counted as a lost query, and its id kept for
  // messages (no call uses it again; forget() handed its clear off).
  const std::string lost_query = query_id_;
  unknown_position_ = std::move(why);
  forget(true);
  connection_->endpoint->counters().lost_queries.fetch_add(1);
  std::lock_guard lock(identity_mutex_);
  query_id_ = lost_query;
}

void Query::lose_position_to(const DecodeError& e) {
  // The server handed over batches the connector cannot read: they are consumed.
  unknown_position_ = std::string("a batch could not be decoded: ") + e.what();
  forget(true);
}

strategy::Refused Query::fetch_refusals() const noexcept {
  return rows_delivered_.load() || !is_read_ ? strategy::Refused::kRideOut
                                             : strategy::Refused::kReportIfLeft;
}

FetchedResponse Query::fetch_response(strategy::TimePoint until, const QueryOptions& options,
                                      const std::string& session) const {
  auto& conn = *connection_;
  FetchedResponse out;
  auto req = request<GetNextResultBatchRequest>();
  req.set_sessionid(session);
  // Not repeatable: a retried fetch could skip a batch the server already sent.
  if (fetch_form_ == FetchForm::kV2) {
    GetNextResultBatchV2Response& res = v2_response_;
    (void)conn.runner.call_bound(
        route_, *binding_,
        [&](const strategy::Route&) {
          conn.client.next_batch_v2_into(req, call(until, options), res);
          return ParsedInto<GetNextResultBatchV2Response>{&res};
        },
        strategy::Repeat::kUnsafe, until, fetch_refusals());
    std::vector<std::string_view> chunks;
    chunks.reserve(static_cast<std::size_t>(res.resultbatches_size()));
    for (const std::string& chunk : res.resultbatches()) {
      out.wire_bytes += chunk.size();
      chunks.emplace_back(chunk);
    }
    decode_chunks(chunks, out);
    out.end = res.endofstream();
    if (!res.sessionid().empty() && res.sessionid() != session) out.session = res.sessionid();
  } else {
    GetNextResultBatchResponse& res = v1_response_;
    (void)conn.runner.call_bound(
        route_, *binding_,
        [&](const strategy::Route&) {
          conn.client.next_batch_into(req, call(until, options), res);
          return ParsedInto<GetNextResultBatchResponse>{&res};
        },
        strategy::Repeat::kUnsafe, until, fetch_refusals());
    out.wire_bytes = res.resultbatch().size();
    // An empty resultBatch, or a Chunk of size 0, is the end (PROTOCOL.md §5.2).
    if (!res.resultbatch().empty()) decode_chunks({res.resultbatch()}, out);
    out.end = out.batches.empty();
  }
  return out;
}

bool Query::accept(FetchedResponse response) {
  fetched_ = true;
  if (!response.session.empty()) fetch_session_ = std::move(response.session);
  for (Batch& batch : response.batches) read_ahead_.push_back(std::move(batch));
  if (response.end) {
    exhausted_ = true;
    // No fetch runs any more (a download-ahead that fetched the end has ended): the buffers the
    // fetches reused go.
    v2_response_ = GetNextResultBatchV2Response();
    v1_response_ = GetNextResultBatchResponse();
    // Nothing more runs on the deployment: a pending switch need not wait for clear(). The
    // server handle stays (status, explain analyze) until the cursor lets go of it, or until a
    // switch away from the deployment is announced (then it is cleared off this path).
    release_binding();
    strategy::Route where = route_;
    where.session = fetch_session();
    parked_ = connection_->parked.park({where, query_id_, engine_ip_});
  }
  // A V2 response that ends the result may carry its last rows (PROTOCOL.md §5.3): they are in
  // read_ahead_ all the same.
  return !response.end;
}

void Query::recover_from_failed_fetch(const Error& e, strategy::TimePoint until,
                                      const QueryOptions& options) {
  if (fall_back_to_v1(e)) return;
  const auto columns = columns_.size();
  (void)judge(e, QueryStage::kResult, "fetch");
  // Re-run: the statement runs again from the start (no row of it was delivered), and what
  // was read ahead of the lost run goes with it.
  read_ahead_.clear();
  run_from_start(until, options);
  if (columns_.size() != columns) {
    unknown_position_ = "the re-run returned a different number of columns";
    throw QueryError(ErrorKind::kStrategyChanged,
                     "the statement re-run after a deployment switch returned a different "
                     "number of columns (" +
                         std::to_string(columns_.size()) + " instead of " +
                         std::to_string(columns) + ")");
  }
}

bool Query::fetch_more(strategy::TimePoint until, const QueryOptions& options, std::size_t& bytes) {
  auto& conn = *connection_;
  auto pause = std::chrono::duration_cast<strategy::Duration>(kFirstEmptyPause);
  for (;;) {
    throw_if_cancelled("Cursor::next_batch");
    if (fetch_form_ == FetchForm::kUndecided) fetch_form_ = choose_fetch_form();
    FetchedResponse response;
    try {
      response = fetch_response(until, options, fetch_session());
    } catch (const DecodeError& e) {
      lose_position_to(e);
      throw;
    } catch (const Error& e) {
      recover_from_failed_fetch(e, until, options);
      bytes = 0;
      continue;
    }
    bytes += response.wire_bytes;
    if (!response.session.empty()) fetch_session_ = response.session;
    if (!response.end && response.batches.empty()) {
      // Nothing ready yet (or only chunks of size 0): ask again after a short, growing pause,
      // within the deadline. The response consumed nothing, so the result stays readable.
      fetched_ = true;
      auto& clock = conn.endpoint->clock();
      const strategy::TimePoint now = clock.now();
      if (now + pause >= until) {
        throw TimeoutError(ErrorKind::kTimeout,
                           "Cursor::next_batch: query " + query_id_ +
                               " had no rows ready before the call's deadline (nothing was "
                               "consumed: a later next_batch() reads on)");
      }
      clock.sleep_until(now + pause);
      pause = std::min(pause * 2, std::chrono::duration_cast<strategy::Duration>(kMaxEmptyPause));
      continue;
    }
    return accept(std::move(response));
  }
}

QueryStatus Query::status(const QueryOptions& options) {
  if (!unknown_position_.empty()) refuse_unknown_position("status");
  require_query("status");
  if (!binding_) return {true, row_count_};  // the result was read to the end: the query is done
  const strategy::TimePoint until = deadline(options, false);
  auto& conn = *connection_;
  const auto req = request<StatusRequest>();
  const auto res = bound_call([&] { return conn.client.status(req, call(until, options)); },
                              strategy::Repeat::kSafe, until);
  return {res.status(), res.rowcount()};
}

std::string Query::explain(const QueryOptions& options) {
  if (!unknown_position_.empty()) refuse_unknown_position("explain");
  require_query("explain");
  require_server_handle("explain");
  const strategy::TimePoint until = deadline(options, false);
  auto& conn = *connection_;
  const auto req = request<ExplainRequest>();
  const auto res = conn.runner.call_on(
      route_,
      [&](const strategy::Route&) { return conn.client.explain(req, call(until, options)); },
      strategy::Repeat::kSafe, until);
  return res.explain();
}

ExplainAnalyzeResult Query::explain_analyze(const QueryOptions& options) {
  if (!unknown_position_.empty()) refuse_unknown_position("explain_analyze");
  require_query("explain_analyze");
  require_server_handle("explain_analyze");
  const strategy::TimePoint until = deadline(options, true);
  auto& conn = *connection_;
  const auto req = request<ExplainAnalyzeRequest>();
  const auto res = conn.runner.call_on(
      route_,
      [&](const strategy::Route&) {
        return conn.client.explain_analyze(req, call(until, options));
      },
      strategy::Repeat::kSafe, until);
  return {res.explainanalyze(), res.iscached(), res.parsingtime(), res.queueingtime()};
}

void Query::cancel(const QueryOptions& options) {
  auto& conn = *connection_;
  CancelQueryRequest req;
  rpc::CallOptions c;
  strategy::Route route;
  strategy::TimePoint until;
  std::shared_ptr<strategy::QueryBinding> binding;
  {
    std::lock_guard lock(identity_mutex_);
    if (!started_.load()) throw UsageError("Cursor::cancel: no query; call execute() first");
    // Set under the lock: a re-run that prepares after this sees it and stops.
    cancelled_ = true;
    if (query_id_.empty()) return;  // between two attempts: nothing runs on the server
    req.set_engineip(engine_ip_);
    req.set_sessionid(route_.session);
    req.set_queryid(query_id_);
    until = conn.deadline_for(options, false);
    c = conn.call_options(route_, until, options, query_id_, engine_ip_);
    route = route_;
    // A cancelled query runs no more: its binding must not hold back a switch. (Released, not
    // taken: the owning thread may be inside a call that uses it; release is idempotent.)
    binding = binding_;
    // The background fetches stop; the owner's next call sees the cancellation.
    if (download_) download_->interrupt();
  }
  if (binding) conn.endpoint->release(*binding);
  (void)conn.runner.call_on(
      route, [&](const strategy::Route&) { return conn.client.cancel(req, c); },
      strategy::Repeat::kSafe, until);
}

void Query::clear(const QueryOptions& options) {
  if (query_id_.empty() || !unknown_position_.empty()) {
    unknown_position_.clear();
    std::lock_guard lock(identity_mutex_);
    query_id_.clear();
    return;
  }
  auto& conn = *connection_;
  if (parked_) {
    // Read to the end: nothing runs, and the clear only frees the server's handle. It is not
    // the caller's to wait for (a short query would pay one more round trip for it).
    conn.parked.release(parked_);
    parked_.reset();
    forget(false);
    return;
  }
  auto req = request<ClearRequest>();
  req.set_sessionid(fetch_session());
  const strategy::TimePoint until = deadline(options, false);
  const auto c = call(until, options);
  const strategy::Route route = route_;
  const bool held = take_back_parked();
  // Forget the query first: a failed clear must not leave the cursor pointing at it, nor its
  // binding holding back a switch.
  forget(false);
  if (!held) return;  // cleared off the caller's path after a switch was announced
  try {
    // Through the runner: a clear the router refused (an inconsistent router) is repeated, or
    // the query would stay open and hold the next drain of its deployment.
    (void)conn.runner.call_on(
        route, [&](const strategy::Route&) { return conn.client.clear(req, c); },
        strategy::Repeat::kSafe, until);
  } catch (const Error& e) {
    // The query went with its deployment or session: nothing is left to release.
    const auto r = strategy::recovery_for(e);
    if (r == strategy::Recovery::kWrongDeployment || r == strategy::Recovery::kSessionLost) return;
    throw;
  }
}

void Query::clear_quietly() noexcept {
  stop_download();
  try {
    if (query_id_.empty() || !unknown_position_.empty() || connection_->closed.load() ||
        connection_->options.cleanup_timeout.count() == 0) {
      (void)take_back_parked();
      release_binding();
      return;
    }
    QueryOptions bounded;
    bounded.timeout = connection_->options.cleanup_timeout;
    clear(bounded);
  } catch (...) {  // best effort: the session's expiry frees the query eventually
  }
  release_binding();
}

}  // namespace e6data::detail

#include "rpc/engine_client.hpp"

#include <grpcpp/grpcpp.h>

#include <cctype>
#include <fstream>
#include <sstream>

#include "cluster.grpc.pb.h"
#include "e6data/errors.hpp"
#include "e6x_engine.grpc.pb.h"
#include "log/logger.hpp"
#include "rpc/cancel_state.hpp"
#include "rpc/failure.hpp"
#include "rpc/grpc_log_bridge.hpp"

namespace e6data::rpc {
namespace {

// The CA bundle: PEM text as given, or the contents of the file it names.
std::string read_ca(const std::string& ca) {
  if (ca.rfind("-----BEGIN", 0) == 0) return ca;
  std::ifstream in(ca);
  if (!in) {
    throw ConnectionError(ErrorKind::kConnection, "cannot read the CA certificate file " + ca);
  }
  std::stringstream pem;
  pem << in.rdbuf();
  return pem.str();
}

std::shared_ptr<grpc::Channel> make_channel(const ConnectionOptions& o) {
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, static_cast<int>(o.grpc.keepalive_time_ms));
  args.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, static_cast<int>(o.grpc.keepalive_timeout_ms));
  args.SetInt(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS,
              o.grpc.keepalive_permit_without_calls ? 1 : 0);
  args.SetInt(GRPC_ARG_HTTP2_MAX_PINGS_WITHOUT_DATA,
              static_cast<int>(o.grpc.http2_max_pings_without_data));
  args.SetInt(GRPC_ARG_HTTP2_MIN_SENT_PING_INTERVAL_WITHOUT_DATA_MS,
              static_cast<int>(o.grpc.http2_min_time_between_pings_ms));
  args.SetInt(GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS,
              static_cast<int>(o.grpc.http2_min_ping_interval_without_data_ms));
  // -1 (the default) is unlimited: a Result Batch V2 response holds several chunks and has no
  // byte bound of its own (PROTOCOL.md §5.3), so a limit set here must fit them all.
  args.SetMaxReceiveMessageSize(o.grpc.max_receive_message_length < 0
                                    ? -1
                                    : static_cast<int>(o.grpc.max_receive_message_length));
  args.SetMaxSendMessageSize(static_cast<int>(o.grpc.max_send_message_length));
  const std::string target = (o.host.find(':') != std::string::npos ? "[" + o.host + "]" : o.host) +
                             ":" + std::to_string(o.port);
  std::shared_ptr<grpc::ChannelCredentials> credentials;
  if (o.secure) {
    grpc::SslCredentialsOptions ssl;
    if (!o.ca_certificate.empty()) ssl.pem_root_certs = read_ca(o.ca_certificate);
    credentials = grpc::SslCredentials(ssl);
  } else {
    credentials = grpc::InsecureChannelCredentials();
  }
  return grpc::CreateCustomChannel(target, credentials, args);
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

struct EngineClient::Impl {
  std::shared_ptr<grpc::Channel> channel;
  std::unique_ptr<QueryEngineService::Stub> engine;
  std::unique_ptr<ClusterService::Stub> cluster;
  std::string cluster_name;  // lower-cased, as the header is sent
  std::string endpoint;      // host:port, for messages
  std::shared_ptr<spdlog::logger> log = log::get("e6data.grpc");

  // A fresh context per call (gRPC forbids reusing one), with the deadline and headers.
  void prepare_context(grpc::ClientContext& ctx, const CallOptions& call) const {
    ctx.set_deadline(std::chrono::system_clock::now() + call.timeout);
    if (!call.strategy.empty()) ctx.AddMetadata("strategy", call.strategy);
    if (!call.planner_ip.empty()) ctx.AddMetadata("plannerip", call.planner_ip);
    if (!cluster_name.empty()) ctx.AddMetadata("cluster-name", cluster_name);
  }

  template <typename Stub, typename Request, typename Response>
  Response invoke(Stub& stub,
                  grpc::Status (Stub::*method)(grpc::ClientContext*, const Request&, Response*),
                  const char* name, const Request& req, const CallOptions& call) {
    Response res;
    invoke_into(stub, method, name, req, call, res);
    return res;
  }

  template <typename Stub, typename Request, typename Response>
  void invoke_into(Stub& stub,
                   grpc::Status (Stub::*method)(grpc::ClientContext*, const Request&, Response*),
                   const char* name, const Request& req, const CallOptions& call, Response& res) {
    grpc::ClientContext ctx;
    prepare_context(ctx, call);
    const auto started = std::chrono::steady_clock::now();
    // Registered with the cancellation handle for the call's duration; unregistered before the
    // context is destroyed (CancelState's mutex orders the two).
    struct Registration {
      detail::CancelState* state;
      ~Registration() {
        if (state == nullptr) return;
        std::lock_guard lock(state->mutex);
        state->on_cancel = nullptr;
      }
    } registration{call.cancel.get()};
    if (call.cancel) {
      std::lock_guard lock(call.cancel->mutex);
      if (call.cancel->cancelled.load()) {
        throw_call_error(grpc::Status(grpc::StatusCode::CANCELLED, "cancelled by the caller"),
                         {name, call.query_id, call.strategy, endpoint});
      }
      call.cancel->on_cancel = [&ctx] { ctx.TryCancel(); };
    }
    const grpc::Status st = (stub.*method)(&ctx, req, &res);
    if (log->should_log(spdlog::level::debug)) {
      const auto us = std::chrono::duration_cast<std::chrono::microseconds>(
                          std::chrono::steady_clock::now() - started)
                          .count();
      log::event(log, spdlog::level::debug, st.ok() ? "call ok" : "call failed",
                 {{"method", name},
                  {"strategy", call.strategy},
                  {"query_id", call.query_id},
                  {"elapsed_us", std::to_string(us)},
                  {"grpc_code", std::to_string(static_cast<int>(st.error_code()))}});
    }
    if (!st.ok()) throw_call_error(st, {name, call.query_id, call.strategy, endpoint});
  }
};

EngineClient::EngineClient(const ConnectionOptions& options) : impl_(std::make_unique<Impl>()) {
  install_grpc_log_bridge();
  impl_->channel = make_channel(options);
  impl_->engine = QueryEngineService::NewStub(impl_->channel);
  impl_->cluster = ClusterService::NewStub(impl_->channel);
  impl_->cluster_name = lower(options.cluster_name);
  impl_->endpoint = options.host + ":" + std::to_string(options.port);
}

EngineClient::~EngineClient() = default;

#define E6DATA_ENGINE_CALL(fn, Stub, stub_member, method, Request, Response)      \
  Response EngineClient::fn(const Request& req, const CallOptions& call) {        \
    return impl_->invoke(*impl_->stub_member, &Stub::method, #method, req, call); \
  }

using QES = QueryEngineService::Stub;
E6DATA_ENGINE_CALL(authenticate, QES, engine, authenticate, AuthenticateRequest,
                   AuthenticateResponse)
E6DATA_ENGINE_CALL(prepare, QES, engine, prepareStatement, PrepareStatementRequest,
                   PrepareStatementResponse)
E6DATA_ENGINE_CALL(prepare_v2, QES, engine, prepareStatementV2, PrepareStatementV2Request,
                   PrepareStatementResponse)
E6DATA_ENGINE_CALL(execute, QES, engine, executeStatement, ExecuteStatementRequest,
                   ExecuteStatementResponse)
E6DATA_ENGINE_CALL(execute_v2, QES, engine, executeStatementV2, ExecuteStatementV2Request,
                   ExecuteStatementResponse)
E6DATA_ENGINE_CALL(result_metadata, QES, engine, getResultMetadata, GetResultMetadataRequest,
                   GetResultMetadataResponse)
E6DATA_ENGINE_CALL(next_batch, QES, engine, getNextResultBatch, GetNextResultBatchRequest,
                   GetNextResultBatchResponse)
E6DATA_ENGINE_CALL(next_batch_v2, QES, engine, getNextResultBatchV2, GetNextResultBatchRequest,
                   GetNextResultBatchV2Response)
void EngineClient::next_batch_into(const GetNextResultBatchRequest& req, const CallOptions& call,
                                   GetNextResultBatchResponse& out) {
  impl_->invoke_into(*impl_->engine, &QES::getNextResultBatch, "getNextResultBatch", req, call,
                     out);
}
void EngineClient::next_batch_v2_into(const GetNextResultBatchRequest& req, const CallOptions& call,
                                      GetNextResultBatchV2Response& out) {
  impl_->invoke_into(*impl_->engine, &QES::getNextResultBatchV2, "getNextResultBatchV2", req, call,
                     out);
}
E6DATA_ENGINE_CALL(status, QES, engine, status, StatusRequest, StatusResponse)
E6DATA_ENGINE_CALL(explain, QES, engine, explain, ExplainRequest, ExplainResponse)
E6DATA_ENGINE_CALL(explain_analyze, QES, engine, explainAnalyze, ExplainAnalyzeRequest,
                   ExplainAnalyzeResponse)
E6DATA_ENGINE_CALL(clear, QES, engine, clear, ClearRequest, ClearResponse)
E6DATA_ENGINE_CALL(cancel, QES, engine, cancelQuery, CancelQueryRequest, CancelQueryResponse)
E6DATA_ENGINE_CALL(schema_names, QES, engine, getSchemaNames, GetSchemaNamesRequest,
                   GetSchemaNamesResponse)
E6DATA_ENGINE_CALL(schema_names_v2, QES, engine, getSchemaNamesV2, GetSchemaNamesV2Request,
                   GetSchemaNamesResponse)
E6DATA_ENGINE_CALL(tables, QES, engine, getTables, GetTablesRequest, GetTablesResponse)
E6DATA_ENGINE_CALL(tables_v2, QES, engine, getTablesV2, GetTablesV2Request, GetTablesResponse)
E6DATA_ENGINE_CALL(columns, QES, engine, getColumns, GetColumnsRequest, GetColumnsResponse)
E6DATA_ENGINE_CALL(columns_v2, QES, engine, getColumnsV2, GetColumnsV2Request, GetColumnsResponse)
E6DATA_ENGINE_CALL(dry_run, QES, engine, dryRun, DryRunRequest, DryRunResponse)
E6DATA_ENGINE_CALL(dry_run_v2, QES, engine, dryRunV2, DryRunRequestV2, DryRunResponse)
E6DATA_ENGINE_CALL(cluster_status, ClusterService::Stub, cluster, status, ClusterStatusRequest,
                   ClusterStatusResponse)
E6DATA_ENGINE_CALL(cluster_resume, ClusterService::Stub, cluster, resume, ResumeRequest,
                   ResumeResponse)
E6DATA_ENGINE_CALL(cluster_suspend, ClusterService::Stub, cluster, suspend, SuspendRequest,
                   SuspendResponse)

#undef E6DATA_ENGINE_CALL

}  // namespace e6data::rpc

#pragma once
// The connector's one call path to QueryEngineService (and ClusterService): a channel made from
// ConnectionOptions (TLS, keepalive, message sizes), and one method per RPC that sets the
// headers (strategy, cluster-name, plannerip) and the deadline on a fresh ClientContext, makes
// the call, and turns a failure into the typed error of rpc/failure.hpp. Only src/rpc sees gRPC;
// callers see the generated message types.
//
// Thread safety: every method may be called from any number of threads at once.

#include <chrono>
#include <memory>
#include <string>

#include "cluster.pb.h"
#include "e6data/options.hpp"
#include "e6x_engine.pb.h"

namespace e6data::detail {
struct CancelState;
}

namespace e6data::rpc {

// Per call: where it belongs and how long it may take.
struct CallOptions {
  std::chrono::milliseconds timeout{std::chrono::seconds(60)};
  std::shared_ptr<detail::CancelState> cancel;  // cancels the call from another thread, if set
  std::string strategy;                         // "blue"/"green" once known; empty sends no header
  std::string planner_ip;                       // the engineIP of the query the call belongs to
  std::string query_id;                         // for error messages
};

class EngineClient {
 public:
  // Creates the channel (no network traffic until the first call). Throws ConnectionError when
  // the TLS CA certificate cannot be read.
  explicit EngineClient(const ConnectionOptions& options);
  ~EngineClient();
  EngineClient(const EngineClient&) = delete;
  EngineClient& operator=(const EngineClient&) = delete;

  AuthenticateResponse authenticate(const AuthenticateRequest& req, const CallOptions& call);
  PrepareStatementResponse prepare(const PrepareStatementRequest& req, const CallOptions& call);
  PrepareStatementResponse prepare_v2(const PrepareStatementV2Request& req,
                                      const CallOptions& call);
  ExecuteStatementResponse execute(const ExecuteStatementRequest& req, const CallOptions& call);
  ExecuteStatementResponse execute_v2(const ExecuteStatementV2Request& req,
                                      const CallOptions& call);
  GetResultMetadataResponse result_metadata(const GetResultMetadataRequest& req,
                                            const CallOptions& call);
  GetNextResultBatchResponse next_batch(const GetNextResultBatchRequest& req,
                                        const CallOptions& call);
  // Result Batch V2 (PROTOCOL.md §5.3); UNIMPLEMENTED on servers without it.
  GetNextResultBatchV2Response next_batch_v2(const GetNextResultBatchRequest& req,
                                             const CallOptions& call);
  // The same two fetches, parsed into `out`: a response object kept across a query's fetches
  // keeps its buffers (protobuf reuses the cleared strings), so a large result is not copied into
  // freshly faulted-in memory at every response (docs/performance.md).
  void next_batch_into(const GetNextResultBatchRequest& req, const CallOptions& call,
                       GetNextResultBatchResponse& out);
  void next_batch_v2_into(const GetNextResultBatchRequest& req, const CallOptions& call,
                          GetNextResultBatchV2Response& out);
  StatusResponse status(const StatusRequest& req, const CallOptions& call);
  ExplainResponse explain(const ExplainRequest& req, const CallOptions& call);
  ExplainAnalyzeResponse explain_analyze(const ExplainAnalyzeRequest& req, const CallOptions& call);
  ClearResponse clear(const ClearRequest& req, const CallOptions& call);
  CancelQueryResponse cancel(const CancelQueryRequest& req, const CallOptions& call);
  GetSchemaNamesResponse schema_names(const GetSchemaNamesRequest& req, const CallOptions& call);
  GetSchemaNamesResponse schema_names_v2(const GetSchemaNamesV2Request& req,
                                         const CallOptions& call);
  GetTablesResponse tables(const GetTablesRequest& req, const CallOptions& call);
  GetTablesResponse tables_v2(const GetTablesV2Request& req, const CallOptions& call);
  GetColumnsResponse columns(const GetColumnsRequest& req, const CallOptions& call);
  GetColumnsResponse columns_v2(const GetColumnsV2Request& req, const CallOptions& call);
  DryRunResponse dry_run(const DryRunRequest& req, const CallOptions& call);
  DryRunResponse dry_run_v2(const DryRunRequestV2& req, const CallOptions& call);
  ClusterStatusResponse cluster_status(const ClusterStatusRequest& req, const CallOptions& call);
  ResumeResponse cluster_resume(const ResumeRequest& req, const CallOptions& call);
  SuspendResponse cluster_suspend(const SuspendRequest& req, const CallOptions& call);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace e6data::rpc

#include "devserver/dev_server.hpp"

#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <optional>
#include <thread>

#include "cluster.grpc.pb.h"
#include "devserver/catalog.hpp"
#include "devserver/database.hpp"
#include "devserver/errors.hpp"
#include "devserver/session_registry.hpp"
#include "devserver/users.hpp"
#include "devserver_admin.grpc.pb.h"
#include "e6x_engine.grpc.pb.h"
#include "log/logger.hpp"
#include "wire/metadata_writer.hpp"

namespace e6data::devserver {
namespace {

constexpr const char* kEngineIp = "127.0.0.1";

grpc::Status to_status(const EngineError& e) {
  switch (e.code()) {
    case EngineErrorCode::kInvalidArgument:
      return {grpc::StatusCode::INVALID_ARGUMENT, e.what()};
    case EngineErrorCode::kNotFound:
      return {grpc::StatusCode::NOT_FOUND, e.what()};
    case EngineErrorCode::kAccessDenied:  // PROTOCOL §6
      return {grpc::StatusCode::INTERNAL, e.what()};
    case EngineErrorCode::kUnauthenticated:
      return {grpc::StatusCode::UNAUTHENTICATED, e.what()};
    case EngineErrorCode::kCancelled:
      return {grpc::StatusCode::CANCELLED, e.what()};
    case EngineErrorCode::kFailedPrecondition:
      return {grpc::StatusCode::FAILED_PRECONDITION, e.what()};
    case EngineErrorCode::kInternal:
      break;
  }
  return {grpc::StatusCode::INTERNAL, e.what()};
}

std::string default_data_dir() {
  const char* tmp = std::getenv("TMPDIR");
  return std::string(tmp && *tmp ? tmp : "/tmp") + "/e6data-devserver";
}

}  // namespace

// Everything the services share.
struct EngineState {
  DevServerOptions options;
  Database database;
  Catalog catalog{database, options.catalog};
  Users users;
  SessionRegistry sessions;
  std::shared_ptr<spdlog::logger> log = e6data::log::get("e6data.devserver");
  std::atomic<std::int64_t> queries_served{0};
  std::atomic<std::int64_t> result_fetches{0};
  mutable std::mutex draining_mutex;
  std::string draining_toward;

  EngineState(DevServerOptions o, Database db, Users u)
      : options(std::move(o)),
        database(std::move(db)),
        users(std::move(u)),
        sessions(
            options.session_idle_timeout, [] { return std::chrono::steady_clock::now(); },
            options.query_idle_timeout) {}

  std::string draining() const {
    std::lock_guard lock(draining_mutex);
    return draining_toward;
  }

  // The SQL text as SQLite reads it (--string-literals).
  std::string dialect(const std::string& sql) const {
    return options.string_literals == StringLiterals::kBackslash ? backslash_to_ansi(sql) : sql;
  }

  // --fetch-latency-ms: a remote cluster's round trip, spent asleep (no CPU of this machine).
  void wait_fetch_latency() const {
    if (options.fetch_latency.count() > 0) std::this_thread::sleep_for(options.fetch_latency);
  }

  // Every response that has new_strategy carries the deployment we drain toward.
  template <typename Response>
  void stamp(Response* response) const {
    const std::string toward = draining();
    if (!toward.empty()) response->set_new_strategy(toward);
  }

  template <typename F>
  grpc::Status run(const char* method, F&& body) {
    try {
      body();
      return grpc::Status::OK;
    } catch (const EngineError& e) {
      log->debug("{}: {}", method, e.what());
      return to_status(e);
    } catch (const std::exception& e) {
      log->warn("{} failed: {}", method, e.what());
      return {grpc::StatusCode::INTERNAL, std::string(method) + ": " + e.what()};
    }
  }

  std::string prepare(const std::string& session_id, const std::string& schema,
                      const std::string& sql) {
    sessions.touch(session_id);
    if (sql.size() > options.max_sql_bytes) {
      throw EngineError(EngineErrorCode::kInvalidArgument,
                        "SQL text of " + std::to_string(sql.size()) +
                            " bytes exceeds the limit of " + std::to_string(options.max_sql_bytes));
    }
    catalog.check_schema(schema);
    // Random, like a real server's: unique across deployments and restarts (PROTOCOL §6).
    const std::string id = random_id();
    auto query = std::make_shared<Query>(id, database, dialect(sql));
    sessions.add_query(session_id, std::move(query));
    ++queries_served;
    log->info("prepared {} ({} bytes of SQL)", id, sql.size());
    return id;
  }
};

namespace {

using grpc::ServerContext;
using grpc::Status;

class QueryEngine final : public ::QueryEngineService::Service {
 public:
  explicit QueryEngine(EngineState& state) : s_(state) {}

  Status authenticate(ServerContext*, const ::AuthenticateRequest* req,
                      ::AuthenticateResponse* res) override {
    return s_.run("authenticate", [&] {
      if (!s_.users.check(req->user(), req->password())) {
        s_.log->info("authentication refused for user '{}'", req->user());
        throw EngineError(EngineErrorCode::kUnauthenticated, "invalid username or access token");
      }
      res->set_sessionid(s_.sessions.create(req->user()));
      res->set_engineip(kEngineIp);
      s_.stamp(res);
    });
  }

  Status prepareStatement(ServerContext*, const ::PrepareStatementRequest* req,
                          ::PrepareStatementResponse* res) override {
    return s_.run("prepareStatement", [&] {
      res->set_queryid(s_.prepare(req->sessionid(), req->schema(), req->querystring()));
      res->set_engineip(kEngineIp);
      res->set_sessionid(req->sessionid());
      s_.stamp(res);
    });
  }

  Status prepareStatementV2(ServerContext*, const ::PrepareStatementV2Request* req,
                            ::PrepareStatementResponse* res) override {
    return s_.run("prepareStatementV2", [&] {
      s_.sessions.touch(req->sessionid());
      s_.catalog.check_catalog(req->catalog());
      res->set_queryid(s_.prepare(req->sessionid(), req->schema(), req->querystring()));
      res->set_engineip(kEngineIp);
      res->set_sessionid(req->sessionid());
      s_.stamp(res);
    });
  }

  Status executeStatement(ServerContext*, const ::ExecuteStatementRequest* req,
                          ::ExecuteStatementResponse* res) override {
    return s_.run("executeStatement", [&] {
      s_.sessions.find_query(req->sessionid(), req->queryid())->execute({});
      res->set_sessionid(req->sessionid());
      s_.stamp(res);
    });
  }

  Status executeStatementV2(ServerContext*, const ::ExecuteStatementV2Request* req,
                            ::ExecuteStatementResponse* res) override {
    return s_.run("executeStatementV2", [&] {
      std::vector<Parameter> params;
      for (const auto& p : req->params()) params.push_back({p.index(), p.type(), p.value()});
      s_.sessions.find_query(req->sessionid(), req->queryid())->execute(params);
      res->set_sessionid(req->sessionid());
      s_.stamp(res);
    });
  }

  Status getResultMetadata(ServerContext*, const ::GetResultMetadataRequest* req,
                           ::GetResultMetadataResponse* res) override {
    return s_.run("getResultMetadata", [&] {
      const auto schema = s_.sessions.find_query(req->sessionid(), req->queryid())->metadata();
      res->set_resultmetadata(wire::write_result_metadata(schema));
      res->set_sessionid(req->sessionid());
      s_.stamp(res);
    });
  }

  Status getNextResultBatch(ServerContext*, const ::GetNextResultBatchRequest* req,
                            ::GetNextResultBatchResponse* res) override {
    return s_.run("getNextResultBatch", [&] {
      auto query = s_.sessions.find_query(req->sessionid(), req->queryid());
      s_.wait_fetch_latency();
      res->set_resultbatch(query->next_batch(s_.options.batch));
      res->set_sessionid(req->sessionid());
      s_.stamp(res);
      ++s_.result_fetches;
    });
  }

  // PROTOCOL.md §5.3: up to v2_chunks_per_response chunks, in order, and endOfStream on the last
  // response, which carries data whenever the result ends within it (a small result is whole in
  // its first response: no extra fetch of an empty one).
  Status getNextResultBatchV2(ServerContext*, const ::GetNextResultBatchRequest* req,
                              ::GetNextResultBatchV2Response* res) override {
    if (!s_.options.result_batch_v2) {
      return {grpc::StatusCode::UNIMPLEMENTED,
              "getNextResultBatchV2 is not offered by this server (--no-result-batch-v2)"};
    }
    return s_.run("getNextResultBatchV2", [&] {
      auto query = s_.sessions.find_query(req->sessionid(), req->queryid());
      s_.wait_fetch_latency();
      const std::size_t most = std::max<std::size_t>(1, s_.options.v2_chunks_per_response);
      while (static_cast<std::size_t>(res->resultbatches_size()) < most && !query->drained()) {
        std::string chunk = query->next_batch(s_.options.batch);
        if (chunk.empty()) break;
        res->add_resultbatches(std::move(chunk));
      }
      res->set_endofstream(query->drained());
      res->set_sessionid(req->sessionid());
      s_.stamp(res);
      ++s_.result_fetches;
    });
  }

  Status status(ServerContext*, const ::StatusRequest* req, ::StatusResponse* res) override {
    return s_.run("status", [&] {
      auto query = s_.sessions.find_query(req->sessionid(), req->queryid());
      res->set_status(query->executed());
      res->set_rowcount(query->row_count());
      res->set_sessionid(req->sessionid());
      s_.stamp(res);
    });
  }

  Status explain(ServerContext*, const ::ExplainRequest* req, ::ExplainResponse* res) override {
    return s_.run("explain", [&] {
      res->set_explain(s_.sessions.find_query(req->sessionid(), req->queryid())->explain());
      res->set_sessionid(req->sessionid());
      s_.stamp(res);
    });
  }

  Status explainAnalyze(ServerContext*, const ::ExplainAnalyzeRequest* req,
                        ::ExplainAnalyzeResponse* res) override {
    return s_.run("explainAnalyze", [&] {
      const auto result =
          s_.sessions.find_query(req->sessionid(), req->queryid())->explain_analyze();
      res->set_explainanalyze(result.plan);
      res->set_iscached(false);
      res->set_parsingtime(result.parsing_time_ms);
      res->set_queueingtime(0);  // queries start at once: there is no queue
      res->set_sessionid(req->sessionid());
      s_.stamp(res);
    });
  }

  Status clear(ServerContext*, const ::ClearRequest* req, ::ClearResponse* res) override {
    return s_.run("clear", [&] {
      s_.sessions.remove_query(req->sessionid(), req->queryid());  // idempotent
      res->set_sessionid(req->sessionid());
      s_.stamp(res);
    });
  }

  Status cancelQuery(ServerContext*, const ::CancelQueryRequest* req,
                     ::CancelQueryResponse* res) override {
    return s_.run("cancelQuery", [&] {
      s_.sessions.find_query(req->sessionid(), req->queryid())->cancel();
      res->set_sessionid(req->sessionid());
      s_.stamp(res);
    });
  }

  Status clearOrCancelQuery(ServerContext*, const ::ClearOrCancelQueryRequest* req,
                            ::ClearOrCancelQueryResponse* res) override {
    return s_.run("clearOrCancelQuery", [&] {
      if (auto query = s_.sessions.remove_query(req->sessionid(), req->queryid())) query->cancel();
      res->set_sessionid(req->sessionid());
      s_.stamp(res);
    });
  }

  Status getSchemaNames(ServerContext*, const ::GetSchemaNamesRequest* req,
                        ::GetSchemaNamesResponse* res) override {
    return s_.run("getSchemaNames", [&] { schemas(req->sessionid(), res); });
  }
  Status getSchemaNamesV2(ServerContext*, const ::GetSchemaNamesV2Request* req,
                          ::GetSchemaNamesResponse* res) override {
    return s_.run("getSchemaNamesV2", [&] {
      s_.catalog.check_catalog(req->catalog());
      schemas(req->sessionid(), res);
    });
  }

  Status getTables(ServerContext*, const ::GetTablesRequest* req,
                   ::GetTablesResponse* res) override {
    return s_.run("getTables", [&] { tables(req->sessionid(), req->schema(), res); });
  }
  Status getTablesV2(ServerContext*, const ::GetTablesV2Request* req,
                     ::GetTablesResponse* res) override {
    return s_.run("getTablesV2", [&] {
      s_.catalog.check_catalog(req->catalog());
      tables(req->sessionid(), req->schema(), res);
    });
  }

  Status getColumns(ServerContext*, const ::GetColumnsRequest* req,
                    ::GetColumnsResponse* res) override {
    return s_.run("getColumns",
                  [&] { columns(req->sessionid(), req->schema(), req->table(), res); });
  }
  Status getColumnsV2(ServerContext*, const ::GetColumnsV2Request* req,
                      ::GetColumnsResponse* res) override {
    return s_.run("getColumnsV2", [&] {
      s_.catalog.check_catalog(req->catalog());
      columns(req->sessionid(), req->schema(), req->table(), res);
    });
  }

  Status dryRun(ServerContext*, const ::DryRunRequest* req, ::DryRunResponse* res) override {
    return s_.run("dryRun", [&] { dry_run(req->sessionid(), req->querystring(), res); });
  }
  Status dryRunV2(ServerContext*, const ::DryRunRequestV2* req, ::DryRunResponse* res) override {
    return s_.run("dryRunV2", [&] {
      s_.catalog.check_catalog(req->catalog());
      dry_run(req->sessionid(), req->querystring(), res);
    });
  }

  Status healthCheck(ServerContext*, const ::HealthCheckRequest*, ::HealthCheckResponse*) override {
    return Status::OK;
  }

 private:
  void schemas(const std::string& session_id, ::GetSchemaNamesResponse* res) {
    s_.sessions.touch(session_id);
    for (const auto& name : s_.catalog.schemas()) res->add_schemas(name);
    res->set_sessionid(session_id);
    s_.stamp(res);
  }

  void tables(const std::string& session_id, const std::string& schema, ::GetTablesResponse* res) {
    s_.sessions.touch(session_id);
    for (const auto& name : s_.catalog.tables(schema)) res->add_tables(name);
    res->set_sessionid(session_id);
    s_.stamp(res);
  }

  void columns(const std::string& session_id, const std::string& schema, const std::string& table,
               ::GetColumnsResponse* res) {
    s_.sessions.touch(session_id);
    for (const auto& column : s_.catalog.columns(schema, table)) {
      auto* field = res->add_fieldinfo();
      field->set_fieldname(column.name);
      field->set_fieldtype(column.type);
    }
    res->set_sessionid(session_id);
    s_.stamp(res);
  }

  void dry_run(const std::string& session_id, const std::string& sql, ::DryRunResponse* res) {
    s_.sessions.touch(session_id);
    if (sql.size() > s_.options.max_sql_bytes) {
      throw EngineError(EngineErrorCode::kInvalidArgument, "SQL text exceeds the size limit");
    }
    try {
      Query probe("dry-run", s_.database, s_.dialect(sql));  // compiles only; nothing runs
      res->set_dryrunvalue(R"({"valid":true})");
    } catch (const EngineError& e) {
      if (e.code() != EngineErrorCode::kInvalidArgument) throw;
      nlohmann_json_escape(res, e.what());
    }
  }

  static void nlohmann_json_escape(::DryRunResponse* res, const std::string& message) {
    std::string escaped;
    for (char c : message) {
      if (c == '"' || c == '\\') {
        escaped += '\\';
        escaped += c;
      } else if (static_cast<unsigned char>(c) < 0x20) {
        escaped += ' ';
      } else {
        escaped += c;
      }
    }
    res->set_dryrunvalue(R"({"valid":false,"error":")" + escaped + "\"}");
  }

  EngineState& s_;
};

class Cluster final : public ::ClusterService::Service {
 public:
  explicit Cluster(EngineState& state) : s_(state) {}

  Status status(ServerContext*, const ::ClusterStatusRequest* req,
                ::ClusterStatusResponse* res) override {
    return s_.run("ClusterService.status", [&] {
      check(req->user(), req->password());
      res->set_status("active");  // a standalone dev server is always active
    });
  }
  Status resume(ServerContext*, const ::ResumeRequest* req, ::ResumeResponse* res) override {
    return s_.run("ClusterService.resume", [&] {
      check(req->user(), req->password());
      res->set_status("active");
    });
  }
  Status suspend(ServerContext*, const ::SuspendRequest* req, ::SuspendResponse*) override {
    return s_.run("ClusterService.suspend", [&] {
      check(req->user(), req->password());
      throw EngineError(EngineErrorCode::kFailedPrecondition,
                        "a standalone dev server cannot be suspended; run it under "
                        "e6data-bluegreen, whose router answers a suspended cluster with 503");
    });
  }

 private:
  void check(const std::string& user, const std::string& token) {
    if (!s_.users.check(user, token)) {
      throw EngineError(EngineErrorCode::kUnauthenticated, "invalid username or access token");
    }
  }
  EngineState& s_;
};

class Admin final : public e6data::devserver::DevServerAdmin::Service {
 public:
  Admin(EngineState& state, DevServer& server) : s_(state), server_(server) {}

  Status SetDraining(ServerContext*, const SetDrainingRequest* req, AdminStatus* res) override {
    return s_.run("SetDraining", [&] {
      server_.set_draining(req->toward());
      fill(res);
    });
  }
  Status GetStatus(ServerContext*, const GetStatusRequest*, AdminStatus* res) override {
    return s_.run("GetStatus", [&] { fill(res); });
  }
  Status ExpireSessions(ServerContext*, const ExpireSessionsRequest*, AdminStatus* res) override {
    return s_.run("ExpireSessions", [&] {
      const auto n = s_.sessions.expire_all();
      s_.log->info("dropped every session ({}) and its queries", n);
      fill(res);
    });
  }

 private:
  void fill(AdminStatus* res) {
    const DevServerStatus st = server_.status();
    res->set_deployment(st.deployment);
    res->set_draining_toward(st.draining_toward);
    res->set_active_queries(st.active_queries);
    res->set_active_sessions(st.active_sessions);
    res->set_queries_served(st.queries_served);
    res->set_result_fetches(st.result_fetches);
  }
  EngineState& s_;
  DevServer& server_;
};

}  // namespace

struct DevServer::Impl {
  std::unique_ptr<EngineState> state;
  std::unique_ptr<QueryEngine> engine;
  std::unique_ptr<Cluster> cluster;
  std::unique_ptr<Admin> admin;
  std::unique_ptr<grpc::Server> server;
  std::unique_ptr<grpc::Server> admin_server;
  int port = 0;
  int admin_port = 0;
  std::thread janitor;
  std::mutex janitor_mutex;
  std::condition_variable janitor_wake;
  bool stopping = false;
};

DevServer::DevServer(DevServerOptions options) : impl_(std::make_unique<Impl>()) {
  if (options.deployment != "blue" && options.deployment != "green") {
    throw std::invalid_argument("deployment must be blue or green, got '" + options.deployment +
                                "'");
  }
  if (options.scale < 1) throw std::invalid_argument("scale must be at least 1");
  Users users = options.users_file.empty() ? Users::demo() : Users::load(options.users_file);
  Database db =
      options.db_path.empty()
          ? Database::create_demo(options.data_dir.empty() ? default_data_dir() : options.data_dir,
                                  options.scale)
          : Database::open_file(options.db_path);
  impl_->state = std::make_unique<EngineState>(std::move(options), std::move(db), std::move(users));
}

DevServer::~DevServer() {
  shutdown(std::chrono::milliseconds(0));
}

void DevServer::start() {
  EngineState& state = *impl_->state;
  impl_->engine = std::make_unique<QueryEngine>(state);
  impl_->cluster = std::make_unique<Cluster>(state);
  impl_->admin = std::make_unique<Admin>(state, *this);

  grpc::ServerBuilder builder;
  builder.AddListeningPort(state.options.host + ":" + std::to_string(state.options.port),
                           grpc::InsecureServerCredentials(), &impl_->port);
  builder.RegisterService(impl_->engine.get());
  builder.RegisterService(impl_->cluster.get());
  // Accept the connector's keepalive pings (every 30 s by default, also between calls); gRPC's
  // default server policy would answer pings more frequent than 5 minutes with GOAWAY.
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS, 10'000);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  // gRPC listens with SO_REUSEPORT by default, so a second server on a busy port would start and
  // split the connections with the first: refuse a port that is in use instead.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  builder.SetMaxReceiveMessageSize(static_cast<int>(state.options.max_sql_bytes + (64u << 10)));
  impl_->server = builder.BuildAndStart();
  if (!impl_->server || impl_->port == 0) {
    throw std::runtime_error("cannot listen on " + state.options.host + ":" +
                             std::to_string(state.options.port) +
                             " (is the port in use by another program?)");
  }

  grpc::ServerBuilder admin_builder;
  admin_builder.AddListeningPort("127.0.0.1:" + std::to_string(state.options.admin_port),
                                 grpc::InsecureServerCredentials(), &impl_->admin_port);
  admin_builder.RegisterService(impl_->admin.get());
  admin_builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  impl_->admin_server = admin_builder.BuildAndStart();
  if (!impl_->admin_server || impl_->admin_port == 0) {
    impl_->server->Shutdown();
    throw std::runtime_error("cannot listen on 127.0.0.1:" +
                             std::to_string(state.options.admin_port) + " for the admin control");
  }

  impl_->janitor = std::thread([this] {
    std::unique_lock lock(impl_->janitor_mutex);
    while (!impl_->janitor_wake.wait_for(lock, std::chrono::seconds(1),
                                         [this] { return impl_->stopping; })) {
      lock.unlock();
      if (const auto n = impl_->state->sessions.expire_idle(); n > 0) {
        impl_->state->log->info("expired {} idle session(s)", n);
      }
      if (const auto n = impl_->state->sessions.expire_idle_queries(); n > 0) {
        impl_->state->log->info("dropped {} query(ies) no call touched for {} ms", n,
                                impl_->state->options.query_idle_timeout.count());
      }
      lock.lock();
    }
  });
  state.log->info("{} deployment serving on {}:{} (admin 127.0.0.1:{})", state.options.deployment,
                  state.options.host, impl_->port, impl_->admin_port);
}

int DevServer::port() const {
  return impl_->port;
}
const std::string& DevServer::database_path() const {
  return impl_->state->database.path();
}
int DevServer::admin_port() const {
  return impl_->admin_port;
}

void DevServer::set_draining(const std::string& toward) {
  EngineState& state = *impl_->state;
  if (!toward.empty() && toward != "blue" && toward != "green") {
    throw EngineError(EngineErrorCode::kInvalidArgument,
                      "draining toward must be blue, green or empty, got '" + toward + "'");
  }
  if (toward == state.options.deployment) {
    throw EngineError(EngineErrorCode::kInvalidArgument,
                      "a deployment cannot drain toward itself (" + toward + ")");
  }
  {
    std::lock_guard lock(state.draining_mutex);
    state.draining_toward = toward;
  }
  if (toward.empty()) {
    state.log->info("draining stopped");
  } else {
    state.log->info("draining toward {}", toward);
  }
}

DevServerStatus DevServer::status() const {
  EngineState& state = *impl_->state;
  return {state.options.deployment,     state.draining(),
          state.sessions.query_count(), state.sessions.session_count(),
          state.queries_served.load(),  state.result_fetches.load()};
}

void DevServer::shutdown(std::chrono::milliseconds grace) {
  if (!impl_ || !impl_->server) return;
  {
    std::lock_guard lock(impl_->janitor_mutex);
    impl_->stopping = true;
  }
  impl_->janitor_wake.notify_all();
  if (impl_->janitor.joinable()) impl_->janitor.join();
  const auto deadline = std::chrono::system_clock::now() + grace;
  impl_->server->Shutdown(deadline);
  impl_->admin_server->Shutdown(deadline);
  impl_->server->Wait();
  impl_->admin_server->Wait();
  impl_->server.reset();
  impl_->admin_server.reset();
  impl_->state->log->info("stopped");
}

}  // namespace e6data::devserver

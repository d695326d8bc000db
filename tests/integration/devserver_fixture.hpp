#pragma once
// An in-process dev server on 127.0.0.1:0 with generated stubs, and helpers that run a query
// through the protocol and read the same SQL straight from SQLite for comparison.

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "cluster.grpc.pb.h"
#include "devserver/dev_server.hpp"
#include "devserver_admin.grpc.pb.h"
#include "e6data/decode.hpp"
#include "e6x_engine.grpc.pb.h"

namespace e6data::testing {

// A per-test scratch directory, removed afterwards.
inline std::string scratch_dir(const std::string& tag) {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  auto dir = std::filesystem::temp_directory_path() /
             ("e6data-test-" + tag + "-" + std::to_string(::getpid()) + "-" +
              (info ? std::string(info->name()) : std::string("suite")));
  std::filesystem::create_directories(dir);
  return dir.string();
}

struct QueryResult {
  ResultSchema schema;
  std::vector<Batch> batches;
  std::int64_t rows() const {
    std::int64_t n = 0;
    for (const auto& b : batches) n += b.num_rows();
    return n;
  }
};

class DevServerTest : public ::testing::Test {
 protected:
  static devserver::DevServerOptions default_options() {
    devserver::DevServerOptions options;
    options.batch.max_rows = 1000;  // several batches for the larger tables
    return options;
  }

  void start(devserver::DevServerOptions options = default_options()) {
    dir_ = scratch_dir("devserver");
    options.data_dir = dir_;
    server_ = std::make_unique<devserver::DevServer>(options);
    server_->start();
    channel_ = grpc::CreateChannel("127.0.0.1:" + std::to_string(server_->port()),
                                   grpc::InsecureChannelCredentials());
    engine_ = QueryEngineService::NewStub(channel_);
    cluster_ = ClusterService::NewStub(channel_);
    admin_ = devserver::DevServerAdmin::NewStub(grpc::CreateChannel(
        "127.0.0.1:" + std::to_string(server_->admin_port()), grpc::InsecureChannelCredentials()));
  }

  void SetUp() override { start(); }

  void TearDown() override {
    if (server_) server_->shutdown(std::chrono::milliseconds(0));
    server_.reset();
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }

  // Every call has a deadline: a hung server fails the test instead of hanging it.
  static std::unique_ptr<grpc::ClientContext> context() {
    auto ctx = std::make_unique<grpc::ClientContext>();
    ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
    return ctx;
  }

  std::string authenticate(const std::string& user = "demo", const std::string& token = "demo") {
    AuthenticateRequest req;
    req.set_user(user);
    req.set_password(token);
    AuthenticateResponse res;
    const grpc::Status st = engine_->authenticate(context().get(), req, &res);
    EXPECT_TRUE(st.ok()) << st.error_message();
    return res.sessionid();
  }

  std::string prepare(const std::string& session, const std::string& sql) {
    PrepareStatementRequest req;
    req.set_sessionid(session);
    req.set_querystring(sql);
    PrepareStatementResponse res;
    const grpc::Status st = engine_->prepareStatement(context().get(), req, &res);
    EXPECT_TRUE(st.ok()) << st.error_message() << " for " << sql;
    return res.queryid();
  }

  grpc::Status execute(const std::string& session, const std::string& query_id) {
    ExecuteStatementRequest req;
    req.set_sessionid(session);
    req.set_queryid(query_id);
    ExecuteStatementResponse res;
    return engine_->executeStatement(context().get(), req, &res);
  }

  // Metadata and every batch until the empty one, checked against the metadata's column count.
  QueryResult fetch_all(const std::string& session, const std::string& query_id) {
    QueryResult result;
    GetResultMetadataRequest meta_req;
    meta_req.set_sessionid(session);
    meta_req.set_queryid(query_id);
    GetResultMetadataResponse meta;
    const grpc::Status st = engine_->getResultMetadata(context().get(), meta_req, &meta);
    EXPECT_TRUE(st.ok()) << st.error_message();
    result.schema = decode_result_metadata(meta.resultmetadata());
    for (;;) {
      GetNextResultBatchRequest req;
      req.set_sessionid(session);
      req.set_queryid(query_id);
      GetNextResultBatchResponse res;
      const grpc::Status bst = engine_->getNextResultBatch(context().get(), req, &res);
      EXPECT_TRUE(bst.ok()) << bst.error_message();
      if (!bst.ok()) break;
      Batch batch = decode_result_batch(res.resultbatch(),
                                        {.expected_columns = result.schema.columns.size()});
      if (batch.is_end_of_results()) break;
      result.batches.push_back(std::move(batch));
    }
    return result;
  }

  QueryResult run(const std::string& session, const std::string& sql) {
    const std::string id = prepare(session, sql);
    const grpc::Status st = execute(session, id);
    EXPECT_TRUE(st.ok()) << st.error_message() << " for " << sql;
    QueryResult result = fetch_all(session, id);
    ClearRequest clear;
    clear.set_sessionid(session);
    clear.set_queryid(id);
    ClearResponse cleared;
    EXPECT_TRUE(engine_->clear(context().get(), clear, &cleared).ok());
    return result;
  }

  std::string dir_;
  std::unique_ptr<devserver::DevServer> server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<QueryEngineService::Stub> engine_;
  std::unique_ptr<ClusterService::Stub> cluster_;
  std::unique_ptr<devserver::DevServerAdmin::Stub> admin_;
};

}  // namespace e6data::testing

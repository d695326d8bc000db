// Streams one query from a running e6data-devserver through the protocol and reports rows,
// batches, bytes and time. Used to measure the server's memory while it streams a large result
// (docs/performance.md): run the server, run this, read the server's VmHWM.
//
//   devserver_stream HOST:PORT [ROWS]

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <cstdio>
#include <string>

#include "e6data/decode.hpp"
#include "e6x_engine.grpc.pb.h"

namespace {

void check(const grpc::Status& st, const char* what) {
  if (!st.ok()) {
    std::fprintf(stderr, "%s failed: %s\n", what, st.error_message().c_str());
    std::exit(1);
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s HOST:PORT [ROWS]\n", argv[0]);
    return 2;
  }
  const long long rows = argc > 2 ? std::atoll(argv[2]) : 1'000'000;
  auto stub =
      QueryEngineService::NewStub(grpc::CreateChannel(argv[1], grpc::InsecureChannelCredentials()));
  auto ctx = [] {
    auto c = std::make_unique<grpc::ClientContext>();
    c->set_deadline(std::chrono::system_clock::now() + std::chrono::minutes(10));
    return c;
  };
  AuthenticateRequest auth;
  auth.set_user("demo");
  auth.set_password("demo");
  AuthenticateResponse session;
  check(stub->authenticate(ctx().get(), auth, &session), "authenticate");

  PrepareStatementRequest prep;
  prep.set_sessionid(session.sessionid());
  prep.set_querystring("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c LIMIT " +
                       std::to_string(rows) +
                       ") SELECT x, printf('row-%08d-%s', x, hex(randomblob(16))), x * 0.5, "
                       "date('2020-01-01', '+' || (x % 1000) || ' days') FROM c");
  PrepareStatementResponse prepared;
  check(stub->prepareStatement(ctx().get(), prep, &prepared), "prepare");
  const auto start = std::chrono::steady_clock::now();
  ExecuteStatementRequest exec;
  exec.set_sessionid(session.sessionid());
  exec.set_queryid(prepared.queryid());
  ExecuteStatementResponse executed;
  check(stub->executeStatement(ctx().get(), exec, &executed), "execute");

  long long got = 0;
  long long batches = 0;
  long long bytes = 0;
  for (;;) {
    GetNextResultBatchRequest req;
    req.set_sessionid(session.sessionid());
    req.set_queryid(prepared.queryid());
    GetNextResultBatchResponse res;
    check(stub->getNextResultBatch(ctx().get(), req, &res), "getNextResultBatch");
    const e6data::Batch batch = e6data::decode_result_batch(res.resultbatch());
    if (batch.is_end_of_results()) break;
    got += batch.num_rows();
    bytes += static_cast<long long>(res.resultbatch().size());
    ++batches;
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("rows=%lld batches=%lld payload_MB=%.1f seconds=%.2f rows_per_s=%.0f\n", got, batches,
              static_cast<double>(bytes) / 1e6, seconds, static_cast<double>(got) / seconds);
  return got == rows ? 0 : 1;
}

// The one classification of failed calls, on statuses as gRPC reports them (no network).
#include "rpc/failure.hpp"

#include <gtest/gtest.h>

#include "e6data/errors.hpp"

namespace e6data::rpc {
namespace {

grpc::Status status(grpc::StatusCode code, const std::string& message) {
  return {code, message};
}

TEST(FailureClassification, RouterAndServerSignals) {
  EXPECT_EQ(
      classify_failure(status(grpc::StatusCode::UNKNOWN, "Received http2 header with status: 456")),
      FailureKind::kWrongStrategy);
  EXPECT_EQ(classify_failure(
                status(grpc::StatusCode::UNAVAILABLE, "Received http2 header with status: 503")),
            FailureKind::kSuspended);
  EXPECT_EQ(classify_failure(
                status(grpc::StatusCode::INTERNAL, "Access denied: unknown or expired session")),
            FailureKind::kAccessDenied);
  EXPECT_EQ(
      classify_failure(status(grpc::StatusCode::UNAVAILABLE, "failed to connect to all addresses")),
      FailureKind::kTransient);
  EXPECT_EQ(classify_failure(status(grpc::StatusCode::DEADLINE_EXCEEDED, "Deadline Exceeded")),
            FailureKind::kDeadline);
  EXPECT_EQ(classify_failure(status(grpc::StatusCode::CANCELLED, "query q1 was cancelled")),
            FailureKind::kCancelled);
  EXPECT_EQ(classify_failure(status(grpc::StatusCode::UNAUTHENTICATED, "invalid token")),
            FailureKind::kUnauthenticated);
  EXPECT_EQ(
      classify_failure(status(grpc::StatusCode::INVALID_ARGUMENT, "near \"SELEC\": syntax error")),
      FailureKind::kQuery);
  EXPECT_EQ(classify_failure(status(grpc::StatusCode::NOT_FOUND, "no such table")),
            FailureKind::kQuery);
  EXPECT_EQ(classify_failure(status(grpc::StatusCode::INTERNAL, "disk I/O error")),
            FailureKind::kFatal);
  EXPECT_EQ(classify_failure(status(grpc::StatusCode::UNIMPLEMENTED, "")), FailureKind::kFatal);
  // A 503 that is not UNAVAILABLE (an odd proxy) is not taken for a suspended cluster.
  EXPECT_EQ(classify_failure(status(grpc::StatusCode::UNKNOWN, "status: 503")),
            FailureKind::kFatal);
}

template <typename E>
E thrown(const grpc::Status& st, const CallInfo& call) {
  try {
    throw_call_error(st, call);
  } catch (const E& e) {
    return e;
  } catch (const std::exception& e) {
    ADD_FAILURE() << "wrong type: " << e.what();
  }
  throw std::logic_error("unreachable");
}

TEST(FailureClassification, TypedErrorsKeepTheServerMessageAndContext) {
  const auto e = thrown<QueryError>(status(grpc::StatusCode::INVALID_ARGUMENT, "no such table: x"),
                                    {"prepareStatementV2", "q7", "green"});
  EXPECT_EQ(e.kind(), ErrorKind::kQuery);
  EXPECT_EQ(e.server_message(), "no such table: x");
  EXPECT_EQ(e.query_id(), "q7");
  EXPECT_EQ(e.strategy(), "green");
  EXPECT_EQ(e.grpc_code(), static_cast<int>(grpc::StatusCode::INVALID_ARGUMENT));
  EXPECT_FALSE(e.is_retryable());
  EXPECT_NE(std::string(e.what()).find("prepareStatementV2 failed (query q7) on the green "
                                       "deployment: no such table: x"),
            std::string::npos)
      << e.what();
}

TEST(FailureClassification, EachKindHasItsErrorType) {
  const grpc::Status s456(grpc::StatusCode::UNKNOWN, "Received http2 header with status: 456");
  EXPECT_TRUE(thrown<ConnectionError>(s456, {"authenticate", "", "blue"}).is_retryable());
  const auto changed = thrown<QueryError>(s456, {"getNextResultBatch", "q1", "blue"});
  EXPECT_EQ(changed.kind(), ErrorKind::kStrategyChanged);
  EXPECT_FALSE(changed.is_retryable());
  EXPECT_TRUE(thrown<AuthenticationError>(status(grpc::StatusCode::INTERNAL, "Access denied"),
                                          {"status", "", ""})
                  .is_retryable());
  EXPECT_FALSE(thrown<AuthenticationError>(status(grpc::StatusCode::UNAUTHENTICATED, "bad"),
                                           {"authenticate", "", ""})
                   .is_retryable());
  EXPECT_TRUE(thrown<ClusterSuspendedError>(
                  status(grpc::StatusCode::UNAVAILABLE, "Received http2 header with status: 503"),
                  {"prepareStatement", "", ""})
                  .is_retryable());
  EXPECT_TRUE(thrown<ConnectionError>(status(grpc::StatusCode::UNAVAILABLE, "connection reset"),
                                      {"execute", "", ""})
                  .is_retryable());
  EXPECT_EQ(thrown<TimeoutError>(status(grpc::StatusCode::DEADLINE_EXCEEDED, "late"), {"x", "", ""})
                .kind(),
            ErrorKind::kTimeout);
  EXPECT_EQ(
      thrown<CancelledError>(status(grpc::StatusCode::CANCELLED, "stop"), {"x", "", ""}).kind(),
      ErrorKind::kCancelled);
  EXPECT_EQ(thrown<Error>(status(grpc::StatusCode::DATA_LOSS, "lost"), {"x", "", ""}).kind(),
            ErrorKind::kInternal);
}

}  // namespace
}  // namespace e6data::rpc

// The one classification of failed calls, on statuses as gRPC reports them (no network). The
// router's signals are recognised by status code AND whole message; hostile text anywhere else
// (SQL, data, a trigger's message) never changes the cause.
#include "rpc/failure.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "e6data/errors.hpp"

namespace e6data::rpc {
namespace {

using grpc::StatusCode;

FailureCause cause_of(StatusCode code, const std::string& message) {
  return classify_failure(grpc::Status(code, message));
}

TEST(FailureClassification, TheExactFormsOfProtocolSection6) {
  // Wrong deployment: e6data's gateway, a plain HTTP proxy (gRPC's own text), older documents.
  EXPECT_EQ(cause_of(StatusCode::UNKNOWN, "status: 456"), FailureCause::kWrongDeployment);
  EXPECT_EQ(cause_of(StatusCode::UNKNOWN, "Received http2 header with status: 456"),
            FailureCause::kWrongDeployment);
  EXPECT_EQ(cause_of(StatusCode::UNKNOWN, "Wrong strategy. Status: 456"),
            FailureCause::kWrongDeployment);
  // 503: the gateway's suspended form and the plain-proxy form.
  EXPECT_EQ(cause_of(StatusCode::UNAVAILABLE, "status: 503, cluster is suspended"),
            FailureCause::kRouter503);
  EXPECT_EQ(cause_of(StatusCode::UNAVAILABLE, "Received http2 header with status: 503"),
            FailureCause::kRouter503);
  // Session lost: INTERNAL "Access denied", exactly or as the start of the message.
  EXPECT_EQ(cause_of(StatusCode::INTERNAL, "Access denied"), FailureCause::kSessionLost);
  EXPECT_EQ(cause_of(StatusCode::INTERNAL, "Access denied: unknown or expired session"),
            FailureCause::kSessionLost);
}

TEST(FailureClassification, TextInsideAMessageNeverMakesARouterSignal) {
  // What a server, a user's SQL, data or a trigger can put into a message.
  const std::vector<std::string> hostile = {
      "no such table: status: 456",
      "near \"Received http2 header with status: 456\": syntax error",
      "trigger failed: Access denied",
      "status: 456 ",
      " status: 456",
      "status: 4560",
      "Status: 456",
      "status: 503",
      "status: 503, cluster is suspended!",
      "Received http2 header with status: 503 (cluster is suspended)",
      "value 'Received http2 header with status: 456' is too long",
      "access denied",
      "ACCESS DENIED",
      "",
  };
  for (const std::string& text : hostile) {
    for (const StatusCode code :
         {StatusCode::UNKNOWN, StatusCode::INVALID_ARGUMENT, StatusCode::INTERNAL,
          StatusCode::FAILED_PRECONDITION, StatusCode::ABORTED, StatusCode::UNAVAILABLE}) {
      const FailureCause cause = cause_of(code, text);
      EXPECT_NE(cause, FailureCause::kWrongDeployment) << int(code) << " '" << text << "'";
      EXPECT_NE(cause, FailureCause::kRouter503) << int(code) << " '" << text << "'";
      if (text.rfind("Access denied", 0) != 0) {
        EXPECT_NE(cause, FailureCause::kSessionLost) << int(code) << " '" << text << "'";
      }
    }
  }
  // The exact forms under any other status code are not router signals either.
  for (const StatusCode code : {StatusCode::INVALID_ARGUMENT, StatusCode::INTERNAL,
                                StatusCode::FAILED_PRECONDITION, StatusCode::ABORTED}) {
    EXPECT_NE(cause_of(code, "status: 456"), FailureCause::kWrongDeployment);
    EXPECT_NE(cause_of(code, "Received http2 header with status: 503"), FailureCause::kRouter503);
  }
  // "Access denied" under another code is not a lost session.
  EXPECT_EQ(cause_of(StatusCode::INVALID_ARGUMENT, "Access denied"), FailureCause::kRefused);
  EXPECT_EQ(cause_of(StatusCode::UNKNOWN, "Access denied"), FailureCause::kOther);
  // A 456 text under UNAVAILABLE is a transient failure, a 503 text under UNKNOWN nothing special.
  EXPECT_EQ(cause_of(StatusCode::UNAVAILABLE, "status: 456"), FailureCause::kUnavailable);
  EXPECT_EQ(cause_of(StatusCode::UNKNOWN, "status: 503, cluster is suspended"),
            FailureCause::kOther);
}

TEST(FailureClassification, OtherCodes) {
  EXPECT_EQ(cause_of(StatusCode::UNAVAILABLE, "failed to connect to all addresses"),
            FailureCause::kUnavailable);
  EXPECT_EQ(cause_of(StatusCode::DEADLINE_EXCEEDED, "Deadline Exceeded"), FailureCause::kDeadline);
  EXPECT_EQ(cause_of(StatusCode::CANCELLED, "query q1 was cancelled"), FailureCause::kCancelled);
  EXPECT_EQ(cause_of(StatusCode::UNAUTHENTICATED, "invalid token"), FailureCause::kUnauthenticated);
  EXPECT_EQ(cause_of(StatusCode::PERMISSION_DENIED, "no"), FailureCause::kUnauthenticated);
  EXPECT_EQ(cause_of(StatusCode::INVALID_ARGUMENT, "near \"SELEC\": syntax error"),
            FailureCause::kRefused);
  EXPECT_EQ(cause_of(StatusCode::NOT_FOUND, "no such table"), FailureCause::kRefused);
  EXPECT_EQ(cause_of(StatusCode::INTERNAL, "disk I/O error"), FailureCause::kOther);
  EXPECT_EQ(cause_of(StatusCode::UNIMPLEMENTED, ""), FailureCause::kUnimplemented);
  EXPECT_EQ(cause_of(StatusCode::DATA_LOSS, "lost"), FailureCause::kOther);
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

CallInfo info(std::string method, std::string query_id = {}, std::string strategy = {}) {
  return {std::move(method), std::move(query_id), std::move(strategy), "db.example:443"};
}

TEST(FailureClassification, TypedErrorsKeepTheServerMessageContextAndCause) {
  const auto e = thrown<QueryError>(grpc::Status(StatusCode::INVALID_ARGUMENT, "no such table: x"),
                                    info("prepareStatementV2", "q7", "green"));
  EXPECT_EQ(e.kind(), ErrorKind::kQuery);
  EXPECT_EQ(e.cause(), FailureCause::kRefused);
  EXPECT_EQ(e.server_message(), "no such table: x");
  EXPECT_EQ(e.query_id(), "q7");
  EXPECT_EQ(e.strategy(), "green");
  EXPECT_EQ(e.grpc_code(), static_cast<int>(StatusCode::INVALID_ARGUMENT));
  EXPECT_EQ(e.http_status(), 0);
  EXPECT_FALSE(e.is_retryable());
  EXPECT_NE(std::string(e.what()).find("prepareStatementV2 failed (query q7) on the green "
                                       "deployment: no such table: x"),
            std::string::npos)
      << e.what();
}

TEST(FailureClassification, AHostile456TextIsAQueryErrorNotARouterSignal) {
  const auto e = thrown<QueryError>(grpc::Status(StatusCode::INVALID_ARGUMENT,
                                                 "no such table: Received http2 header with "
                                                 "status: 456"),
                                    info("prepareStatement"));
  EXPECT_EQ(e.kind(), ErrorKind::kQuery);
  EXPECT_EQ(e.http_status(), 0);
  EXPECT_EQ(e.cause(), FailureCause::kRefused);
}

TEST(FailureClassification, EachCauseHasItsErrorType) {
  const grpc::Status s456(StatusCode::UNKNOWN, "status: 456");
  const auto on_auth = thrown<ConnectionError>(s456, info("authenticate", "", "blue"));
  EXPECT_TRUE(on_auth.is_retryable());
  EXPECT_EQ(on_auth.http_status(), 456);
  EXPECT_EQ(on_auth.cause(), FailureCause::kWrongDeployment);
  const auto changed = thrown<QueryError>(s456, info("getNextResultBatch", "q1", "blue"));
  EXPECT_EQ(changed.kind(), ErrorKind::kStrategyChanged);
  EXPECT_FALSE(changed.is_retryable());
  EXPECT_EQ(changed.cause(), FailureCause::kWrongDeployment);
  const auto denied =
      thrown<AuthenticationError>(grpc::Status(StatusCode::INTERNAL, "Access denied"), info("x"));
  EXPECT_TRUE(denied.is_retryable());
  EXPECT_EQ(denied.cause(), FailureCause::kSessionLost);
  EXPECT_FALSE(thrown<AuthenticationError>(grpc::Status(StatusCode::UNAUTHENTICATED, "bad"),
                                           info("authenticate"))
                   .is_retryable());
  const auto suspended = thrown<ClusterSuspendedError>(
      grpc::Status(StatusCode::UNAVAILABLE, "status: 503, cluster is suspended"), info("x"));
  EXPECT_EQ(suspended.http_status(), 503);
  EXPECT_EQ(suspended.cause(), FailureCause::kRouter503);
  EXPECT_EQ(
      thrown<ConnectionError>(grpc::Status(StatusCode::UNAVAILABLE, "reset"), info("x")).cause(),
      FailureCause::kUnavailable);
  EXPECT_EQ(
      thrown<TimeoutError>(grpc::Status(StatusCode::DEADLINE_EXCEEDED, "late"), info("x")).kind(),
      ErrorKind::kTimeout);
  EXPECT_EQ(thrown<CancelledError>(grpc::Status(StatusCode::CANCELLED, "stop"), info("x")).kind(),
            ErrorKind::kCancelled);
  EXPECT_EQ(thrown<Error>(grpc::Status(StatusCode::DATA_LOSS, "lost"), info("x")).kind(),
            ErrorKind::kInternal);
}

TEST(FailureClassification, AnEmptyMessageSaysTheServerIsNotAnEngine) {
  const auto e = thrown<Error>(grpc::Status(StatusCode::UNIMPLEMENTED, ""), info("authenticate"));
  EXPECT_NE(std::string(e.what()).find("the server at db.example:443 did not answer as an e6data "
                                       "QueryEngineService (gRPC status 12)"),
            std::string::npos)
      << e.what();
}

}  // namespace
}  // namespace e6data::rpc

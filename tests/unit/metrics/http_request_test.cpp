#include "metrics/http_request.hpp"

#include <gtest/gtest.h>

#include <cstdlib>

#include "e6data/errors.hpp"
#include "e6data/metrics.hpp"

namespace e6data::metrics {
namespace {

TEST(HttpRequest, ARequestIsCompleteAtTheEmptyLine) {
  EXPECT_FALSE(request_complete("GET /metrics HTTP/1.1\r\nHost: x\r\n"));
  EXPECT_TRUE(request_complete("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n"));
}

TEST(HttpRequest, AnswersGetAndHeadOfMetricsOnly) {
  EXPECT_EQ(answer_for("GET /metrics HTTP/1.1\r\n\r\n").status, 200);
  EXPECT_EQ(answer_for("GET /metrics?x=1 HTTP/1.0\r\n\r\n").status, 200);
  const auto head = answer_for("HEAD /metrics HTTP/1.1\r\n\r\n");
  EXPECT_EQ(head.status, 200);
  EXPECT_FALSE(head.with_body);
  EXPECT_EQ(answer_for("GET / HTTP/1.1\r\n\r\n").status, 404);
  EXPECT_EQ(answer_for("POST /metrics HTTP/1.1\r\n\r\n").status, 405);
  EXPECT_EQ(answer_for("GET /metrics HTTP/2\r\n\r\n").status, 400);
  EXPECT_EQ(answer_for("GET  /metrics HTTP/1.1\r\n\r\n").status, 400);
  EXPECT_EQ(answer_for("garbage\r\n\r\n").status, 400);
}

TEST(HttpRequest, TheResponseSaysItsLengthTypeAndClose) {
  const std::string r = http_response({200, true}, "a 1\n");
  EXPECT_EQ(r,
            "HTTP/1.1 200 OK\r\n"
            "Content-Type: text/plain; version=0.0.4; charset=utf-8\r\n"
            "Content-Length: 4\r\n"
            "Connection: close\r\n\r\n"
            "a 1\n");
  const std::string head = http_response({200, false}, "a 1\n");
  EXPECT_TRUE(head.ends_with("Content-Length: 4\r\nConnection: close\r\n\r\n")) << head;
  EXPECT_NE(http_response({405, true}, "").find("Allow: GET, HEAD\r\n"), std::string::npos);
}

class MetricsEnvironment : public ::testing::Test {
 protected:
  void TearDown() override { ::unsetenv("E6DATA_METRICS_ADDRESS"); }
  static void set(const char* value) { ::setenv("E6DATA_METRICS_ADDRESS", value, 1); }
};

TEST_F(MetricsEnvironment, UnsetOrEmptyMeansOff) {
  ::unsetenv("E6DATA_METRICS_ADDRESS");
  EXPECT_FALSE(MetricsEndpointOptions::from_environment());
  EXPECT_EQ(start_metrics_endpoint_from_environment(), nullptr);
  set("");
  EXPECT_FALSE(MetricsEndpointOptions::from_environment());
}

TEST_F(MetricsEnvironment, ReadsHostAndPortLoopbackByDefault) {
  set(":9464");
  auto o = MetricsEndpointOptions::from_environment();
  ASSERT_TRUE(o);
  EXPECT_EQ(o->address, "127.0.0.1");
  EXPECT_EQ(o->port, 9464);
  set("[::1]:0");
  o = MetricsEndpointOptions::from_environment();
  ASSERT_TRUE(o);
  EXPECT_EQ(o->address, "::1");
  EXPECT_EQ(o->port, 0);
  set("10.0.0.5:9100");
  o = MetricsEndpointOptions::from_environment();
  ASSERT_TRUE(o);
  EXPECT_EQ(o->address, "10.0.0.5");
}

TEST_F(MetricsEnvironment, RefusesWhatItCannotReadNamingTheVariable) {
  for (const char* bad : {"9464", "host:", "host:abc", "::1:80", "h:70000"}) {
    set(bad);
    try {
      (void)MetricsEndpointOptions::from_environment();
      ADD_FAILURE() << bad << " was accepted";
    } catch (const UsageError& e) {
      EXPECT_NE(std::string(e.what()).find("E6DATA_METRICS_ADDRESS"), std::string::npos);
    }
  }
}

TEST(MetricsEndpointOptions, AnAddressThatIsNotALiteralIsAUsageError) {
  MetricsEndpointOptions o;
  o.address = "example.com";
  EXPECT_THROW(MetricsEndpoint{o}, UsageError);
  o.address = "127.0.0.1";
  o.port = 70000;
  EXPECT_THROW(MetricsEndpoint{o}, UsageError);
}

}  // namespace
}  // namespace e6data::metrics

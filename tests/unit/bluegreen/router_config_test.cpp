#include "bluegreen/router_config.hpp"

#include <gtest/gtest.h>

#include <stdexcept>

namespace e6data::bluegreen {
namespace {

RouterConfig base() {
  RouterConfig c;
  c.prefix = "/run/x";
  c.listen_port = 9000;
  c.blue_port = 9001;
  c.green_port = 9002;
  c.cluster_port = 9003;
  return c;
}

bool has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

TEST(RouterConfig, StableRoutesActiveAndRejectsTheOther) {
  RouterConfig c = base();
  c.active = "green";
  const std::string conf = render_nginx_config(c);
  EXPECT_TRUE(has(conf, "default e6_green;"));
  EXPECT_TRUE(has(conf, "green e6_green;"));
  EXPECT_TRUE(has(conf, "blue reject;"));
  EXPECT_TRUE(has(conf, "if ($e6_route = reject) { rewrite ^ /e6data.router/456 last; }"));
  EXPECT_TRUE(has(conf, "listen 127.0.0.1:9000 http2;"));
  EXPECT_TRUE(has(conf, "server 127.0.0.1:9001;"));
  EXPECT_TRUE(has(conf, "location /ClusterService/ { grpc_pass grpc://e6_cluster; }"));
  EXPECT_TRUE(has(conf, "pid /run/x/nginx.pid;"));
  EXPECT_TRUE(has(conf, "worker_shutdown_timeout 10s;"));
  EXPECT_FALSE(has(conf, "return 503"));
}

TEST(RouterConfig, SwitchingRoutesEachHeaderAndNewWorkToThePending) {
  RouterConfig c = base();
  c.phase = Phase::kSwitching;
  c.active = "blue";
  c.pending = "green";
  const std::string conf = render_nginx_config(c);
  EXPECT_TRUE(has(conf, "default e6_green;"));
  EXPECT_TRUE(has(conf, "blue e6_blue;"));
  EXPECT_TRUE(has(conf, "green e6_green;"));
  EXPECT_FALSE(has(conf, " reject;"));
}

TEST(RouterConfig, GatewayAnswersAreTrailersOnlyGrpcStatuses) {
  const std::string conf = render_nginx_config(base());
  EXPECT_TRUE(has(conf,
                  "location = /e6data.router/456 {\n      internal;\n"
                  "      add_header content-type application/grpc always;\n"
                  "      add_header grpc-status 2 always;\n"
                  "      add_header grpc-message \"status: 456\" always;\n"));
  EXPECT_TRUE(has(conf,
                  "add_header grpc-status 14 always;\n"
                  "      add_header grpc-message \"status: 503, cluster is suspended\" always;"));
  EXPECT_FALSE(has(conf, "return 456;"));
  EXPECT_FALSE(has(conf, "return 503;"));
}

TEST(RouterConfig, HttpAnswersAreBareStatuses) {
  RouterConfig c = base();
  c.answers = RouterAnswers::kHttp;
  std::string conf = render_nginx_config(c);
  EXPECT_TRUE(has(conf, "if ($e6_route = reject) { return 456; }"));
  EXPECT_FALSE(has(conf, "grpc-status"));
  c.phase = Phase::kSuspended;
  conf = render_nginx_config(c);
  EXPECT_TRUE(has(conf, "      return 503;\n"));
  EXPECT_TRUE(has(conf, "error_page 503 /e6data.router/empty;"));
  EXPECT_FALSE(has(conf, "grpc-status"));
  EXPECT_EQ(parse_router_answers("http"), RouterAnswers::kHttp);
  EXPECT_EQ(parse_router_answers("gateway"), RouterAnswers::kGateway);
  EXPECT_THROW(parse_router_answers("html"), std::invalid_argument);
}

TEST(RouterConfig, FlakyRouterRefusesAFractionOfOneSide) {
  RouterConfig c = base();
  c.phase = Phase::kSwitching;
  c.pending = "green";
  c.flaky_side = "green";
  c.flaky_fraction = 0.25;
  std::string conf = render_nginx_config(c);
  EXPECT_TRUE(has(conf,
                  "split_clients \"${request_id}\" $e6_flaky_draw {\n    25.00% hit;\n"
                  "    * miss;\n  }"));
  EXPECT_TRUE(has(conf, "\"green:hit\" 1;"));
  EXPECT_TRUE(has(conf, "if ($e6_flaky = 1) { rewrite ^ /e6data.router/456 last; }"));
  c.flaky_fraction = 1;
  conf = render_nginx_config(c);
  EXPECT_TRUE(has(conf, "$e6_flaky_draw {\n    * hit;\n  }"));
  c.flaky_fraction = 0;
  EXPECT_FALSE(has(render_nginx_config(c), "flaky"));
  c.flaky_fraction = 1.5;
  EXPECT_THROW(render_nginx_config(c), std::invalid_argument);
}

TEST(RouterConfig, SuspendedAnswers503ButKeepsClusterService) {
  RouterConfig c = base();
  c.phase = Phase::kSuspended;
  const std::string conf = render_nginx_config(c);
  EXPECT_TRUE(has(conf, "      rewrite ^ /e6data.router/503 last;\n"));
  EXPECT_TRUE(has(conf, "grpc_pass grpc://e6_cluster;"));
  EXPECT_FALSE(has(conf, "grpc_pass grpc://$e6_route;"));
}

TEST(RouterConfig, RefusesInconsistentConfigs) {
  RouterConfig c = base();
  c.active = "purple";
  EXPECT_THROW(render_nginx_config(c), std::invalid_argument);
  c = base();
  c.phase = Phase::kSwitching;
  c.pending = "blue";
  EXPECT_THROW(render_nginx_config(c), std::invalid_argument);
  c = base();
  c.green_port = 0;
  EXPECT_THROW(render_nginx_config(c), std::invalid_argument);
}

}  // namespace
}  // namespace e6data::bluegreen

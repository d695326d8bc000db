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
  EXPECT_TRUE(has(conf, "if ($e6_route = reject) { return 456; }"));
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

TEST(RouterConfig, SuspendedAnswers503ButKeepsClusterService) {
  RouterConfig c = base();
  c.phase = Phase::kSuspended;
  const std::string conf = render_nginx_config(c);
  EXPECT_TRUE(has(conf, "return 503;"));
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

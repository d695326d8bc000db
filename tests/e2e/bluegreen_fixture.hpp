#pragma once
// The whole blue-green topology on free loopback ports: the controller in-process, with nginx
// and two dev servers as child processes. Torn down after every test, checking that no process
// survives; the runtime directory (configs and logs) is kept when a test fails.

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "bluegreen/controller.hpp"
#include "cluster.grpc.pb.h"
#include "e6x_engine.grpc.pb.h"

namespace e6data::testing {

class BlueGreenTest : public ::testing::Test {
 protected:
  // A test name as one path component (parameterized names hold '/').
  static std::string safe_name(std::string name) {
    for (char& c : name) {
      if (c == '/') c = '-';
    }
    return name;
  }

  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    runtime_dir_ = (std::filesystem::temp_directory_path() /
                    ("e6data-e2e-" + std::to_string(::getpid()) + "-" + safe_name(info->name())))
                       .string();
    std::filesystem::remove_all(runtime_dir_);
    bluegreen::ControllerOptions options;
    options.runtime_dir = runtime_dir_;
    options.devserver_path = E6DATA_DEVSERVER_PATH;
    options.batch_rows = 1000;
    options.resume_duration = std::chrono::milliseconds(1500);
    options.drain_timeout = std::chrono::seconds(60);
    configure(options);
    controller_ = std::make_unique<bluegreen::Controller>(options);
    controller_->up();
    const auto state = controller_->state();  // not a temporary: the loop views its fields
    for (const auto& d : state.deployments()) pids_.push_back(d.pid());
    pids_.push_back(state.router_pid());
  }

  // Lets a test change the cluster before it starts (e.g. green active).
  virtual void configure(bluegreen::ControllerOptions& /*options*/) {}

  void TearDown() override {
    if (controller_) controller_->down();
    controller_.reset();
    for (const int pid : pids_) {
      EXPECT_NE(::kill(pid, 0), 0) << "process " << pid << " outlived the cluster";
    }
    if (HasFailure()) {
      std::cerr << "keeping the cluster's files and logs in " << runtime_dir_ << '\n';
    } else {
      std::filesystem::remove_all(runtime_dir_);
    }
  }

  // A new channel with a connection of its own to the router (gRPC otherwise shares one
  // connection among channels to the same target, and that one may still be served by an nginx
  // worker of the previous configuration).
  std::shared_ptr<grpc::Channel> channel() const {
    grpc::ChannelArguments args;
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
    return grpc::CreateCustomChannel("127.0.0.1:" + std::to_string(controller_->port()),
                                     grpc::InsecureChannelCredentials(), args);
  }

  // A context with a deadline and, when given, the strategy header.
  static std::unique_ptr<grpc::ClientContext> context(const std::string& strategy = "") {
    auto ctx = std::make_unique<grpc::ClientContext>();
    ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
    if (!strategy.empty()) ctx->AddMetadata("strategy", strategy);
    return ctx;
  }

  static grpc::Status authenticate(QueryEngineService::Stub& stub, const std::string& strategy,
                                   AuthenticateResponse* res) {
    AuthenticateRequest req;
    req.set_user("demo");
    req.set_password("demo");
    return stub.authenticate(context(strategy).get(), req, res);
  }

  // Waits (bounded) until the controller reports `phase` with `active`.
  bool wait_for_phase(const std::string& phase, const std::string& active,
                      std::chrono::seconds limit = std::chrono::seconds(30)) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < deadline) {
      const auto s = controller_->state();
      if (s.phase() == phase && s.active() == active) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
  }

  std::string runtime_dir_;
  std::unique_ptr<bluegreen::Controller> controller_;
  std::vector<int> pids_;
};

}  // namespace e6data::testing

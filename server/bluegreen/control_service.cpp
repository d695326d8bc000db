#include "bluegreen/control_service.hpp"

#include <functional>
#include <stdexcept>

#include "bluegreen/controller.hpp"
#include "bluegreen_control.grpc.pb.h"
#include "cluster.grpc.pb.h"

namespace e6data::bluegreen {
namespace {

ClusterState to_proto(const ClusterInfo& info) {
  const auto& f = info.fields();
  ClusterState s;
  s.set_phase(f.phase);
  s.set_active(f.active);
  s.set_pending(f.pending);
  s.set_cluster_status(f.cluster_status);
  s.set_port(f.port);
  s.set_switches(f.switches);
  s.set_reloads(f.reloads);
  s.set_router_pid(f.router_pid);
  s.set_router_answers(f.router_answers);
  s.set_router_accepts_pending(f.router_accepts_pending);
  for (const auto& dep : f.deployments) {
    const auto& g = dep.fields();
    auto* d = s.add_deployments();
    d->set_name(g.name);
    d->set_port(g.port);
    d->set_admin_port(g.admin_port);
    d->set_pid(g.pid);
    d->set_active_queries(g.active_queries);
    d->set_active_sessions(g.active_sessions);
    d->set_draining_toward(g.draining_toward);
    d->set_reachable(g.reachable);
    d->set_role(g.role);
  }
  return s;
}

grpc::Status guarded(const std::function<void()>& body) {
  try {
    body();
    return grpc::Status::OK;
  } catch (const std::invalid_argument& e) {
    return {grpc::StatusCode::INVALID_ARGUMENT, e.what()};
  } catch (const std::logic_error& e) {
    return {grpc::StatusCode::FAILED_PRECONDITION, e.what()};
  } catch (const std::exception& e) {
    return {grpc::StatusCode::INTERNAL, e.what()};
  }
}

class ControlService final : public BlueGreenControl::Service {
 public:
  explicit ControlService(Controller& c) : c_(c) {}
  grpc::Status GetClusterState(grpc::ServerContext*, const ControlRequest*,
                               ClusterState* res) override {
    return guarded([&] { *res = to_proto(c_.state()); });
  }
  grpc::Status Switch(grpc::ServerContext*, const SwitchRequest* req, ClusterState* res) override {
    return guarded([&] {
      const auto drain = std::chrono::milliseconds(req->drain_timeout_ms());
      if (req->announce_lead_ms() == 0 && req->flaky_fraction() == 0 &&
          req->flaky_window_ms() == 0) {
        *res = to_proto(c_.switch_to(req->to(), drain, req->wait()));
        return;
      }
      SwitchFaults faults;
      faults.announce_lead = std::chrono::milliseconds(req->announce_lead_ms());
      faults.flaky_fraction = req->flaky_fraction();
      faults.flaky_window = std::chrono::milliseconds(req->flaky_window_ms());
      *res = to_proto(c_.switch_to(req->to(), drain, req->wait(), faults));
    });
  }
  grpc::Status Suspend(grpc::ServerContext*, const ControlRequest*, ClusterState* res) override {
    return guarded([&] { *res = to_proto(c_.suspend()); });
  }
  grpc::Status Resume(grpc::ServerContext*, const ControlRequest*, ClusterState* res) override {
    return guarded([&] { *res = to_proto(c_.resume()); });
  }
  grpc::Status Restart(grpc::ServerContext*, const RestartRequest* req,
                       ClusterState* res) override {
    return guarded([&] { *res = to_proto(c_.restart(req->deployment())); });
  }
  grpc::Status Reload(grpc::ServerContext*, const ControlRequest*, ClusterState* res) override {
    return guarded([&] { *res = to_proto(c_.reload()); });
  }
  grpc::Status Shutdown(grpc::ServerContext*, const ControlRequest*, ClusterState* res) override;

 private:
  Controller& c_;
};

// The cluster's ClusterService (PROTOCOL §4), reached through the router.
class ClusterServiceImpl final : public ::ClusterService::Service {
 public:
  explicit ClusterServiceImpl(Controller& c) : c_(c) {}
  grpc::Status status(grpc::ServerContext*, const ::ClusterStatusRequest* req,
                      ::ClusterStatusResponse* res) override {
    if (!c_.check_user(req->user(), req->password())) return denied();
    res->set_status(c_.cluster_status());
    return grpc::Status::OK;
  }
  grpc::Status resume(grpc::ServerContext*, const ::ResumeRequest* req,
                      ::ResumeResponse* res) override {
    if (!c_.check_user(req->user(), req->password())) return denied();
    return guarded([&] { res->set_status(c_.resume().cluster_status()); });
  }
  grpc::Status suspend(grpc::ServerContext*, const ::SuspendRequest* req,
                       ::SuspendResponse* res) override {
    if (!c_.check_user(req->user(), req->password())) return denied();
    return guarded([&] { res->set_status(c_.suspend().cluster_status()); });
  }

 private:
  static grpc::Status denied() {
    return {grpc::StatusCode::UNAUTHENTICATED, "invalid username or access token"};
  }
  Controller& c_;
};

}  // namespace

// Shutdown only flags the request: stopping the server from inside one of its own calls would
// wait for that call. The program's main thread sees the flag and calls down().
grpc::Status ControlService::Shutdown(grpc::ServerContext*, const ControlRequest*,
                                      ClusterState* res) {
  return guarded([&] {
    *res = to_proto(c_.state());
    c_.request_shutdown();
  });
}

std::unique_ptr<grpc::Service> make_control_service(Controller& controller) {
  return std::make_unique<ControlService>(controller);
}

std::unique_ptr<grpc::Service> make_cluster_service(Controller& controller) {
  return std::make_unique<ClusterServiceImpl>(controller);
}

}  // namespace e6data::bluegreen

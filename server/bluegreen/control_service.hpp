#pragma once
// The controller's two gRPC services: BlueGreenControl (the e6data-bluegreen subcommands, on
// 127.0.0.1 only) and the cluster's ClusterService (PROTOCOL §4, reached through the router).

#include <grpcpp/grpcpp.h>

#include <memory>

namespace e6data::bluegreen {

class Controller;

std::unique_ptr<grpc::Service> make_control_service(Controller& controller);
std::unique_ptr<grpc::Service> make_cluster_service(Controller& controller);

}  // namespace e6data::bluegreen

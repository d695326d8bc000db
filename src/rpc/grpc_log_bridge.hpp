#pragma once
// gRPC core writes its own diagnostics to stderr. The library prints nothing of its own accord,
// so those lines are routed into the `e6data.grpc` logger instead (level E6DATA_GRPC_LOG_LEVEL).

namespace e6data::rpc {

// Installs the bridge (idempotent, thread-safe). Called before the first channel is made.
void install_grpc_log_bridge();

}  // namespace e6data::rpc

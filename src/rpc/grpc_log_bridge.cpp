#include "rpc/grpc_log_bridge.hpp"

#include <grpc/support/log.h>

#include <mutex>

#include "log/logger.hpp"

namespace e6data::rpc {
namespace {

void forward(gpr_log_func_args* args) {
  // gRPC reports transport events as errors that the connector already turns into typed errors
  // (an HTML body from a 503, a reset stream): warnings from the connector's point of view.
  spdlog::level::level_enum level = spdlog::level::debug;
  if (args->severity == GPR_LOG_SEVERITY_ERROR) level = spdlog::level::warn;
  if (args->severity == GPR_LOG_SEVERITY_INFO) level = spdlog::level::info;
  log::event(log::get("e6data.grpc"), level, args->message,
             {{"source", std::string(args->file) + ":" + std::to_string(args->line)}});
}

}  // namespace

void install_grpc_log_bridge() {
  static std::once_flag once;
  std::call_once(once, [] { gpr_set_log_function(forward); });
}

}  // namespace e6data::rpc

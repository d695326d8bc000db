#pragma once
// db.client.operation.duration: how long each public call of a Cursor took, by operation and
// error type, and e6data.switch.operation.duration, the same for the calls that overlapped a
// switch in progress (announced, not completed): the latency a switch adds is the difference.
//
// Every (operation, error type) pair has its histogram from the start, in a fixed array: a
// recording looks nothing up and takes no lock.

#include <chrono>
#include <exception>
#include <type_traits>

#include "e6data/errors.hpp"
#include "strategy/clock.hpp"
#include "strategy/endpoint_state.hpp"

namespace e6data::metrics {

// db.operation.name values: the Cursor call, not the SQL verb (the connector does not parse it).
enum class Operation { kExecute, kFetch, kStatus, kCancel, kClear, kExplain, kExplainAnalyze };
inline constexpr int kOperations = 7;

// error.type: none (success), one per ErrorKind, or "_OTHER" (an exception that is not an
// e6data::Error), as OpenTelemetry names an unknown type.
struct ErrorType {
  int slot = 0;  // 0: none; 1 + ErrorKind; kOtherSlot
  static ErrorType none() noexcept { return {}; }
  static ErrorType of(ErrorKind kind) noexcept { return {1 + static_cast<int>(kind)}; }
  static ErrorType other() noexcept;
};

void record_operation(Operation operation, double seconds, ErrorType error, bool during_switch);

// Runs `call` and records how long it took, with the error type it threw (then rethrown).
// The time comes from `clock` (the connection's, injectable), `endpoint` tells whether a switch
// was in progress at the start or at the end.
template <typename Call>
decltype(auto) timed(Operation operation, strategy::Clock& clock,
                     const strategy::EndpointState* endpoint, Call&& call) {
  const auto switching = [endpoint] {
    return endpoint != nullptr && endpoint->word().pending != strategy::Deployment::kNone;
  };
  const bool switching_at_start = switching();
  const auto started = clock.now();
  const auto finish = [&](ErrorType error) {
    const std::chrono::duration<double> took = clock.now() - started;
    record_operation(operation, took.count(), error, switching_at_start || switching());
  };
  try {
    if constexpr (std::is_void_v<decltype(call())>) {
      call();
      finish(ErrorType::none());
    } else {
      decltype(auto) result = call();
      finish(ErrorType::none());
      return result;
    }
  } catch (const Error& e) {
    finish(ErrorType::of(e.kind()));
    throw;
  } catch (...) {
    finish(ErrorType::other());
    throw;
  }
}

}  // namespace e6data::metrics

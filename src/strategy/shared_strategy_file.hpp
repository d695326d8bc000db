#pragma once
// Process-shared strategy state: a small file under /dev/shm (E6DATA_STRATEGY_SHARED_STATE) that
// worker processes on one host map, so what one process learns (the deployment, a switch) the
// others see at once. Each endpoint gets a slot holding a StrategyCell; slots are claimed and
// updated only with lock-free atomics, so a process dying at any instant cannot wedge the
// others (there is no lock to leave held).

#include <string>

#include "strategy/endpoint_state.hpp"

namespace e6data::strategy {

// The cell of `endpoint` in the shared file `/dev/shm/<name>` (`directory` replaces /dev/shm in
// tests), creating the file when missing. Returns nullptr (after logging a warning) when the
// file cannot be used: the caller then keeps its state in-process. The mapping stays for the
// life of the process.
StrategyCell* shared_strategy_cell(const std::string& name, const std::string& endpoint,
                                   const std::string& directory = "/dev/shm");

}  // namespace e6data::strategy

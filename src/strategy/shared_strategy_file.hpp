#pragma once
// Process-shared strategy state: a small file under /dev/shm (E6DATA_STRATEGY_SHARED_STATE) that
// worker processes on one host map, so what one process learns (the deployment, a switch) the
// others see at once. Each endpoint gets a slot holding a StrategyCell; slots are claimed and
// updated only with lock-free atomics, so a process dying at any instant cannot wedge the
// others (there is no lock to leave held).
//
// Layout (version 1, magic "E6DSTRAT"): the magic word, 64 slots {key, StrategyCell}, then 64
// endpoint names {length, 248 bytes as 31 atomic words}, written by the process that claims a
// slot so that operators can tell the slots apart. The names came later: a file without them
// (an older library made it) is grown by the first newer process, and an older process ignores
// them, so both kinds of process keep sharing one file.
//
// Only a file that is safe to trust is used: a regular file (not a symbolic link), owned by the
// effective user or root, not writable by the group or others. Anyone may create files in
// /dev/shm, so a file planted there by another user must not steer this process's routing.

#include <functional>
#include <string>
#include <vector>

#include "e6data/strategy.hpp"
#include "strategy/endpoint_state.hpp"

namespace e6data::strategy {

// The cell of `endpoint` in the shared file `/dev/shm/<name>` (`directory` replaces /dev/shm in
// tests), creating the file when missing. Returns nullptr (after logging a warning) when the
// file cannot be used: the caller then keeps its state in-process. The mapping stays for the
// life of the process.
StrategyCell* shared_strategy_cell(const std::string& name, const std::string& endpoint,
                                   const std::string& directory = "/dev/shm");

// Every claimed slot of `directory/name`, read through a read-only mapping (the file is never
// created, grown or written). Throws SharedStateError (bad name, missing, untrusted, not ours).
std::vector<SharedStrategySlot> read_shared_slots(const std::string& name,
                                                  const std::string& directory = "/dev/shm");

// Runs `change` on the cell of `endpoint` in the existing file `directory/name` and returns what
// it returned; false when the file does not exist or has no slot for `endpoint` (never creates
// either). Uses this process's mapping when it joined the file, else a mapping of its own for
// the call. Throws SharedStateError when the file is not safe to trust.
bool with_existing_shared_cell(const std::string& name, const std::string& endpoint,
                               const std::function<bool(StrategyCell&)>& change,
                               const std::string& directory = "/dev/shm");

}  // namespace e6data::strategy

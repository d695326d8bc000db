#pragma once
// Runs the library's blocking calls for Python: without the GIL, and interruptible by Ctrl-C.

#include <chrono>
#include <functional>
#include <memory>
#include <optional>

#include "e6data/query_options.hpp"

namespace e6py {

// Remembers which thread is Python's main thread (the only one that receives KeyboardInterrupt).
// Called once at import, with the GIL held.
void remember_main_thread();

// Runs `work` with the GIL released. On Python's main thread the work runs on a helper thread
// while this one watches for signals every 50 ms: a signal handler that raises (Ctrl-C raises
// KeyboardInterrupt) cancels the call through `token`, and its exception is raised once the work
// has returned (a call never outlives the Python call that made it). On other threads the work
// runs in place. Exceptions of `work` pass through.
// \pre the GIL is held
void run_released(const std::function<void()>& work,
                  const std::shared_ptr<e6data::CancellationToken>& token);

// QueryOptions for one call: a fresh cancellation token and the caller's timeout (seconds;
// nullopt or 0 = the connection's default).
e6data::QueryOptions call_options(std::optional<double> timeout_seconds);

}  // namespace e6py

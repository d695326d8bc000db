#include "blocking_call.hpp"

#include <pybind11/pybind11.h>

#include <cmath>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <thread>
#include <utility>

#include "e6data/errors.hpp"

namespace py = pybind11;

namespace e6py {
namespace {

unsigned long g_main_thread = 0;  // NOLINT: set once at import, under the GIL

// The helper thread of main-thread calls. Python's main thread makes one call at a time, so one
// helper serves it. It is never destroyed: joining it from a static destructor could run after
// the interpreter is gone, and an idle thread costs nothing at exit.
class MainThreadHelper {
 public:
  MainThreadHelper() : thread_([this] { loop(); }) { thread_.detach(); }

  void start(std::function<void()> job) {
    std::lock_guard lock(mutex_);
    job_ = std::move(job);
    done_ = false;
    error_ = nullptr;
    wake_.notify_all();
  }
  bool wait_for(std::chrono::milliseconds period) {
    std::unique_lock lock(mutex_);
    return wake_.wait_for(lock, period, [this] { return done_; });
  }
  std::exception_ptr take_error() {
    std::lock_guard lock(mutex_);
    return std::exchange(error_, nullptr);
  }

 private:
  void loop() {
    std::unique_lock lock(mutex_);
    for (;;) {
      wake_.wait(lock, [this] { return static_cast<bool>(job_); });
      std::function<void()> job = std::move(job_);
      job_ = nullptr;
      lock.unlock();
      std::exception_ptr error;
      try {
        job();
      } catch (...) {
        error = std::current_exception();
      }
      job = nullptr;  // destroy what the job captured before the caller goes on
      lock.lock();
      error_ = error;
      done_ = true;
      wake_.notify_all();
    }
  }

  std::mutex mutex_;
  std::condition_variable wake_;
  std::function<void()> job_;
  bool done_ = true;
  std::exception_ptr error_;
  std::thread thread_;
};

MainThreadHelper& helper() {
  static auto* instance = new MainThreadHelper();  // NOLINT(cppcoreguidelines-owning-memory)
  return *instance;
}

}  // namespace

void remember_main_thread() {
  py::object threading = py::module_::import("threading");
  g_main_thread = threading.attr("main_thread")().attr("ident").cast<unsigned long>();
}

void run_released(const std::function<void()>& work,
                  const std::shared_ptr<e6data::CancellationToken>& token) {
  if (PyThread_get_thread_ident() != g_main_thread) {
    py::gil_scoped_release released;
    work();
    return;
  }
  MainThreadHelper& h = helper();
  h.start(work);
  bool interrupted = false;
  for (;;) {
    bool done = false;
    {
      py::gil_scoped_release released;
      done = h.wait_for(std::chrono::milliseconds(50));
    }
    if (done) break;
    if (!interrupted && PyErr_CheckSignals() != 0) {
      interrupted = true;  // the handler's exception (KeyboardInterrupt) is now set
      if (token) token->cancel();
    }
  }
  std::exception_ptr error = h.take_error();
  if (interrupted) throw py::error_already_set();
  if (error) std::rethrow_exception(error);
}

e6data::QueryOptions call_options(std::optional<double> timeout_seconds) {
  e6data::QueryOptions options;
  options.cancel = std::make_shared<e6data::CancellationToken>();
  if (timeout_seconds) {
    const double seconds = *timeout_seconds;
    if (!std::isfinite(seconds) || seconds < 0 || seconds > 86400.0 * 365) {
      throw e6data::UsageError("timeout must be a number of seconds between 0 and one year, got " +
                               std::to_string(seconds));
    }
    // A positive timeout below a millisecond still means "a deadline", not "the default".
    const auto ms = static_cast<long long>(std::ceil(seconds * 1000.0));
    options.timeout = std::chrono::milliseconds(ms);
  }
  return options;
}

}  // namespace e6py

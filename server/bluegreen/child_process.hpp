#pragma once
// A child program the blue-green controller owns: nginx or a dev server. Its output goes to a
// log file; it is told to die with the controller (PR_SET_PDEATHSIG), so a killed controller
// leaves nothing running; stop() ends it by pid and reaps it.

#include <sys/types.h>

#include <chrono>
#include <string>
#include <vector>

namespace e6data::bluegreen {

class ChildProcess {
 public:
  ChildProcess() = default;
  // Starts argv[0] (a path) with the arguments; stdout and stderr are appended to `log_path`.
  // Throws std::runtime_error when the program cannot be started.
  static ChildProcess spawn(const std::vector<std::string>& argv, const std::string& log_path);

  ChildProcess(ChildProcess&& other) noexcept;
  ChildProcess& operator=(ChildProcess&& other) noexcept;
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  ~ChildProcess();  // stop(SIGTERM, 5 s) if still running

  pid_t pid() const { return pid_; }
  bool running();
  // Sends `signal`, waits up to `grace`, then SIGKILL; returns the exit status (or -signal).
  int stop(int signal, std::chrono::milliseconds grace);
  // Sends a signal without waiting (e.g. SIGHUP to nginx: reload).
  void signal(int signal) const;
  const std::string& log_path() const { return log_path_; }

 private:
  pid_t pid_ = -1;
  int status_ = 0;
  std::string log_path_;
};

// Waits until `path` holds a number (a port written by the child once ready), the child exits,
// or the timeout passes. Throws std::runtime_error with the end of the child's log on failure.
int wait_for_port_file(const std::string& path, ChildProcess& child,
                       std::chrono::milliseconds timeout);

// The last `bytes` of a file, for error messages.
std::string tail_of(const std::string& path, std::size_t bytes = 2000);

}  // namespace e6data::bluegreen

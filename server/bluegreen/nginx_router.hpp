#pragma once
// The nginx process of the blue-green router: its private directory, its configuration
// (router_config.hpp) with a private HTTP/1 listener that reports which configuration generation
// the workers run, and graceful reloads that return only once the new configuration serves.

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <string>

#include "bluegreen/child_process.hpp"
#include "bluegreen/router_config.hpp"

namespace e6data::bluegreen {

// Throws std::runtime_error when `port` on 127.0.0.1 cannot be bound (another program has it).
void check_port_free(int port);

// Writes `text` to a temporary name and renames it, so a reader never sees a partial file.
void write_file_atomically(const std::filesystem::path& path, const std::string& text);

class NginxRouter {
 public:
  NginxRouter() = default;
  NginxRouter(std::string nginx_path, std::filesystem::path dir);

  // Picks the ports (`port`, 0 = a free one), writes the configuration and starts nginx; returns
  // once it serves. `config`'s prefix and listen port are filled in here.
  void start(int port, RouterConfig config);
  // Rewrites the configuration and reloads nginx gracefully; returns once the new workers serve
  // it and no old worker takes a new call. Throws with the end of nginx's log on failure.
  void apply(RouterConfig config);
  // Fast shutdown (SIGTERM) and reap.
  void stop();

  int port() const { return port_; }
  pid_t pid() const { return process_.pid(); }

 private:
  std::string render(RouterConfig config) const;
  void wait_for_generation();

  std::string nginx_path_;
  std::filesystem::path dir_;
  ChildProcess process_;
  int port_ = 0;
  int status_port_ = 0;  // nginx's own HTTP/1 listener that reports the config generation
  std::int64_t generation_ = 0;
};

}  // namespace e6data::bluegreen

#include "bluegreen/nginx_router.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace e6data::bluegreen {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

// A free port on 127.0.0.1 for nginx (it cannot report the port it picked, as gRPC servers do).
int pick_free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof addr;
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    if (fd >= 0) ::close(fd);
    throw std::runtime_error("cannot find a free port on 127.0.0.1");
  }
  ::close(fd);
  return ntohs(addr.sin_port);
}

// One HTTP/1.0 GET on 127.0.0.1; the body, or nullopt when nothing answers.
std::optional<std::string> http_get(int port, const std::string& path) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return std::nullopt;
  timeval tv{1, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  std::optional<std::string> body;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
    const std::string request = "GET " + path + " HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
    if (::send(fd, request.data(), request.size(), MSG_NOSIGNAL) ==
        static_cast<ssize_t>(request.size())) {
      std::string response;
      char buffer[512];
      ssize_t n = 0;
      while ((n = ::recv(fd, buffer, sizeof buffer, 0)) > 0)
        response.append(buffer, static_cast<std::size_t>(n));
      const auto split = response.find("\r\n\r\n");
      if (response.rfind("HTTP/1.1 200", 0) == 0 && split != std::string::npos) {
        body = response.substr(split + 4);
      }
    }
  }
  ::close(fd);
  return body;
}

// The worker processes of an nginx master. After a reload, old workers retitle themselves
// "worker process is shutting down" once they stop taking connections and new calls; until they
// exit they finish the calls they had already taken.
struct Workers {
  int accepting = 0;
  int shutting_down = 0;
};

Workers workers_of(pid_t master) {
  Workers w;
  for (const auto& entry : fs::directory_iterator("/proc")) {
    const std::string name = entry.path().filename().string();
    if (name.empty() || !std::isdigit(static_cast<unsigned char>(name[0]))) continue;
    std::ifstream stat(entry.path() / "stat");
    std::string line;
    if (!std::getline(stat, line)) continue;
    // Field 4 (ppid) follows the command name in parentheses, which may contain spaces.
    const auto close = line.rfind(')');
    if (close == std::string::npos) continue;
    std::istringstream rest(line.substr(close + 2));
    char state = 0;
    pid_t ppid = 0;
    rest >> state >> ppid;
    if (ppid != master || state == 'Z') continue;
    std::ifstream cmd(entry.path() / "cmdline");
    // Read argument by argument (istreambuf_iterator trips a GCC 12 -O3 false positive).
    std::string title;
    for (std::string part; std::getline(cmd, part, '\0');) title += part + ' ';
    if (title.find("worker process") == std::string::npos) continue;
    if (title.find("shutting down") == std::string::npos) {
      ++w.accepting;
    } else {
      ++w.shutting_down;
    }
  }
  return w;
}

}  // namespace

// Throws when `port` on 127.0.0.1 cannot be bound (another program listens there).
void check_port_free(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  const int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);  // as nginx binds
  const bool free = fd >= 0 && ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  if (fd >= 0) ::close(fd);
  if (!free) {
    throw std::runtime_error("the cluster port 127.0.0.1:" + std::to_string(port) +
                             " is in use by another program; pick another with --port (0 picks "
                             "a free one)");
  }
}

void write_file_atomically(const fs::path& path, const std::string& text) {
  const fs::path tmp = path.string() + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << text;
    if (!out) throw std::runtime_error("cannot write " + tmp.string());
  }
  fs::rename(tmp, path);
}

NginxRouter::NginxRouter(std::string nginx_path, fs::path dir)
    : nginx_path_(std::move(nginx_path)), dir_(std::move(dir)) {}

std::string NginxRouter::render(RouterConfig config) const {
  config.prefix = dir_.string();
  config.listen_port = port_;
  std::string conf = render_nginx_config(config);
  // A second listener, HTTP/1 on its own port, reports which configuration the workers run,
  // so a reload is known to be complete before the controller answers.
  const auto last = conf.rfind('}');
  conf.insert(last, "  server {\n    listen 127.0.0.1:" + std::to_string(status_port_) +
                        ";\n    location = /generation { return 200 \"" +
                        std::to_string(generation_) + "\"; }\n  }\n");
  return conf;
}

// Returns once nginx runs the current configuration and no worker of a previous one serves a
// new call. nginx tells old workers to stop ~100 ms after starting the new ones; an old worker
// that got the word retitles itself "shutting down", closes its listening sockets and ends
// every HTTP/2 connection it has with a GOAWAY, after which it skips any new stream (clients
// retry those on a new connection, served by the new workers): from then on it only finishes
// the calls it had already taken, routed before the change. (Waiting for old workers to exit
// would deadlock with such a call when it is a ClusterService call waiting for the controller.)
void NginxRouter::wait_for_generation() {
  const auto deadline = Clock::now() + std::chrono::seconds(20);
  const std::string want = std::to_string(generation_);
  while (Clock::now() < deadline) {
    if (http_get(status_port_, "/generation") == want &&
        workers_of(process_.pid()).accepting == 1) {
      return;
    }
    if (!process_.running()) {
      throw std::runtime_error("nginx exited; its log:\n" + tail_of((dir_ / "error.log").string()));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  throw std::runtime_error("nginx did not apply configuration " + want + "; log:\n" +
                           tail_of((dir_ / "error.log").string()));
}

void NginxRouter::start(int port, RouterConfig config) {
  fs::create_directories(dir_ / "tmp");
  port_ = port != 0 ? port : pick_free_port();
  status_port_ = pick_free_port();
  ++generation_;
  write_file_atomically(dir_ / "nginx.conf", render(std::move(config)));
  process_ =
      ChildProcess::spawn({nginx_path_, "-e", (dir_ / "error.log").string(), "-p", dir_.string(),
                           "-c", (dir_ / "nginx.conf").string(), "-g", "daemon off;"},
                          (dir_ / "nginx.out").string());
  wait_for_generation();
}

void NginxRouter::apply(RouterConfig config) {
  ++generation_;
  write_file_atomically(dir_ / "nginx.conf", render(std::move(config)));
  process_.signal(SIGHUP);  // graceful: old workers finish their requests
  wait_for_generation();
}

void NginxRouter::stop() {
  if (process_.pid() > 0) process_.stop(SIGTERM, std::chrono::seconds(10));
}

}  // namespace e6data::bluegreen

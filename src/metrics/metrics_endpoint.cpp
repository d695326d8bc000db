// The optional metrics endpoint: a loopback-by-default HTTP/1.1 responder of its own, on POSIX
// sockets (why not prometheus-cpp's civetweb: docs/observability.md). One thread serves one
// connection at a time; every read and write waits in poll() with the request's deadline, and a
// pipe wakes the thread for stop().
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <mutex>
#include <thread>
#include <utility>

#include "e6data/errors.hpp"
#include "e6data/metrics.hpp"
#include "log/logger.hpp"
#include "metrics/http_request.hpp"
#include "metrics/registry.hpp"

namespace e6data {
namespace {

using SteadyClock = std::chrono::steady_clock;

class Fd {
 public:
  explicit Fd(int fd = -1) noexcept : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  Fd(Fd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  Fd& operator=(Fd&& other) noexcept {
    if (this != &other) {
      if (fd_ >= 0) ::close(fd_);
      fd_ = std::exchange(other.fd_, -1);
    }
    return *this;
  }
  int get() const noexcept { return fd_; }

 private:
  int fd_;
};

std::string errno_text(int error) {
  std::array<char, 256> buffer{};
  // GNU strerror_r returns the message (maybe not in buffer).
  return ::strerror_r(error, buffer.data(), buffer.size());
}

// Waits until `fd` is ready for `events` or `deadline` passes; false on timeout or error.
bool wait_ready(int fd, short events, SteadyClock::time_point deadline) {
  for (;;) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - SteadyClock::now());
    if (left.count() <= 0) return false;
    pollfd p{fd, events, 0};
    const int n = ::poll(&p, 1, static_cast<int>(left.count()));
    if (n > 0) return true;
    if (n < 0 && errno != EINTR) return false;
  }
}

struct Address {
  sockaddr_storage storage{};
  socklen_t length = 0;
  int family = AF_INET;
  bool loopback = false;
};

Address parse_address(const std::string& text, int port) {
  if (port < 0 || port > 65535) {
    throw UsageError("metrics endpoint: port " + std::to_string(port) + " is not in 0..65535");
  }
  Address a;
  const std::string host = text == "localhost" ? "127.0.0.1" : text;
  auto* v4 = reinterpret_cast<sockaddr_in*>(&a.storage);   // NOLINT: the sockaddr idiom
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&a.storage);  // NOLINT: the sockaddr idiom
  if (::inet_pton(AF_INET, host.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(static_cast<std::uint16_t>(port));
    a.length = sizeof(sockaddr_in);
    a.loopback = (ntohl(v4->sin_addr.s_addr) >> 24) == 127;
    return a;
  }
  if (::inet_pton(AF_INET6, host.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(static_cast<std::uint16_t>(port));
    a.length = sizeof(sockaddr_in6);
    a.family = AF_INET6;
    a.loopback = IN6_IS_ADDR_LOOPBACK(&v6->sin6_addr);
    return a;
  }
  throw UsageError("metrics endpoint: address '" + text +
                   "' is not an IPv4 or IPv6 literal or localhost");
}

}  // namespace

struct MetricsEndpoint::Impl {
  MetricsEndpointOptions options;
  Fd listener;
  Fd wake_read;
  Fd wake_write;
  int port = 0;
  std::once_flag stopped;
  std::thread thread;

  void serve() {
    for (;;) {
      std::array<pollfd, 2> p{pollfd{listener.get(), POLLIN, 0},
                              pollfd{wake_read.get(), POLLIN, 0}};
      if (::poll(p.data(), p.size(), -1) < 0) {
        if (errno == EINTR) continue;
        return;
      }
      if (p[1].revents != 0) return;  // stop()
      if ((p[0].revents & POLLIN) == 0) continue;
      Fd client(::accept4(listener.get(), nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK));
      if (client.get() < 0) continue;  // the client gave up already, or out of descriptors
      answer(client.get());
    }
  }

  // Reads one request head (bounded in size and time) and writes the answer.
  void answer(int fd) const {
    const auto deadline = SteadyClock::now() + options.io_timeout;
    std::string request;
    std::array<char, 1024> buffer{};
    metrics::HttpAnswer reply;
    for (;;) {
      if (metrics::request_complete(request)) {
        reply = metrics::answer_for(request);
        break;
      }
      if (request.size() > options.max_request_bytes) {
        reply = {431, true};
        break;
      }
      if (!wait_ready(fd, POLLIN, deadline)) {
        reply = {408, true};
        break;
      }
      const ssize_t n = ::recv(fd, buffer.data(), buffer.size(), 0);
      if (n == 0) return;  // closed before a whole request: nothing to answer
      if (n < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) continue;
        return;
      }
      request.append(buffer.data(), static_cast<std::size_t>(n));
    }
    const std::string body = reply.status == 200 ? metrics_text() : std::string();
    const std::string response = metrics::http_response(reply, body);
    std::size_t sent = 0;
    while (sent < response.size()) {
      if (!wait_ready(fd, POLLOUT, deadline)) return;
      const ssize_t n = ::send(fd, response.data() + sent, response.size() - sent, MSG_NOSIGNAL);
      if (n < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) continue;
        return;
      }
      sent += static_cast<std::size_t>(n);
    }
    // Half-close and give the client a moment to read before the descriptor goes: closing with
    // unread request bytes would reset the connection and could discard the answer in flight.
    ::shutdown(fd, SHUT_WR);
    while (wait_ready(fd, POLLIN,
                      std::min(deadline, SteadyClock::now() + std::chrono::milliseconds(100)))) {
      if (::recv(fd, buffer.data(), buffer.size(), 0) <= 0) break;
    }
  }
};

MetricsEndpoint::MetricsEndpoint(MetricsEndpointOptions options) : impl_(std::make_unique<Impl>()) {
  impl_->options = std::move(options);
  const Address address = parse_address(impl_->options.address, impl_->options.port);
  const std::string where = impl_->options.address + ":" + std::to_string(impl_->options.port);
  Fd listener(::socket(address.family, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (listener.get() < 0) {
    throw ConnectionError(ErrorKind::kConnection,
                          "metrics endpoint: socket() failed: " + errno_text(errno));
  }
  const int one = 1;
  ::setsockopt(listener.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  // NOLINTNEXTLINE: the sockaddr idiom
  if (::bind(listener.get(), reinterpret_cast<const sockaddr*>(&address.storage), address.length) !=
          0 ||
      ::listen(listener.get(), 16) != 0) {
    throw ConnectionError(ErrorKind::kConnection,
                          "metrics endpoint: cannot listen on " + where + ": " + errno_text(errno));
  }
  sockaddr_storage bound{};
  socklen_t length = sizeof(bound);
  ::getsockname(listener.get(), reinterpret_cast<sockaddr*>(&bound), &length);  // NOLINT
  impl_->port = ntohs(address.family == AF_INET
                          ? reinterpret_cast<const sockaddr_in*>(&bound)->sin_port      // NOLINT
                          : reinterpret_cast<const sockaddr_in6*>(&bound)->sin6_port);  // NOLINT
  std::array<int, 2> pipe_fds{};
  if (::pipe2(pipe_fds.data(), O_CLOEXEC) != 0) {
    throw ConnectionError(ErrorKind::kConnection,
                          "metrics endpoint: pipe2() failed: " + errno_text(errno));
  }
  impl_->listener = std::move(listener);
  impl_->wake_read = Fd(pipe_fds[0]);
  impl_->wake_write = Fd(pipe_fds[1]);
  if (!address.loopback) {
    log::get("e6data")->warn("metrics endpoint listens on {}: reachable beyond this host", where);
  }
  impl_->thread = std::thread([impl = impl_.get()] { impl->serve(); });
}

MetricsEndpoint::~MetricsEndpoint() {
  stop();
}

int MetricsEndpoint::port() const noexcept {
  return impl_->port;
}

std::string MetricsEndpoint::url() const {
  const bool v6 = impl_->options.address.find(':') != std::string::npos;
  const std::string host = v6 ? "[" + impl_->options.address + "]" : impl_->options.address;
  return "http://" + host + ":" + std::to_string(impl_->port) + "/metrics";
}

void MetricsEndpoint::stop() noexcept {
  std::call_once(impl_->stopped, [this] {
    const char byte = 1;
    // The pipe is empty and ours: a write of one byte cannot block or fail short.
    [[maybe_unused]] const auto written = ::write(impl_->wake_write.get(), &byte, 1);
    if (impl_->thread.joinable()) impl_->thread.join();
  });
}

std::string metrics_text() {
  return metrics::registry().text();
}

}  // namespace e6data

// The metrics endpoint scraped over HTTP on loopback while the real topology (nginx + blue +
// green dev servers) switches under a pooled load: every scrape is a valid exposition (strict
// checker), and the switch, announcement, query and pool series move (issue #17 item 3).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "bluegreen_fixture.hpp"
#include "e6data/connection_pool.hpp"
#include "e6data/metrics.hpp"
#include "e6data/switch_summary.hpp"
#include "metrics/prometheus_checker.hpp"

namespace e6data {
namespace {

using namespace std::chrono_literals;

// One HTTP exchange on loopback: the whole response (the server closes after it).
std::string http_exchange(int port, const std::string& request) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return {};
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::string response;
  timeval timeout{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  // NOLINTNEXTLINE: the sockaddr idiom
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof(address)) == 0) {
    (void)::send(fd, request.data(), request.size(), MSG_NOSIGNAL);
    char buffer[4096];
    for (;;) {
      const ssize_t n = ::recv(fd, buffer, sizeof(buffer), 0);
      if (n <= 0) break;
      response.append(buffer, static_cast<std::size_t>(n));
    }
  }
  ::close(fd);
  return response;
}

struct Scrape {
  std::string status_line;
  std::string headers;
  std::string body;
};

Scrape scrape(int port) {
  const std::string r = http_exchange(port, "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
  Scrape s;
  const auto line_end = r.find("\r\n");
  const auto head_end = r.find("\r\n\r\n");
  if (line_end == std::string::npos || head_end == std::string::npos) return s;
  s.status_line = r.substr(0, line_end);
  s.headers = r.substr(line_end + 2, head_end - line_end - 2);
  s.body = r.substr(head_end + 4);
  return s;
}

// The value of the sample line `series` (name and labels exactly as rendered), or -1.
double sample(const std::string& text, const std::string& series) {
  const auto at = ("\n" + text).find("\n" + series + " ");
  if (at == std::string::npos) return -1;
  const auto start = at + series.size() + 1;
  return std::stod(text.substr(start, text.find('\n', start) - start));
}

class MetricsScrapeTest : public testing::BlueGreenTest {};

TEST_F(MetricsScrapeTest, ScrapesDuringSwitchesAreValidAndTheCountersMove) {
  MetricsEndpointOptions endpoint_options;
  endpoint_options.port = 0;  // a free port on 127.0.0.1
  MetricsEndpoint endpoint(endpoint_options);

  ConnectionOptions o;
  o.host = "127.0.0.1";
  o.port = controller_->port();
  o.username = "demo";
  o.password = "demo";
  o.cluster_name = "metrics-scrape";
  o.pool.max_connections = 4;
  o.pool.min_connections = 4;
  o.pool.connection_timeout = 60s;
  ConnectionPool::Settings settings;
  settings.name = "scrape";
  ConnectionPool pool(o, settings);
  const std::string ep = "endpoint=\"127.0.0.1:" + std::to_string(o.port) + "/metrics-scrape\"";
  const std::string switches = "e6data_strategy_switches_total{" + ep + "}";
  const std::string announcements = "e6data_strategy_announcements_total{" + ep + "}";
  const std::string executes =
      "db_client_operation_duration_seconds_count{db_operation_name=\"execute\","
      "db_system_name=\"e6data\"}";

  std::atomic<bool> stop{false};
  std::atomic<int> failures{0};
  std::vector<std::thread> workers;
  for (int t = 0; t < 4; ++t) {
    workers.emplace_back([&] {
      while (!stop.load()) {
        try {
          auto connection = pool.acquire();
          Cursor cursor = connection->cursor();
          cursor.execute("SELECT count(*) FROM customers");
          (void)cursor.fetchall();
        } catch (const std::exception&) {
          failures.fetch_add(1);
        }
      }
    });
  }

  std::mutex mutex;
  std::vector<std::string> problems;
  std::vector<double> switches_seen;
  int scrapes = 0;
  std::thread scraper([&] {
    while (!stop.load()) {
      const Scrape s = scrape(endpoint.port());
      std::lock_guard lock(mutex);
      ++scrapes;
      if (s.status_line != "HTTP/1.1 200 OK") {
        problems.push_back("status: " + s.status_line);
      } else if (s.headers.find("Content-Type: text/plain; version=0.0.4") == std::string::npos) {
        problems.push_back("headers: " + s.headers);
      } else {
        for (const auto& e : metrics::testing::check_prometheus_text(s.body)) problems.push_back(e);
        switches_seen.push_back(sample(s.body, switches));
      }
      std::this_thread::sleep_for(50ms);
    }
  });

  std::this_thread::sleep_for(1s);  // steady state: the endpoint's series exist
  const Scrape before = scrape(endpoint.port());
  ASSERT_EQ(before.status_line, "HTTP/1.1 200 OK");
  const double switches_before = std::max(0.0, sample(before.body, switches));
  const double announcements_before = std::max(0.0, sample(before.body, announcements));
  const double executes_before = sample(before.body, executes);
  EXPECT_GT(executes_before, 0) << before.body;
  EXPECT_EQ(
      sample(before.body, "db_client_connection_max{db_client_connection_pool_name=\"scrape\"}"),
      4);

  constexpr int kSwitches = 2;
  for (int k = 0; k < kSwitches; ++k) {
    controller_->switch_to("", 30s, true);  // to the other side, waiting until STABLE
    std::this_thread::sleep_for(700ms);
  }
  stop = true;
  for (auto& w : workers) w.join();
  scraper.join();

  const Scrape after = scrape(endpoint.port());
  ASSERT_EQ(after.status_line, "HTTP/1.1 200 OK");
  EXPECT_EQ(metrics::testing::check_prometheus_text(after.body), std::vector<std::string>{});
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(sample(after.body, switches), switches_before + kSwitches) << after.body;
  EXPECT_GE(sample(after.body, announcements), announcements_before + kSwitches);
  EXPECT_GT(sample(after.body, executes), executes_before);
  EXPECT_GT(sample(after.body, "e6data_strategy_queries_total{deployment=\"blue\"," + ep + "}"), 0);
  EXPECT_GT(sample(after.body, "e6data_strategy_queries_total{deployment=\"green\"," + ep + "}"),
            0);
  std::lock_guard lock(mutex);
  for (const auto& p : problems) ADD_FAILURE() << p;
  EXPECT_GT(scrapes, 10);
  // The scrapes taken during the switches saw the counter move step by step, not only at the end.
  ASSERT_FALSE(switches_seen.empty());
  EXPECT_TRUE(std::is_sorted(switches_seen.begin(), switches_seen.end()));
  EXPECT_TRUE(std::find(switches_seen.begin(), switches_seen.end(), switches_before + 1) !=
              switches_seen.end())
      << "no scrape between the two switches";

  // Each switch left a summary of its own timeline (item 4), seen from its announcement.
  int summaries = 0;
  for (const auto& summary : recent_switches()) {
    if (summary.endpoint != "127.0.0.1:" + std::to_string(o.port) + "/metrics-scrape") continue;
    ++summaries;
    EXPECT_TRUE(summary.announced);
    EXPECT_NE(summary.from, summary.to);
    EXPECT_GE(summary.completed, 0);
    EXPECT_EQ(summary.lost_queries, 0U);
  }
  EXPECT_EQ(summaries, kSwitches);

  // The endpoint answers only GET/HEAD /metrics, and bounds what it reads.
  EXPECT_EQ(http_exchange(endpoint.port(), "GET / HTTP/1.1\r\n\r\n").rfind("HTTP/1.1 404", 0), 0U);
  EXPECT_EQ(
      http_exchange(endpoint.port(), "PUT /metrics HTTP/1.1\r\n\r\n").rfind("HTTP/1.1 405", 0), 0U);
  const std::string huge = "GET /metrics HTTP/1.1\r\nX: " + std::string(20000, 'a') + "\r\n\r\n";
  EXPECT_EQ(http_exchange(endpoint.port(), huge).rfind("HTTP/1.1 431", 0), 0U);
}

}  // namespace
}  // namespace e6data

// TLS end to end: nginx terminates TLS (certificates from a CA this test makes with openssl) in
// front of a dev server; the connector trusts that CA, and a wrong CA is a clear connection error.

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "bluegreen/child_process.hpp"
#include "devserver/dev_server.hpp"
#include "e6data/connection.hpp"

// LeakSanitizer, for this binary only. When a TLS handshake fails (the wrong-CA test), gRPC's
// client handshaker (Debian's libgrpc, not ours) leaves OpenSSL objects that its own threads free
// later: the handshaker's SSL with its per-thread random generators (EVP_RAND_CTX via
// RAND_get0_public / RAND_get0_private) and the handshaker factory's SSL_CTX. When the process
// exits before those threads run, LeakSanitizer reports them (~10 KB; seen in about 1 run in 12
// under load). Our code never calls OpenSSL: these two frames are gRPC's TSI entry points into
// it, so the suppressions cannot hide a leak of ours. Matching them needs full allocation stacks
// (libcrypto has no frame pointers), hence fast_unwind_on_malloc=0; the environment's
// ASAN_OPTIONS still applies on top.
extern "C" const char* __asan_default_options() {
  return "fast_unwind_on_malloc=0";
}
extern "C" const char* __lsan_default_suppressions() {
  return "leak:tsi_ssl_client_handshaker_factory_create_handshaker\n"
         "leak:tsi_create_ssl_client_handshaker_factory_with_options\n";
}

namespace e6data {
namespace {

namespace fs = std::filesystem;

int run(const std::string& command) {
  return std::system((command + " >/dev/null 2>&1").c_str());
}

// A free loopback port for nginx (bind to port 0, read it back, release it).
int free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

class TlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("e6data-tls-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "nginx" / "tmp");
    // A CA, a server certificate for 127.0.0.1 signed by it, and an unrelated second CA.
    const std::string d = dir_.string();
    ASSERT_EQ(run("openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=e6data-test-ca"
                  " -keyout " +
                  d + "/ca.key -out " + d + "/ca.pem"),
              0);
    ASSERT_EQ(run("openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=other-ca"
                  " -keyout " +
                  d + "/other.key -out " + d + "/other.pem"),
              0);
    ASSERT_EQ(run("openssl req -newkey rsa:2048 -nodes -subj /CN=127.0.0.1 -keyout " + d +
                  "/server.key -out " + d + "/server.csr"),
              0);
    {
      std::ofstream ext(dir_ / "san.ext");
      ext << "subjectAltName=IP:127.0.0.1\n";
    }
    ASSERT_EQ(
        run("openssl x509 -req -in " + d + "/server.csr -CA " + d + "/ca.pem -CAkey " + d +
            "/ca.key -CAcreateserial -days 2 -extfile " + d + "/san.ext -out " + d + "/server.pem"),
        0);

    devserver::DevServerOptions options;
    options.data_dir = d + "/data";
    server_ = std::make_unique<devserver::DevServer>(options);
    server_->start();

    tls_port_ = free_port();
    std::ofstream conf(dir_ / "nginx" / "nginx.conf");
    conf << "pid " << d << "/nginx/nginx.pid;\nerror_log " << d << "/nginx/error.log warn;\n"
         << "events { worker_connections 64; }\nhttp {\n  access_log off;\n"
         << "  client_body_temp_path " << d << "/nginx/tmp;\n"
         << "  server {\n    listen 127.0.0.1:" << tls_port_ << " ssl http2;\n"
         << "    ssl_certificate " << d << "/server.pem;\n"
         << "    ssl_certificate_key " << d << "/server.key;\n"
         << "    location / { grpc_pass grpc://127.0.0.1:" << server_->port() << "; }\n  }\n}\n";
    conf.close();
    nginx_ = bluegreen::ChildProcess::spawn(
        {"/usr/sbin/nginx", "-e", d + "/nginx/error.log", "-p", d + "/nginx", "-c",
         d + "/nginx/nginx.conf", "-g", "daemon off;"},
        d + "/nginx/out.log");
    // Ready once the TLS port accepts a handshake.
    for (int i = 0; i < 200; ++i) {
      if (run("openssl s_client -connect 127.0.0.1:" + std::to_string(tls_port_) + " -CAfile " + d +
              "/ca.pem </dev/null") == 0) {
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }

  void TearDown() override {
    nginx_.stop(SIGTERM, std::chrono::seconds(10));
    if (server_) server_->shutdown(std::chrono::milliseconds(0));
    server_.reset();
    if (!HasFailure()) fs::remove_all(dir_);
  }

  ConnectionOptions options(const std::string& ca) const {
    ConnectionOptions o;
    o.host = "127.0.0.1";
    o.port = tls_port_;
    o.username = "demo";
    o.password = "demo";
    o.secure = true;
    o.ca_certificate = ca;
    return o;
  }

  fs::path dir_;
  int tls_port_ = 0;
  std::unique_ptr<devserver::DevServer> server_;
  bluegreen::ChildProcess nginx_;
};

TEST_F(TlsTest, QueriesThroughTlsWithTheTrustedCa) {
  Connection connection(options((dir_ / "ca.pem").string()));  // the CA as a file path
  Cursor cursor = connection.cursor();
  cursor.execute("SELECT count(*) FROM orders");
  EXPECT_GT(std::get<std::int64_t>((*cursor.fetchone())[0]), 0);

  std::ifstream in(dir_ / "ca.pem");  // the CA as PEM text
  std::stringstream pem;
  pem << in.rdbuf();
  Connection by_text(options(pem.str()));
  EXPECT_EQ(by_text.schemas(), std::vector<std::string>{"main"});
}

TEST_F(TlsTest, TheTlsExampleRuns) {
  const std::string command = "E6DATA_HOST=127.0.0.1 E6DATA_PORT=" + std::to_string(tls_port_) +
                              " E6DATA_USERNAME=demo E6DATA_PASSWORD=demo " +
                              E6DATA_TLS_EXAMPLE_PATH + " " + (dir_ / "ca.pem").string();
  FILE* out = ::popen(command.c_str(), "r");
  ASSERT_NE(out, nullptr);
  std::string text;
  char buffer[512];
  while (std::fgets(buffer, sizeof buffer, out) != nullptr) text += buffer;
  EXPECT_EQ(::pclose(out), 0) << text;
  EXPECT_NE(text.find("(over TLS)"), std::string::npos) << text;
}

TEST_F(TlsTest, WrongCaIsAClearConnectionError) {
  Connection connection(options((dir_ / "other.pem").string()));
  try {
    connection.authenticate();
    FAIL() << "a server certificate from an untrusted CA was accepted";
  } catch (const ConnectionError& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kConnection);
    EXPECT_NE(std::string(e.what()).find("authenticate failed"), std::string::npos) << e.what();
    // The cause is named: "... Ssl handshake failed: ... certificate verify failed".
    EXPECT_NE(std::string(e.what()).find("certificate verify failed"), std::string::npos)
        << e.what();
  }
}

TEST_F(TlsTest, UnreadableCaFileIsAConnectionError) {
  EXPECT_THROW(Connection{options((dir_ / "missing.pem").string())}, Error);
}

}  // namespace
}  // namespace e6data

// Query over TLS, verifying the server against a CA certificate: `example_tls CA.pem`.
// The CA may also be given as PEM text. Other settings come from the E6DATA_* environment.
#include <e6data/e6data.hpp>
#include <iostream>

int main(int argc, char** argv) try {
  if (argc != 2) {
    std::cerr << "usage: example_tls CA_CERTIFICATE_FILE\n";
    return 2;
  }
  e6data::ConnectionOptions options = e6data::ConnectionOptions::from_env();
  options.secure = true;
  options.ca_certificate = argv[1];
  e6data::Connection connection(options);
  e6data::Cursor cursor = connection.cursor();
  cursor.execute("SELECT count(*) FROM orders");
  std::cout << "orders: " << (*cursor.fetchone()).to_string(0) << " (over TLS)\n";
  return 0;
} catch (const e6data::Error& e) {
  std::cerr << "error (" << e6data::to_string(e.kind()) << "): " << e.what() << '\n';
  return 1;
}

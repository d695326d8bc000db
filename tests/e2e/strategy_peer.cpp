// A second process for the shared-state test: connects with the E6DATA_* environment, runs one
// query, and prints its endpoint's strategy snapshot as JSON on stdout.
#include <iostream>

#include "e6data/connection.hpp"

int main() {
  try {
    e6data::Connection connection(e6data::ConnectionOptions::from_env());
    auto cursor = connection.cursor();
    cursor.execute("SELECT 1");
    if (!cursor.fetchone()) return 3;
    std::cout << connection.strategy().to_json() << '\n';
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "strategy_peer: " << e.what() << '\n';
    return 1;
  }
}

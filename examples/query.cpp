// Run a query and print its rows. Connection settings come from the E6DATA_* environment
// (E6DATA_HOST, E6DATA_PORT, E6DATA_USERNAME, E6DATA_PASSWORD, ...).
#include <e6data/e6data.hpp>
#include <iostream>

int main() try {
  e6data::Connection connection(e6data::ConnectionOptions::from_env());
  e6data::Cursor cursor = connection.cursor();
  cursor.execute(
      "SELECT customer_id, name, credit_limit FROM customers ORDER BY customer_id LIMIT 5");
  for (const auto& column : cursor.description())
    std::cout << column.name << " (" << column.type << ")  ";
  std::cout << '\n';
  while (auto row = cursor.fetchone()) {
    for (std::size_t c = 0; c < row->size(); ++c) std::cout << row->to_string(c) << "  ";
    std::cout << '\n';
  }
  return 0;
} catch (const e6data::Error& e) {
  std::cerr << "error (" << e6data::to_string(e.kind()) << "): " << e.what() << '\n';
  return 1;
}

// Parameters are sent as typed values (never spliced into the SQL): a hostile string stays a
// value. Parameters use the V2 calls, so a catalog must be set (E6DATA_CATALOG).
#include <e6data/e6data.hpp>
#include <iostream>

int main() try {
  e6data::Connection connection(e6data::ConnectionOptions::from_env());
  e6data::Cursor cursor = connection.cursor();
  const std::string_view hostile = "x' OR '1'='1";
  cursor.execute("SELECT count(*) FROM customers WHERE name = ? OR customer_id = ?",
                 {hostile, std::int64_t{7}});
  const auto row = cursor.fetchone();
  std::cout << "matching customers: " << row->to_string(0) << '\n';
  return std::get<std::int64_t>((*row)[0]) == 1 ? 0 : 1;
} catch (const e6data::Error& e) {
  std::cerr << "error: " << e.what() << '\n';
  return 1;
}

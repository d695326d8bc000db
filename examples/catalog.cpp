// Browse the catalog: schemas, their tables, and one table's columns.
#include <e6data/e6data.hpp>
#include <iostream>

int main() try {
  e6data::Connection connection(e6data::ConnectionOptions::from_env());
  const std::string catalog = connection.options().catalog;
  for (const auto& schema : connection.schemas(catalog)) {
    std::cout << schema << '\n';
    for (const auto& table : connection.tables(catalog, schema)) {
      std::cout << "  " << table << ':';
      for (const auto& column : connection.columns(catalog, schema, table)) {
        std::cout << ' ' << column.name << ' ' << column.type << ',';
      }
      std::cout << '\n';
    }
  }
  return 0;
} catch (const e6data::Error& e) {
  std::cerr << "error: " << e.what() << '\n';
  return 1;
}

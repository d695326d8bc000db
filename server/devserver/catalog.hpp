#pragma once
// The dev server's catalog over its SQLite database (PROTOCOL §3 metadata calls): one catalog
// (--catalog), whose schemas are the SQLite databases of a connection ("main" and any attached
// one), with their tables and views and the e6data type of each column.

#include <string>
#include <vector>

#include "devserver/database.hpp"

namespace e6data::devserver {

struct CatalogColumn {
  std::string name;
  std::string type;  // e6data metadata type: LONG, STRING, DECIMAL128, ...
};

class Catalog {
 public:
  Catalog(const Database& database, std::string name)
      : database_(database), name_(std::move(name)) {}

  // Throws EngineError(kNotFound) unless `catalog` is this server's catalog.
  void check_catalog(const std::string& catalog) const;
  // Throws EngineError(kNotFound) for a schema that is neither empty nor an existing schema.
  void check_schema(const std::string& schema) const;
  std::vector<std::string> schemas() const;
  // Tables and views of `schema` ("" = main), by name, without sqlite_* ones.
  std::vector<std::string> tables(const std::string& schema) const;
  // The columns of a table or view, each with the type a query of it returns: the declared
  // type when it maps to one, else derived from a prepared SELECT * (sql_types.hpp).
  // Throws kNotFound for an unknown table.
  std::vector<CatalogColumn> columns(const std::string& schema, const std::string& table) const;

 private:
  const Database& database_;
  std::string name_;
};

}  // namespace e6data::devserver

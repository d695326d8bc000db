#include "devserver/catalog.hpp"

#include <optional>
#include <utility>

#include "devserver/errors.hpp"
#include "devserver/sql_types.hpp"

namespace e6data::devserver {
namespace {

// SQL identifier quoting for names that come from requests.
std::string quote_identifier(const std::string& name) {
  std::string out = "\"";
  for (char c : name) {
    out += c;
    if (c == '"') out += '"';
  }
  return out + "\"";
}

// The SQLite databases of the connection: "main" and any attached ones (not "temp").
std::vector<std::string> schema_names(sqlite3* db) {
  std::vector<std::string> names;
  sqlite3_stmt* stmt = nullptr;
  sqlite3_prepare_v2(db, "PRAGMA database_list", -1, &stmt, nullptr);
  while (sqlite3_step(stmt) == SQLITE_ROW) {
    const auto* name = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 1));
    if (name && std::string(name) != "temp") names.emplace_back(name);
  }
  sqlite3_finalize(stmt);
  return names;
}

void check_schema_on(sqlite3* db, const std::string& schema) {
  if (schema.empty()) return;  // unqualified names resolve as SQLite resolves them
  for (const auto& name : schema_names(db)) {
    if (name == schema) return;
  }
  throw EngineError(EngineErrorCode::kNotFound,
                    "schema '" + schema + "' not found; schemas are the SQLite databases (main)");
}

// The column types `SELECT * FROM schema.table` returns, in order: the declared type when the
// column comes straight from a table column, else the storage class of the first row's value
// (STRING without rows), as Query::execute decides them.
std::vector<ColumnType> query_types(sqlite3* db, const std::string& schema,
                                    const std::string& table) {
  std::vector<ColumnType> types;
  const std::string sql =
      "SELECT * FROM " + quote_identifier(schema) + "." + quote_identifier(table);
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr) != SQLITE_OK) {
    sqlite3_finalize(stmt);
    return types;  // e.g. a view that no longer compiles: keep the declared answer
  }
  const bool has_row = sqlite3_step(stmt) == SQLITE_ROW;
  for (int c = 0; c < sqlite3_column_count(stmt); ++c) {
    const char* declared = sqlite3_column_decltype(stmt, c);
    auto type = declared ? column_type_from_declared(declared) : std::nullopt;
    if (!type)
      type = column_type_from_storage(has_row ? sqlite3_column_type(stmt, c) : SQLITE_NULL);
    types.push_back(*type);
  }
  sqlite3_finalize(stmt);
  return types;
}

}  // namespace

void Catalog::check_catalog(const std::string& catalog) const {
  if (catalog != name_) {
    throw EngineError(
        EngineErrorCode::kNotFound,
        "catalog '" + catalog + "' not found; this server has catalog '" + name_ + "'");
  }
}

void Catalog::check_schema(const std::string& schema) const {
  auto db = database_.connect();
  check_schema_on(db.get(), schema);
}

std::vector<std::string> Catalog::schemas() const {
  auto db = database_.connect();
  return schema_names(db.get());
}

std::vector<std::string> Catalog::tables(const std::string& schema) const {
  auto db = database_.connect();
  const std::string name = schema.empty() ? "main" : schema;
  check_schema_on(db.get(), name);
  const std::string sql = "SELECT name FROM " + quote_identifier(name) +
                          ".sqlite_schema WHERE type IN ('table', 'view') AND name NOT LIKE "
                          "'sqlite\\_%' ESCAPE '\\' ORDER BY name";
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db.get(), sql.c_str(), -1, &stmt, nullptr) != SQLITE_OK) {
    throw EngineError(EngineErrorCode::kInternal, sqlite3_errmsg(db.get()));
  }
  std::vector<std::string> names;
  while (sqlite3_step(stmt) == SQLITE_ROW) {
    names.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0)));
  }
  sqlite3_finalize(stmt);
  return names;
}

std::vector<CatalogColumn> Catalog::columns(const std::string& schema,
                                            const std::string& table) const {
  auto db = database_.connect();
  const std::string name = schema.empty() ? "main" : schema;
  check_schema_on(db.get(), name);
  const std::string sql = "SELECT name, type FROM " + quote_identifier(name) +
                          ".pragma_table_xinfo(?) WHERE hidden IN (0, 2, 3)";
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db.get(), sql.c_str(), -1, &stmt, nullptr) != SQLITE_OK) {
    throw EngineError(EngineErrorCode::kInternal, sqlite3_errmsg(db.get()));
  }
  sqlite3_bind_text(stmt, 1, table.c_str(), static_cast<int>(table.size()), SQLITE_TRANSIENT);
  std::vector<std::pair<std::string, std::optional<ColumnType>>> found;
  bool undeclared = false;
  while (sqlite3_step(stmt) == SQLITE_ROW) {
    const auto* column = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
    const auto* declared = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 1));
    found.emplace_back(column ? column : "", column_type_from_declared(declared ? declared : ""));
    undeclared |= !found.back().second;
  }
  sqlite3_finalize(stmt);
  if (found.empty()) {
    throw EngineError(EngineErrorCode::kNotFound,
                      "table '" + table + "' not found in schema '" + name + "'");
  }
  // A column without a usable declared type (a view's expression, an untyped table column)
  // gets the type a query of it returns: decided on a prepared SELECT * as Query decides it.
  if (undeclared) {
    const auto derived = query_types(db.get(), name, table);
    for (std::size_t c = 0; c < found.size() && c < derived.size(); ++c) {
      if (!found[c].second) found[c].second = derived[c];
    }
  }
  std::vector<CatalogColumn> columns;
  for (auto& [column, type] : found) {
    columns.push_back({std::move(column), type ? type->metadata_type() : "STRING"});
  }
  return columns;
}

}  // namespace e6data::devserver

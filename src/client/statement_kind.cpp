#include "client/statement_kind.hpp"

#include <cctype>
#include <string>
#include <vector>

namespace e6data::detail {
namespace {

bool is_word_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_';
}

// The bare words of `sql`, upper-cased, skipping literals, quoted names and comments. Stops
// after `limit` words when limit > 0.
std::vector<std::string> words(std::string_view sql, std::size_t limit) {
  std::vector<std::string> out;
  std::size_t i = 0;
  while (i < sql.size() && (limit == 0 || out.size() < limit)) {
    const char c = sql[i];
    if (c == '\'' || c == '"' || c == '`') {  // a literal or quoted name; doubled quote escapes
      ++i;
      while (i < sql.size()) {
        if (sql[i] == c) {
          if (i + 1 < sql.size() && sql[i + 1] == c) {
            i += 2;
            continue;
          }
          break;
        }
        ++i;
      }
      ++i;
    } else if (c == '-' && i + 1 < sql.size() && sql[i + 1] == '-') {
      while (i < sql.size() && sql[i] != '\n') ++i;
    } else if (c == '/' && i + 1 < sql.size() && sql[i + 1] == '*') {
      const auto end = sql.find("*/", i + 2);
      i = end == std::string_view::npos ? sql.size() : end + 2;
    } else if (is_word_char(c)) {
      std::string w;
      while (i < sql.size() && is_word_char(sql[i])) {
        w += static_cast<char>(std::toupper(static_cast<unsigned char>(sql[i])));
        ++i;
      }
      out.push_back(std::move(w));
    } else {
      ++i;
    }
  }
  return out;
}

}  // namespace

std::string strip_trailing_semicolons(std::string_view sql) {
  while (!sql.empty() &&
         (sql.back() == ';' || std::isspace(static_cast<unsigned char>(sql.back())))) {
    sql.remove_suffix(1);
  }
  return std::string(sql);
}

bool statement_is_read(std::string_view sql) {
  const auto first = words(sql, 1);
  if (first.empty()) return false;
  const std::string& w = first.front();
  if (w == "SELECT" || w == "VALUES" || w == "SHOW" || w == "DESCRIBE" || w == "DESC" ||
      w == "EXPLAIN" || w == "TABLE") {
    // EXPLAIN ANALYZE runs the statement it explains.
    if (w == "EXPLAIN") {
      for (const auto& x : words(sql, 0)) {
        if (x == "ANALYZE" || x == "INSERT" || x == "UPDATE" || x == "DELETE" || x == "MERGE") {
          return false;
        }
      }
    }
    if (w == "SELECT") {
      for (const auto& x : words(sql, 0)) {
        if (x == "INTO") return false;  // SELECT ... INTO creates a table in some dialects
      }
    }
    return true;
  }
  if (w == "WITH") {
    for (const auto& x : words(sql, 0)) {
      if (x == "INSERT" || x == "UPDATE" || x == "DELETE" || x == "MERGE" || x == "INTO") {
        return false;
      }
    }
    return true;
  }
  return false;
}

}  // namespace e6data::detail

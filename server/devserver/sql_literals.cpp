#include "devserver/sql_literals.hpp"

#include <stdexcept>

namespace e6data::devserver {
namespace {

// One past the end of the token that starts at `i` and ends with `close` (copied verbatim).
std::size_t skip_until(std::string_view sql, std::size_t i, std::string_view close) {
  const std::size_t end = sql.find(close, i);
  return end == std::string_view::npos ? sql.size() : end + close.size();
}

// One past the closing quote of a quoted identifier; a doubled quote is part of it.
std::size_t skip_quoted(std::string_view sql, std::size_t begin, char quote) {
  std::size_t i = begin + 1;
  while (i < sql.size()) {
    if (sql[i] != quote) {
      ++i;
    } else if (i + 1 < sql.size() && sql[i + 1] == quote) {
      i += 2;
    } else {
      return i + 1;
    }
  }
  return i;
}

}  // namespace

StringLiterals parse_string_literals(const std::string& text) {
  if (text == "ansi") return StringLiterals::kAnsi;
  if (text == "backslash") return StringLiterals::kBackslash;
  throw std::invalid_argument("string literals must be ansi or backslash, got '" + text + "'");
}

std::string backslash_to_ansi(std::string_view sql) {
  std::string out;
  out.reserve(sql.size() + 8);
  std::size_t i = 0;
  while (i < sql.size()) {
    const char c = sql[i];
    std::size_t end = i + 1;
    if (c == '-' && i + 1 < sql.size() && sql[i + 1] == '-') {
      end = skip_until(sql, i, "\n");
    } else if (c == '/' && i + 1 < sql.size() && sql[i + 1] == '*') {
      end = skip_until(sql, i + 2, "*/");
    } else if (c == '"' || c == '`') {
      end = skip_quoted(sql, i, c);
    } else if (c == '[') {
      end = skip_until(sql, i, "]");
    } else if (c == '\'') {
      // A literal: read it in the backslash dialect, write it in SQLite's.
      out += '\'';
      std::size_t j = i + 1;
      bool closed = false;
      while (j < sql.size()) {
        const char d = sql[j];
        if (d == '\'') {
          if (j + 1 < sql.size() && sql[j + 1] == '\'') {
            out += "''";
            j += 2;
            continue;
          }
          closed = true;
          ++j;
          break;
        }
        if (d != '\\' || j + 1 >= sql.size()) {
          out += d;
          ++j;
          continue;
        }
        const char e = sql[j + 1];
        j += 2;
        switch (e) {
          case '\'':
            out += "''";
            break;
          case 'n':
            out += '\n';
            break;
          case 'r':
            out += '\r';
            break;
          case 't':
            out += '\t';
            break;
          case 'b':
            out += '\b';
            break;
          case 'Z':
            out += '\x1a';
            break;
          case '0':
            out += "' || char(0) || '";
            break;
          case '%':
          case '_':
            out += '\\';
            out += e;
            break;
          default:
            out += e;  // \\ and \" and any other \x: x
        }
      }
      if (closed) out += '\'';
      i = j;
      continue;
    }
    out.append(sql.substr(i, end - i));
    i = end;
  }
  return out;
}

}  // namespace e6data::devserver

#include "sql_splitter.hpp"

namespace e6data::cli {
namespace {

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}

std::string trimmed(std::string_view text) {
  std::size_t begin = 0;
  std::size_t end = text.size();
  while (begin < end && is_space(text[begin])) ++begin;
  while (end > begin && is_space(text[end - 1])) --end;
  return std::string(text.substr(begin, end - begin));
}

}  // namespace

namespace {

// Walks `script` as the splitter reads it and calls on_end(i) at each ';' that ends a statement
// and on_code() for each character that is code (not white space, not in a comment).
template <typename OnEnd, typename OnCode>
void scan(std::string_view script, bool backslash_escapes, OnEnd&& on_end, OnCode&& on_code) {
  std::size_t i = 0;
  const std::size_t n = script.size();
  while (i < n) {
    const char c = script[i];
    if (c == '-' && i + 1 < n && script[i + 1] == '-') {
      while (i < n && script[i] != '\n') ++i;
      continue;
    }
    if (c == '/' && i + 1 < n && script[i + 1] == '*') {
      const std::size_t close = script.find("*/", i + 2);
      i = close == std::string_view::npos ? n : close + 2;
      continue;
    }
    if (c == ';') {
      on_end(i);
      ++i;
      continue;
    }
    if (!is_space(c)) on_code();
    if (c == '\'' || c == '"' || c == '`') {
      // A doubled quote stays inside; so does an escaped one where backslashes escape.
      ++i;
      while (i < n) {
        if (c == '\'' && backslash_escapes && script[i] == '\\' && i + 1 < n) {
          i += 2;
          continue;
        }
        if (script[i] == c) {
          if (i + 1 < n && script[i + 1] == c) {
            i += 2;
            continue;
          }
          break;
        }
        ++i;
      }
    }
    ++i;
  }
}

}  // namespace

std::vector<std::string> split_statements(std::string_view script, bool backslash_escapes) {
  std::vector<std::string> statements;
  std::size_t start = 0;
  bool has_code = false;  // the current piece holds more than white space and comments
  auto finish = [&](std::size_t end) {
    if (has_code) statements.push_back(trimmed(script.substr(start, end - start)));
    start = end + 1;
    has_code = false;
  };
  scan(script, backslash_escapes, finish, [&] { has_code = true; });
  if (start < script.size()) finish(script.size());
  return statements;
}

std::size_t complete_length(std::string_view script, bool backslash_escapes) {
  std::size_t end = 0;
  scan(
      script, backslash_escapes, [&](std::size_t i) { end = i + 1; }, [] {});
  return end;
}

bool has_code(std::string_view script, bool backslash_escapes) {
  bool code = false;
  scan(
      script, backslash_escapes, [](std::size_t) {}, [&] { code = true; });
  return code;
}

}  // namespace e6data::cli

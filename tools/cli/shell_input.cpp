#include "shell_input.hpp"

#include <pwd.h>
#include <unistd.h>

#include "sql_splitter.hpp"

namespace e6data::cli {

std::vector<std::string> ShellInput::add_line(const std::string& line) {
  buffer_ += line;
  buffer_ += '\n';
  const std::size_t end = complete_length(buffer_, backslash_escapes_);
  if (end == 0) {
    if (!has_code(buffer_, backslash_escapes_)) buffer_.clear();  // only blank lines/comments
    return {};
  }
  std::vector<std::string> statements =
      split_statements(std::string_view(buffer_).substr(0, end), backslash_escapes_);
  buffer_.erase(0, end);
  if (!has_code(buffer_, backslash_escapes_)) buffer_.clear();
  return statements;
}

std::vector<std::string> ShellInput::finish() {
  std::vector<std::string> statements = split_statements(buffer_, backslash_escapes_);
  buffer_.clear();
  return statements;
}

std::optional<BackslashCommand> parse_backslash(const std::string& line) {
  std::size_t i = line.find_first_not_of(" \t");
  if (i == std::string::npos || line[i] != '\\') return std::nullopt;
  ++i;
  BackslashCommand command;
  std::vector<std::string> words;
  std::string word;
  for (; i <= line.size(); ++i) {
    const char c = i < line.size() ? line[i] : ' ';
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
      if (!word.empty()) words.push_back(std::move(word));
      word.clear();
    } else {
      word += c;
    }
  }
  if (words.empty()) return command;  // a lone backslash: name "" (unknown)
  command.name = words.front();
  command.args.assign(words.begin() + 1, words.end());
  // A trailing ';' (habit from SQL) is not part of the last argument.
  if (!command.args.empty() && command.args.back().size() > 1 &&
      command.args.back().back() == ';') {
    command.args.back().pop_back();
  } else if (!command.args.empty() && command.args.back() == ";") {
    command.args.pop_back();
  } else if (command.args.empty() && command.name.size() > 1 && command.name.back() == ';') {
    command.name.pop_back();
  }
  return command;
}

std::string shell_prompt(const StrategySnapshot& snapshot, bool continuation) {
  std::string where = snapshot.active.empty() ? "?" : snapshot.active;
  if (!snapshot.pending.empty() && snapshot.pending != snapshot.active) {
    where += "->" + snapshot.pending;
  }
  return "e6data[" + where + "]" + (continuation ? "-> " : "> ");
}

std::string history_path(const EnvironmentReader& env) {
  if (auto file = env.get("E6DATA_HISTORY_FILE")) return *file;
  std::string home;
  if (auto h = env.get("HOME"); h && !h->empty()) {
    home = *h;
  } else {
    struct passwd entry {};
    struct passwd* found = nullptr;
    char buffer[4096];
    if (::getpwuid_r(::getuid(), &entry, buffer, sizeof buffer, &found) == 0 && found != nullptr &&
        found->pw_dir != nullptr) {
      home = found->pw_dir;
    }
  }
  if (home.empty()) return "";
  return home + (home.back() == '/' ? "" : "/") + ".e6data_history";
}

std::pair<std::string, std::string> split_table_name(const std::string& name,
                                                     const std::string& default_schema) {
  const auto dot = name.rfind('.');
  if (dot == std::string::npos) return {default_schema, name};
  return {name.substr(0, dot), name.substr(dot + 1)};
}

}  // namespace e6data::cli

#pragma once
// The parts of `e6data-cli shell` that need no terminal or network: gathering lines into
// statements that end with ';', reading backslash commands, the prompt, the history file.

#include <optional>
#include <string>
#include <vector>

#include "e6data/options.hpp"
#include "e6data/strategy.hpp"

namespace e6data::cli {

// Lines typed at the prompt, gathered until a statement ends with ';' (outside strings,
// quoted identifiers and comments, as split_statements reads them).
class ShellInput {
 public:
  explicit ShellInput(bool backslash_escapes = false) : backslash_escapes_(backslash_escapes) {}
  // Adds a line; returns the statements it completed (often none, sometimes several). What
  // follows the last ';' waits for more lines; nothing waits when it is only white space or
  // comments.
  std::vector<std::string> add_line(const std::string& line);
  // At the end of the input: what is left, as statements (an unterminated last statement runs).
  std::vector<std::string> finish();
  // True while a statement is begun and not ended (the prompt shows "->").
  bool pending() const { return !buffer_.empty(); }
  void clear() { buffer_.clear(); }

 private:
  bool backslash_escapes_;
  std::string buffer_;
};

// A backslash command: "\dt sales" is {"dt", {"sales"}}.
struct BackslashCommand {
  std::string name;
  std::vector<std::string> args;
};

// The command on `line` when it starts with '\' (after white space); nullopt otherwise.
std::optional<BackslashCommand> parse_backslash(const std::string& line);

// "e6data[blue]> ", "e6data[blue->green]> " during a switch (active, then where new work goes),
// "e6data[?]> " before the deployment is known; "-> " instead of "> " while a statement
// continues on the next line.
std::string shell_prompt(const StrategySnapshot& snapshot, bool continuation);

// ~/.e6data_history: $HOME when set (even to another directory), else the user's home from the
// password database; E6DATA_HISTORY_FILE replaces it ("" turns history off).
std::string history_path(const EnvironmentReader& env);

// "schema.table" -> {"schema", "table"}; "table" -> {default_schema, "table"}.
std::pair<std::string, std::string> split_table_name(const std::string& name,
                                                     const std::string& default_schema);

}  // namespace e6data::cli

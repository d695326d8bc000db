// The shell's input handling without a terminal: statements over several lines, backslash
// commands, the prompt during a switch, where the history lives.

#include "shell_input.hpp"

#include <gtest/gtest.h>

#include <map>

namespace e6data::cli {
namespace {

using Strings = std::vector<std::string>;

TEST(ShellInput, AStatementRunsWhenItsSemicolonIsTyped) {
  ShellInput in;
  EXPECT_EQ(in.add_line("select id,"), Strings{});
  EXPECT_TRUE(in.pending());
  EXPECT_EQ(in.add_line("  name from t"), Strings{});
  EXPECT_EQ(in.add_line("where id = 1;"), (Strings{"select id,\n  name from t\nwhere id = 1"}));
  EXPECT_FALSE(in.pending());
}

TEST(ShellInput, SeveralStatementsOnALineAndARestThatWaits) {
  ShellInput in;
  EXPECT_EQ(in.add_line("select 1; select 2; select"), (Strings{"select 1", "select 2"}));
  EXPECT_TRUE(in.pending());
  EXPECT_EQ(in.add_line("3;"), (Strings{"select\n3"}));
  EXPECT_FALSE(in.pending());
}

TEST(ShellInput, SemicolonsInStringsAndCommentsDoNotEndAStatement) {
  ShellInput in;
  EXPECT_EQ(in.add_line("select 'a;b' -- c;"), Strings{});
  EXPECT_EQ(in.add_line("/* ; */ , \"x;y\""), Strings{});
  EXPECT_EQ(in.add_line(";"), (Strings{"select 'a;b' -- c;\n/* ; */ , \"x;y\""}));
  EXPECT_EQ(in.add_line("select 'it''s;"), Strings{}) << "the string is still open";
  EXPECT_EQ(in.add_line("';"), (Strings{"select 'it''s;\n'"}));
  ShellInput backslash(true);
  EXPECT_EQ(backslash.add_line(R"(select 'a\';)"), Strings{});
  EXPECT_EQ(backslash.add_line("';"), (Strings{"select 'a\\';\n'"}));
}

TEST(ShellInput, BlankLinesAndCommentsAloneLeaveNothingPending) {
  ShellInput in;
  EXPECT_EQ(in.add_line(""), Strings{});
  EXPECT_FALSE(in.pending());
  EXPECT_EQ(in.add_line("-- just a note"), Strings{});
  EXPECT_FALSE(in.pending());
  EXPECT_EQ(in.add_line("select 1; -- done"), (Strings{"select 1"}));
  EXPECT_FALSE(in.pending()) << "a comment after the ';' waits for nothing";
}

TEST(ShellInput, TheEndOfTheInputRunsWhatIsLeft) {
  ShellInput in;
  EXPECT_EQ(in.add_line("select 1"), Strings{});
  EXPECT_EQ(in.finish(), (Strings{"select 1"}));
  EXPECT_FALSE(in.pending());
  EXPECT_EQ(in.finish(), Strings{});
  in.add_line("select");
  in.clear();
  EXPECT_FALSE(in.pending());
}

TEST(ShellInput, BackslashCommands) {
  EXPECT_EQ(parse_backslash("select 1"), std::nullopt);
  EXPECT_EQ(parse_backslash("  -- \\d"), std::nullopt);
  auto c = parse_backslash("\\dt");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->name, "dt");
  EXPECT_TRUE(c->args.empty());
  c = parse_backslash("  \\dt   sales  ");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->name, "dt");
  EXPECT_EQ(c->args, Strings{"sales"});
  c = parse_backslash("\\d main.items;");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->args, Strings{"main.items"}) << "a habitual ';' is dropped";
  c = parse_backslash("\\q;");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->name, "q");
  c = parse_backslash("\\format csv ;");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->args, Strings{"csv"});
  c = parse_backslash("\\");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->name, "");
}

TEST(ShellInput, ThePromptShowsTheDeploymentAndASwitch) {
  StrategySnapshot s;
  EXPECT_EQ(shell_prompt(s, false), "e6data[?]> ");
  s.active = "blue";
  EXPECT_EQ(shell_prompt(s, false), "e6data[blue]> ");
  EXPECT_EQ(shell_prompt(s, true), "e6data[blue]-> ");
  s.pending = "green";
  EXPECT_EQ(shell_prompt(s, false), "e6data[blue->green]> ");
  EXPECT_EQ(shell_prompt(s, true), "e6data[blue->green]-> ");
}

TEST(ShellInput, TheHistoryIsInHome) {
  using Env = std::map<std::string, std::string>;
  EXPECT_EQ(history_path(EnvironmentReader::from_map(Env{{"HOME", "/home/ann"}})),
            "/home/ann/.e6data_history");
  EXPECT_EQ(history_path(EnvironmentReader::from_map(Env{{"HOME", "/"}})), "/.e6data_history");
  EXPECT_EQ(history_path(EnvironmentReader::from_map(
                Env{{"HOME", "/home/ann"}, {"E6DATA_HISTORY_FILE", "/tmp/h"}})),
            "/tmp/h");
  EXPECT_EQ(history_path(EnvironmentReader::from_map(Env{{"E6DATA_HISTORY_FILE", ""}})), "");
  // Without HOME: the password database's home directory.
  EXPECT_NE(history_path(EnvironmentReader::from_map(Env{})).find("/.e6data_history"),
            std::string::npos);
}

TEST(ShellInput, TableNames) {
  EXPECT_EQ(split_table_name("main.items", "x"),
            (std::pair<std::string, std::string>{"main", "items"}));
  EXPECT_EQ(split_table_name("items", "main"),
            (std::pair<std::string, std::string>{"main", "items"}));
  EXPECT_EQ(split_table_name("items", ""), (std::pair<std::string, std::string>{"", "items"}));
}

}  // namespace
}  // namespace e6data::cli

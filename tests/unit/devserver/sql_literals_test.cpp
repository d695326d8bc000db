// The backslash string-literal dialect, rewritten into SQLite's (ANSI) one.
#include "devserver/sql_literals.hpp"

#include <gtest/gtest.h>

#include <stdexcept>

#include "devserver_fixture.hpp"

namespace e6data::devserver {
namespace {

TEST(SqlLiterals, BackslashEscapesBecomeAnsi) {
  EXPECT_EQ(backslash_to_ansi(R"(SELECT 'it\'s')"), "SELECT 'it''s'");
  EXPECT_EQ(backslash_to_ansi(R"(SELECT 'it''s')"), "SELECT 'it''s'");
  EXPECT_EQ(backslash_to_ansi(R"(SELECT 'a\\b')"), R"(SELECT 'a\b')");
  EXPECT_EQ(backslash_to_ansi(R"(SELECT 'ends with \\')"), R"(SELECT 'ends with \')");
  EXPECT_EQ(backslash_to_ansi(R"(SELECT 'l1\nl2\tx\r')"), "SELECT 'l1\nl2\tx\r'");
  EXPECT_EQ(backslash_to_ansi(R"(SELECT '\"q\"')"), R"(SELECT '"q"')");
  EXPECT_EQ(backslash_to_ansi(R"(SELECT 'a\0b')"), "SELECT 'a' || char(0) || 'b'");
  EXPECT_EQ(backslash_to_ansi(R"(SELECT x LIKE 'a\%b\_')"), R"(SELECT x LIKE 'a\%b\_')");
  EXPECT_EQ(backslash_to_ansi(R"(SELECT '\q')"), "SELECT 'q'");
}

TEST(SqlLiterals, OnlyLiteralsChange) {
  const std::string untouched =
      "SELECT \"a\\'b\", `c\\'d`, [e\\'f] FROM t -- it\\'s a comment\n"
      "/* it\\'s too */ WHERE 1 = 1";
  EXPECT_EQ(backslash_to_ansi(untouched), untouched);
  // A backslash-quote that would end an ANSI literal early cannot smuggle code out of one.
  EXPECT_EQ(backslash_to_ansi(R"(SELECT 'x\' OR 1=1 --')"), R"(SELECT 'x'' OR 1=1 --')");
  // Unterminated: copied as read (SQLite reports it).
  EXPECT_EQ(backslash_to_ansi("SELECT 'open"), "SELECT 'open");
  EXPECT_EQ(backslash_to_ansi("SELECT 'open\\"), "SELECT 'open\\");
}

TEST(SqlLiterals, ParsesTheOption) {
  EXPECT_EQ(parse_string_literals("ansi"), StringLiterals::kAnsi);
  EXPECT_EQ(parse_string_literals("backslash"), StringLiterals::kBackslash);
  EXPECT_THROW(parse_string_literals("mysql"), std::invalid_argument);
}

// The server started with --string-literals backslash reads literals as e6data's Python
// connector writes them; the default reads them as SQLite does.
class StringLiteralDialect : public testing::DevServerTest {
 protected:
  void SetUp() override {}
  std::string value_of(const std::string& sql) {
    const std::string session = authenticate();
    const auto result = run(session, sql);
    if (result.batches.empty() || result.batches[0].num_rows() != 1) return "<no row>";
    return std::string(result.batches[0].column(0).string_at(0));
  }
};

TEST_F(StringLiteralDialect, BackslashReadsEscapes) {
  auto options = default_options();
  options.string_literals = StringLiterals::kBackslash;
  start(options);
  EXPECT_EQ(value_of(R"(SELECT 'it\'s')"), "it's");
  EXPECT_EQ(value_of(R"(SELECT 'a\\b')"), R"(a\b)");
  EXPECT_EQ(value_of(R"(SELECT 'l1\nl2')"), "l1\nl2");
  EXPECT_EQ(value_of(R"(SELECT 'x\' OR 1=1 --')"), "x' OR 1=1 --");
  EXPECT_EQ(value_of(R"(SELECT 'a''b')"), "a'b");
}

TEST_F(StringLiteralDialect, AnsiIsTheDefault) {
  start();
  EXPECT_EQ(value_of(R"(SELECT 'a\\b')"), R"(a\\b)");
  EXPECT_EQ(value_of(R"(SELECT 'a''b')"), "a'b");
}

}  // namespace
}  // namespace e6data::devserver

#include "sql_splitter.hpp"

#include <gtest/gtest.h>

namespace e6data::cli {
namespace {

using Statements = std::vector<std::string>;

TEST(SqlSplitter, SplitsAtSemicolonsAndTrims) {
  EXPECT_EQ(split_statements("select 1; select 2 ;\n select 3"),
            (Statements{"select 1", "select 2", "select 3"}));
}

TEST(SqlSplitter, KeepsSemicolonsInsideStringsAndIdentifiers) {
  EXPECT_EQ(split_statements("select 'a;b', 'it''s;', \"x;y\", `p;q`; select 2"),
            (Statements{"select 'a;b', 'it''s;', \"x;y\", `p;q`", "select 2"}));
}

TEST(SqlSplitter, KeepsSemicolonsInsideComments) {
  EXPECT_EQ(split_statements("select 1 -- a; b\n; /* c; d */ select 2;"),
            (Statements{"select 1 -- a; b", "/* c; d */ select 2"}));
}

TEST(SqlSplitter, DropsPiecesOfOnlyCommentsAndSpace) {
  EXPECT_EQ(split_statements(";; -- nothing\n ; /* none */ ;select 1;\n-- trailing\n"),
            (Statements{"select 1"}));
  EXPECT_TRUE(split_statements("  \n").empty());
}

TEST(SqlSplitter, BackslashEscapesOnlyWhenTheDialectHasThem) {
  EXPECT_EQ(split_statements("select 'a\\';b'", true), (Statements{"select 'a\\';b'"}));
  EXPECT_EQ(split_statements("select 'a\\';b'", false), (Statements{"select 'a\\'", "b'"}));
}

TEST(SqlSplitter, AnUnterminatedStringRunsToTheEnd) {
  EXPECT_EQ(split_statements("select 'open; select 2"), (Statements{"select 'open; select 2"}));
}

}  // namespace
}  // namespace e6data::cli

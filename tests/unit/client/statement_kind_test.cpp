// Which statements count as reads: the decision behind re-running a query lost in a switch.
#include "client/statement_kind.hpp"

#include <gtest/gtest.h>

namespace e6data::detail {
namespace {

TEST(StatementKind, ReadsAreRecognisedPastCommentsAndParentheses) {
  EXPECT_TRUE(statement_is_read("SELECT 1"));
  EXPECT_TRUE(statement_is_read("  select * from t"));
  EXPECT_TRUE(statement_is_read("-- note\n/* block */ (SELECT 1) UNION (SELECT 2)"));
  EXPECT_TRUE(statement_is_read("WITH x AS (SELECT 1) SELECT * FROM x"));
  EXPECT_TRUE(statement_is_read("VALUES (1), (2)"));
  EXPECT_TRUE(statement_is_read("show tables"));
  EXPECT_TRUE(statement_is_read("DESCRIBE t"));
  EXPECT_TRUE(statement_is_read("EXPLAIN SELECT 1"));
  EXPECT_TRUE(statement_is_read("SELECT 'insert into t' AS \"delete\" -- update"));
}

TEST(StatementKind, AnythingThatMayWriteIsNotARead) {
  EXPECT_FALSE(statement_is_read("INSERT INTO t VALUES (1)"));
  EXPECT_FALSE(statement_is_read("update t set a = 1"));
  EXPECT_FALSE(statement_is_read("DELETE FROM t"));
  EXPECT_FALSE(statement_is_read("CREATE TABLE t AS SELECT 1"));
  EXPECT_FALSE(statement_is_read("WITH x AS (SELECT 1) INSERT INTO t SELECT * FROM x"));
  EXPECT_FALSE(statement_is_read("SELECT * INTO t2 FROM t"));
  EXPECT_FALSE(statement_is_read("EXPLAIN ANALYZE INSERT INTO t VALUES (1)"));
  EXPECT_FALSE(statement_is_read("/* SELECT */ DROP TABLE t"));
  EXPECT_FALSE(statement_is_read(""));
  EXPECT_FALSE(statement_is_read("-- only a comment"));
  EXPECT_FALSE(statement_is_read("'unterminated"));
}

}  // namespace
}  // namespace e6data::detail

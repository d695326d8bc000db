#include "query_parameters.hpp"

#include <gtest/gtest.h>

#include "exit_codes.hpp"

namespace e6data::cli {
namespace {

Value parse(std::string_view literal, std::string& storage) {
  return parse_parameter_literal(literal, storage);
}

TEST(QueryParameters, LiteralsAreTypedByHowTheyAreWritten) {
  std::string s;
  EXPECT_EQ(std::get<std::int64_t>(parse("42", s)), 42);
  EXPECT_EQ(std::get<std::int64_t>(parse("-7", s)), -7);
  EXPECT_EQ(std::get<double>(parse("4.2", s)), 4.2);
  EXPECT_EQ(std::get<double>(parse("1e3", s)), 1000.0);
  EXPECT_EQ(std::get<double>(parse("-.5", s)), -0.5);
  EXPECT_TRUE(std::holds_alternative<std::monostate>(parse("null", s)));
  EXPECT_TRUE(std::holds_alternative<std::monostate>(parse("NULL", s)));
  EXPECT_EQ(std::get<bool>(parse("true", s)), true);
  EXPECT_EQ(std::get<bool>(parse("False", s)), false);
  EXPECT_EQ(std::get<std::string_view>(parse("alice", s)), "alice");
  EXPECT_EQ(std::get<std::string_view>(parse("'it''s'", s)), "it's");
  EXPECT_EQ(std::get<std::string_view>(parse("'42'", s)), "42");
  EXPECT_EQ(std::get<std::string_view>(parse("''", s)), "");
  EXPECT_EQ(std::get<std::string_view>(parse("inf", s)), "inf");
  EXPECT_EQ(std::get<std::string_view>(parse("1.2.3", s)), "1.2.3");
  EXPECT_EQ(std::get<std::string_view>(parse("", s)), "");
}

TEST(QueryParameters, RefusesAnIntegerBeyond64BitsAndALoneQuote) {
  std::string s;
  EXPECT_THROW(parse("99999999999999999999", s), UsageFailure);
  EXPECT_THROW(parse("'it's'", s), UsageFailure);
}

TEST(QueryParameters, NamesValuesAndKeepsStringsAlive) {
  QueryParameters p;
  p.add("id=7");
  p.add(":name=Ann");
  for (int i = 0; i < 100; ++i) p.add("p" + std::to_string(i) + "='v" + std::to_string(i) + "'");
  ASSERT_EQ(p.named().size(), 102u);
  EXPECT_EQ(p.named()[0].first, "id");
  EXPECT_EQ(p.named()[1].first, "name");
  EXPECT_EQ(std::get<std::string_view>(p.named()[1].second), "Ann");
  EXPECT_EQ(std::get<std::string_view>(p.named()[101].second), "v99");
}

TEST(QueryParameters, RefusesMalformedAssignments) {
  QueryParameters p;
  EXPECT_THROW(p.add("novalue"), UsageFailure);
  EXPECT_THROW(p.add("=1"), UsageFailure);
  EXPECT_THROW(p.add("bad name=1"), UsageFailure);
  p.add("x=1");
  EXPECT_THROW(p.add("x=2"), UsageFailure);
}

}  // namespace
}  // namespace e6data::cli

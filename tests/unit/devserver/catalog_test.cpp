// getColumns reports for every column the type a query of it returns, also for a view's
// expression columns and untyped columns, which have no usable declared type.
#include <gtest/gtest.h>

#include <map>

#include "devserver_fixture.hpp"

namespace e6data {
namespace {

using testing::DevServerTest;

class CatalogTypes : public DevServerTest {
 protected:
  std::map<std::string, std::string> columns_of(const std::string& session,
                                                const std::string& table) {
    GetColumnsRequest req;
    req.set_sessionid(session);
    req.set_schema("main");
    req.set_table(table);
    GetColumnsResponse res;
    const grpc::Status st = engine_->getColumns(context().get(), req, &res);
    EXPECT_TRUE(st.ok()) << st.error_message();
    std::map<std::string, std::string> types;
    for (const auto& f : res.fieldinfo()) types[f.fieldname()] = f.fieldtype();
    return types;
  }
  // The types a query of the whole table returns, by column name.
  std::map<std::string, std::string> query_types(const std::string& session,
                                                 const std::string& table) {
    std::map<std::string, std::string> types;
    for (const auto& c : run(session, "SELECT * FROM " + table).schema.columns) {
      types[c.name] = c.type;
    }
    return types;
  }
};

TEST_F(CatalogTypes, ViewColumnsHaveTheTypesQueriesReturn) {
  const std::string session = authenticate();
  const auto listed = columns_of(session, "order_summary");
  EXPECT_EQ(listed.at("item_count"), "LONG") << "COUNT(...) in a view was listed as STRING";
  EXPECT_EQ(listed, query_types(session, "order_summary"));
}

TEST_F(CatalogTypes, UntypedColumnsHaveTheTypesQueriesReturn) {
  const std::string session = authenticate();
  run(session, "CREATE TABLE loose(a, b, c INTEGER, d)");
  run(session, "INSERT INTO loose VALUES (1, 2.5, 3, 'x')");
  run(session,
      "CREATE VIEW loose_v AS SELECT a + c AS s, b * 2 AS twice, d || 'y' AS dy FROM loose");
  const auto table = columns_of(session, "loose");
  EXPECT_EQ(table.at("a"), "LONG");
  EXPECT_EQ(table.at("b"), "DOUBLE");
  EXPECT_EQ(table.at("c"), "LONG");
  EXPECT_EQ(table.at("d"), "STRING");
  EXPECT_EQ(table, query_types(session, "loose"));
  const auto view = columns_of(session, "loose_v");
  EXPECT_EQ(view.at("s"), "LONG");
  EXPECT_EQ(view.at("twice"), "DOUBLE");
  EXPECT_EQ(view, query_types(session, "loose_v"));
  // Without rows there is nothing to go by: STRING, as a query of the empty view says.
  run(session, "CREATE TABLE empty_loose(a)");
  EXPECT_EQ(columns_of(session, "empty_loose").at("a"), "STRING");
  EXPECT_EQ(query_types(session, "empty_loose").at("a"), "STRING");
}

}  // namespace
}  // namespace e6data

// The dev server's demo dataset: sizes, byte-for-byte determinism, declared types, NULLs, the text
// encodings of DATE/TIMESTAMP/TIMESTAMPTZ/DECIMAL, referential integrity, the view, and failures.

#include "devserver/demo_dataset.hpp"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <map>
#include <memory>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace e6data::devserver {
namespace {

struct CloseDb {
  void operator()(sqlite3* db) const { sqlite3_close(db); }
};
using Db = std::unique_ptr<sqlite3, CloseDb>;

Db open_memory_db() {
  sqlite3* raw = nullptr;
  if (sqlite3_open(":memory:", &raw) != SQLITE_OK) {
    sqlite3_close(raw);
    throw std::runtime_error("cannot open an in-memory database");
  }
  return Db(raw);
}

struct Demo {
  Db db;
  DemoDatasetInfo info;
};

Demo make_demo(int scale) {
  Db db = open_memory_db();
  const DemoDatasetInfo info = create_demo_dataset(db.get(), scale);
  return {std::move(db), info};
}

// Scale 1 is read by most tests; build it once.
const Demo& scale_one() {
  static const Demo demo = make_demo(1);
  return demo;
}

void exec(sqlite3* db, const std::string& sql) {
  char* message = nullptr;
  if (sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &message) != SQLITE_OK) {
    const std::string text = message != nullptr ? message : "?";
    sqlite3_free(message);
    throw std::runtime_error(sql + ": " + text);
  }
}

// One value of a result row: its storage class and bytes, so tests can tell '' from NULL.
struct Value {
  int type = SQLITE_NULL;
  std::string text;
};
using Row = std::vector<Value>;

std::vector<Row> query(sqlite3* db, const std::string& sql) {
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr) != SQLITE_OK) {
    throw std::runtime_error(sql + ": " + sqlite3_errmsg(db));
  }
  std::vector<Row> rows;
  int rc = 0;
  while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
    Row row;
    for (int i = 0; i < sqlite3_column_count(stmt); ++i) {
      Value value;
      value.type = sqlite3_column_type(stmt, i);
      if (value.type != SQLITE_NULL) {
        const auto* bytes = static_cast<const char*>(sqlite3_column_blob(stmt, i));
        value.text.assign(bytes == nullptr ? "" : bytes,
                          static_cast<std::size_t>(sqlite3_column_bytes(stmt, i)));
      }
      row.push_back(std::move(value));
    }
    rows.push_back(std::move(row));
  }
  sqlite3_finalize(stmt);
  if (rc != SQLITE_DONE) throw std::runtime_error(sql + ": " + sqlite3_errmsg(db));
  return rows;
}

std::int64_t query_int(sqlite3* db, const std::string& sql) {
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr) != SQLITE_OK) {
    throw std::runtime_error(sql + ": " + sqlite3_errmsg(db));
  }
  if (sqlite3_step(stmt) != SQLITE_ROW) {
    sqlite3_finalize(stmt);
    throw std::runtime_error(sql + ": no row");
  }
  const std::int64_t value = sqlite3_column_int64(stmt, 0);
  sqlite3_finalize(stmt);
  return value;
}

// Non-NULL values of one column.
std::vector<std::string> column_texts(sqlite3* db, const std::string& table,
                                      const std::string& column) {
  std::vector<std::string> texts;
  for (const Row& row : query(db, "SELECT " + column + " FROM " + table)) {
    if (row[0].type != SQLITE_NULL) texts.push_back(row[0].text);
  }
  return texts;
}

// Every table and view with its ordering key, for dumps.
const std::vector<std::pair<std::string, std::string>> kRelations = {
    {"customers", "customer_id"},        {"products", "product_id"},    {"orders", "order_id"},
    {"line_items", "order_id, line_no"}, {"order_summary", "order_id"},
};

// All content, typed: doubles by bit pattern (SQLite's float-to-text rendering changed across
// versions) and blobs/text by their exact bytes, so equal dumps mean identical databases.
std::string dump(sqlite3* db) {
  std::string out;
  for (const auto& [relation, key] : kRelations) {
    out += "#" + relation + "\n";
    sqlite3_stmt* stmt = nullptr;
    const std::string sql = "SELECT * FROM " + relation + " ORDER BY " + key;
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr) != SQLITE_OK) {
      throw std::runtime_error(sql + ": " + sqlite3_errmsg(db));
    }
    while (sqlite3_step(stmt) == SQLITE_ROW) {
      for (int i = 0; i < sqlite3_column_count(stmt); ++i) {
        switch (sqlite3_column_type(stmt, i)) {
          case SQLITE_NULL:
            out += "N";
            break;
          case SQLITE_INTEGER:
            out += "I" + std::to_string(sqlite3_column_int64(stmt, i));
            break;
          case SQLITE_FLOAT: {
            const double value = sqlite3_column_double(stmt, i);
            std::uint64_t bits = 0;
            std::memcpy(&bits, &value, sizeof bits);
            out += "F" + std::to_string(bits);
            break;
          }
          default: {
            const auto* bytes = static_cast<const char*>(sqlite3_column_blob(stmt, i));
            const auto size = static_cast<std::size_t>(sqlite3_column_bytes(stmt, i));
            out += (sqlite3_column_type(stmt, i) == SQLITE_BLOB ? "B" : "T") +
                   std::to_string(size) + ":";
            if (size > 0) out.append(bytes, size);
            break;
          }
        }
        out += "|";
      }
      out += "\n";
    }
    sqlite3_finalize(stmt);
  }
  return out;
}

std::uint64_t fnv1a(std::string_view bytes) {
  std::uint64_t hash = 0xCBF29CE484222325ULL;
  for (const char c : bytes) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 0x100000001B3ULL;
  }
  return hash;
}

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

// `shape` is literal except that 'd' stands for any ASCII digit.
bool has_shape(std::string_view text, std::string_view shape) {
  if (text.size() != shape.size()) return false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (shape[i] == 'd' ? !is_digit(text[i]) : text[i] != shape[i]) return false;
  }
  return true;
}

// How SQLite renders a DECIMAL(p,2) value: NUMERIC affinity stored it as INTEGER or REAL, so the
// text is an optional '-', integer digits without superfluous leading zeros, and optionally '.'
// with 1..max_scale fraction digits ('500', '35176.9', '0.05').
bool is_decimal_rendering(std::string_view text, std::size_t max_scale) {
  if (!text.empty() && text[0] == '-') text.remove_prefix(1);
  const std::size_t dot = std::min(text.find('.'), text.size());
  if (dot == 0 || (dot > 1 && text[0] == '0')) return false;
  if (dot < text.size() && (text.size() - dot - 1 == 0 || text.size() - dot - 1 > max_scale)) {
    return false;
  }
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (i != dot && !is_digit(text[i])) return false;
  }
  return true;
}

constexpr std::string_view kDateShape = "dddd-dd-dd";
constexpr std::string_view kTimestampShape = "dddd-dd-ddTdd:dd:dd.ddddddZ";

TEST(DemoDataset, RowCountsAtScaleOne) {
  const Demo& demo = scale_one();
  sqlite3* db = demo.db.get();
  EXPECT_EQ(demo.info.customers, 100);
  EXPECT_EQ(demo.info.products, 60);
  EXPECT_EQ(demo.info.orders, 1000);
  EXPECT_GE(demo.info.line_items, 9'000);
  EXPECT_LE(demo.info.line_items, 11'000);
  EXPECT_EQ(query_int(db, "SELECT COUNT(*) FROM customers"), demo.info.customers);
  EXPECT_EQ(query_int(db, "SELECT COUNT(*) FROM products"), demo.info.products);
  EXPECT_EQ(query_int(db, "SELECT COUNT(*) FROM orders"), demo.info.orders);
  EXPECT_EQ(query_int(db, "SELECT COUNT(*) FROM line_items"), demo.info.line_items);
}

TEST(DemoDataset, RowCountsAtScaleTwo) {
  const Demo demo = make_demo(2);
  sqlite3* db = demo.db.get();
  EXPECT_EQ(demo.info.customers, 200);
  EXPECT_EQ(demo.info.products, 70);
  EXPECT_EQ(demo.info.orders, 2000);
  EXPECT_GE(demo.info.line_items, 18'000);
  EXPECT_LE(demo.info.line_items, 22'000);
  EXPECT_EQ(query_int(db, "SELECT COUNT(*) FROM customers"), demo.info.customers);
  EXPECT_EQ(query_int(db, "SELECT COUNT(*) FROM products"), demo.info.products);
  EXPECT_EQ(query_int(db, "SELECT COUNT(*) FROM orders"), demo.info.orders);
  EXPECT_EQ(query_int(db, "SELECT COUNT(*) FROM line_items"), demo.info.line_items);
}

TEST(DemoDataset, IsDeterministic) {
  const Demo again = make_demo(1);
  const std::string first = dump(scale_one().db.get());
  EXPECT_GT(first.size(), 100'000u);
  EXPECT_TRUE(first == dump(again.db.get())) << "two scale-1 builds differ";
  const Demo bigger = make_demo(2);
  EXPECT_NE(first, dump(bigger.db.get()));
}

// Pins the exact content so a platform-dependent value (or an unintended generator change) shows
// up here. Change the constant only when the dataset is changed on purpose.
TEST(DemoDataset, MatchesPinnedFingerprint) {
  EXPECT_EQ(fnv1a(dump(scale_one().db.get())), 0xE42F95F9DCD4AC03ULL);
}

TEST(DemoDataset, DeclaresEveryTypeFamily) {
  sqlite3* db = scale_one().db.get();
  std::map<std::string, std::string> declared;
  for (const auto& [relation, key] : kRelations) {
    if (relation == "order_summary") continue;
    for (const Row& row : query(db, "PRAGMA table_info(" + relation + ")")) {
      declared[relation + "." + row[1].text] = row[2].text;
    }
  }
  const std::map<std::string, std::string> expected = {
      {"customers.customer_id", "BIGINT"},
      {"customers.name", "TEXT"},
      {"customers.email", "TEXT"},
      {"customers.country", "TEXT"},
      {"customers.signup_date", "DATE"},
      {"customers.is_active", "BOOLEAN"},
      {"customers.credit_limit", "DECIMAL(12,2)"},
      {"customers.loyalty_points", "INT"},
      {"customers.photo", "BLOB"},
      {"products.product_id", "BIGINT"},
      {"products.name", "TEXT"},
      {"products.category", "TEXT"},
      {"products.unit_price", "DECIMAL(10,2)"},
      {"products.weight_kg", "DOUBLE"},
      {"products.in_stock", "BOOLEAN"},
      {"products.tags", "TEXT"},
      {"orders.order_id", "BIGINT"},
      {"orders.customer_id", "BIGINT"},
      {"orders.ordered_at", "TIMESTAMPTZ"},
      {"orders.shipped_at", "TIMESTAMP"},
      {"orders.status", "TEXT"},
      {"orders.total", "DECIMAL(14,2)"},
      {"orders.priority", "INT"},
      {"orders.note", "TEXT"},
      {"line_items.order_id", "BIGINT"},
      {"line_items.line_no", "INT"},
      {"line_items.product_id", "BIGINT"},
      {"line_items.quantity", "INT"},
      {"line_items.unit_price", "DECIMAL(10,2)"},
      {"line_items.discount", "DOUBLE"},
      {"line_items.ship_date", "DATE"},
      {"line_items.returned", "BOOLEAN"},
  };
  EXPECT_EQ(declared, expected);

  // Storage classes match the families. DECIMAL columns have NUMERIC affinity, so the decimal
  // text bound for them is stored as the equal REAL, or INTEGER for whole amounts.
  const std::set<std::string> numeric = {"integer", "real"};
  const std::map<std::string, std::set<std::string>> storage_by_type = {
      {"BIGINT", {"integer"}},    {"INT", {"integer"}},       {"BOOLEAN", {"integer"}},
      {"TEXT", {"text"}},         {"DATE", {"text"}},         {"TIMESTAMP", {"text"}},
      {"TIMESTAMPTZ", {"text"}},  {"DECIMAL(10,2)", numeric}, {"DECIMAL(12,2)", numeric},
      {"DECIMAL(14,2)", numeric}, {"DOUBLE", {"real"}},       {"BLOB", {"blob"}},
  };
  for (const auto& [qualified, type] : declared) {
    const std::string table = qualified.substr(0, qualified.find('.'));
    const std::string column = qualified.substr(qualified.find('.') + 1);
    const std::vector<Row> kinds = query(db, "SELECT DISTINCT typeof(" + column + ") FROM " +
                                                 table + " WHERE " + column + " IS NOT NULL");
    ASSERT_FALSE(kinds.empty()) << qualified;
    for (const Row& kind : kinds) {
      EXPECT_EQ(storage_by_type.at(type).count(kind[0].text), 1u)
          << qualified << ": " << kind[0].text;
    }
  }
  for (const char* column : {"customers.is_active", "products.in_stock", "line_items.returned"}) {
    const std::string qualified = column;
    const std::string table = qualified.substr(0, qualified.find('.'));
    const std::string name = qualified.substr(qualified.find('.') + 1);
    EXPECT_EQ(query_int(db, "SELECT COUNT(DISTINCT " + name + ") FROM " + table + " WHERE " + name +
                                " IN (0, 1)"),
              2)
        << qualified;
    EXPECT_EQ(query_int(db, "SELECT COUNT(*) FROM " + table + " WHERE " + name + " NOT IN (0, 1)"),
              0)
        << qualified;
  }
  EXPECT_EQ(query_int(db,
                      "SELECT COUNT(*) FROM sqlite_schema WHERE type = 'view' AND name = "
                      "'order_summary'"),
            1);
}

TEST(DemoDataset, NullableColumnsContainNulls) {
  sqlite3* db = scale_one().db.get();
  int nullable = 0;
  for (const auto& [relation, key] : kRelations) {
    if (relation == "order_summary") continue;
    for (const Row& row : query(db, "PRAGMA table_info(" + relation + ")")) {
      const std::string& column = row[1].text;
      const bool not_null = row[3].text == "1";
      const bool primary_key = row[5].text != "0";
      const std::int64_t nulls =
          query_int(db, "SELECT COUNT(*) FROM " + relation + " WHERE " + column + " IS NULL");
      if (not_null || primary_key) {
        EXPECT_EQ(nulls, 0) << relation << "." << column;
      } else {
        ++nullable;
        EXPECT_GT(nulls, 0) << relation << "." << column;
      }
    }
  }
  EXPECT_EQ(nullable, 18);

  // The advertised proportions, loosely.
  const auto per_mille = [db](const std::string& table, const std::string& predicate) {
    return query_int(db, "SELECT 1000 * SUM(" + predicate + ") / COUNT(*) FROM " + table);
  };
  EXPECT_GT(per_mille("customers", "email IS NULL"), 10);
  EXPECT_LT(per_mille("customers", "email IS NULL"), 120);
  EXPECT_GT(per_mille("customers", "photo IS NOT NULL"), 40);
  EXPECT_LT(per_mille("customers", "photo IS NOT NULL"), 200);
  EXPECT_GT(per_mille("orders", "shipped_at IS NULL"), 110);
  EXPECT_LT(per_mille("orders", "shipped_at IS NULL"), 190);
  EXPECT_GT(per_mille("orders", "note IS NULL"), 800);
  // An empty note is a value, not a NULL.
  EXPECT_GT(query_int(db, "SELECT COUNT(*) FROM orders WHERE note = ''"), 0);
}

TEST(DemoDataset, DateTextIsIsoCalendarDate) {
  sqlite3* db = scale_one().db.get();
  for (const auto& [table, column] : std::vector<std::pair<std::string, std::string>>{
           {"customers", "signup_date"}, {"line_items", "ship_date"}}) {
    const std::vector<std::string> texts = column_texts(db, table, column);
    ASSERT_FALSE(texts.empty());
    for (const std::string& text : texts) {
      ASSERT_TRUE(has_shape(text, kDateShape)) << table << "." << column << " = " << text;
    }
    // date() normalizes impossible dates like 02-30, so equality means a real calendar date.
    EXPECT_EQ(query_int(db, "SELECT COUNT(*) FROM " + table + " WHERE " + column +
                                " IS NOT NULL AND date(" + column + ") IS NOT " + column),
              0)
        << table << "." << column;
  }
  const Row range = query(db, "SELECT MIN(signup_date), MAX(signup_date) FROM customers")[0];
  EXPECT_GE(range[0].text, "2015-01-01");
  EXPECT_LE(range[1].text, "2024-12-31");
  // Line items ship on the order's (UTC) shipping day or the day after.
  EXPECT_EQ(query_int(db,
                      "SELECT COUNT(*) FROM line_items li JOIN orders o USING (order_id) "
                      "WHERE li.ship_date NOT IN (substr(o.shipped_at, 1, 10), "
                      "date(o.shipped_at, '+1 day')) OR (li.ship_date IS NULL) != "
                      "(o.shipped_at IS NULL)"),
            0);
}

TEST(DemoDataset, TimestampTextIsUtcWithMicroseconds) {
  sqlite3* db = scale_one().db.get();
  const std::vector<std::string> texts = column_texts(db, "orders", "shipped_at");
  ASSERT_GT(texts.size(), 500u);
  std::set<std::string> fractions;
  for (const std::string& text : texts) {
    ASSERT_TRUE(has_shape(text, kTimestampShape)) << text;
    fractions.insert(text.substr(20, 6));
  }
  // Microseconds are really used, not always .000000.
  EXPECT_GT(fractions.size(), 100u);
  EXPECT_EQ(query_int(db,
                      "SELECT COUNT(*) FROM orders WHERE shipped_at IS NOT NULL AND "
                      "strftime('%Y-%m-%dT%H:%M:%S', shipped_at) != substr(shipped_at, 1, 19)"),
            0);
}

TEST(DemoDataset, TimestampTzTextIsLocalTimeWithOffset) {
  sqlite3* db = scale_one().db.get();
  const std::set<std::string> allowed = {"Z", "+05:30", "-08:00", "+09:00", "-03:30", "+01:00"};
  std::set<std::string> seen;
  const std::vector<std::string> texts = column_texts(db, "orders", "ordered_at");
  ASSERT_EQ(texts.size(), 1000u);
  for (const std::string& text : texts) {
    ASSERT_GE(text.size(), 27u) << text;
    const std::string zone = text.substr(26);
    ASSERT_TRUE(has_shape(text.substr(0, 26), kTimestampShape.substr(0, 26))) << text;
    ASSERT_EQ(allowed.count(zone), 1u) << text;
    seen.insert(zone);
    const std::string year = text.substr(0, 4);
    EXPECT_GE(year, "2019") << text;
    EXPECT_LE(year, "2025") << text;
  }
  EXPECT_EQ(seen, allowed);
  // shipped_at (UTC) is 1 hour to 10 days after the ordered_at instant. SQLite converts the
  // offset suffix to UTC, so a wrong local time or a flipped offset sign breaks this for many rows.
  EXPECT_EQ(query_int(db,
                      "SELECT COUNT(*) FROM orders WHERE shipped_at IS NOT NULL AND "
                      "(julianday(shipped_at) - julianday(ordered_at) < 1.0 / 24 - 1e-7 OR "
                      "julianday(shipped_at) - julianday(ordered_at) > 10 + 1e-7)"),
            0);
  // The fraction survives the zone conversion unchanged (offsets are whole minutes).
  EXPECT_EQ(query_int(db,
                      "SELECT COUNT(*) FROM orders WHERE ordered_at NOT LIKE '%.______Z' AND "
                      "ordered_at NOT LIKE '%.______+__:__' AND "
                      "ordered_at NOT LIKE '%.______-__:__'"),
            0);
}

TEST(DemoDataset, DecimalValuesAreExactCents) {
  sqlite3* db = scale_one().db.get();
  const std::vector<std::pair<std::string, std::string>> columns = {
      {"customers", "credit_limit"},
      {"products", "unit_price"},
      {"orders", "total"},
      {"line_items", "unit_price"},
  };
  for (const auto& [table, column] : columns) {
    // The text SQLite hands the server's parse_decimal().
    const std::vector<std::string> texts = column_texts(db, table, column);
    ASSERT_FALSE(texts.empty());
    for (const std::string& text : texts) {
      ASSERT_TRUE(is_decimal_rendering(text, 2)) << table << "." << column << " = '" << text << "'";
    }
    // Whole cents, and the rendering reads back as the stored value.
    EXPECT_EQ(query_int(db, "SELECT COUNT(*) FROM " + table + " WHERE abs(" + column +
                                " * 100 - round(" + column + " * 100)) > 1e-6 OR CAST(CAST(" +
                                column + " AS TEXT) AS REAL) != " + column),
              0)
        << table << "." << column;
    // Cents vary, so a formatter that dropped or padded digits would show.
    std::set<char> last_digits;
    for (const Row& row : query(db, "SELECT printf('%.2f', " + column + ") FROM " + table +
                                        " WHERE " + column + " IS NOT NULL")) {
      last_digits.insert(row[0].text.back());
    }
    EXPECT_GT(last_digits.size(), 5u) << table << "." << column;
  }
  EXPECT_TRUE(is_decimal_rendering("0.05", 2));
  EXPECT_TRUE(is_decimal_rendering("500", 2));
  EXPECT_TRUE(is_decimal_rendering("-35176.9", 2));
  EXPECT_FALSE(is_decimal_rendering("1.505", 2));
  EXPECT_FALSE(is_decimal_rendering("01.50", 2));
  EXPECT_FALSE(is_decimal_rendering("1.", 2));
}

TEST(DemoDataset, ForeignKeysHold) {
  sqlite3* db = scale_one().db.get();
  EXPECT_TRUE(query(db, "PRAGMA foreign_key_check").empty());
  EXPECT_EQ(query_int(db,
                      "SELECT COUNT(*) FROM orders o LEFT JOIN customers c "
                      "ON c.customer_id = o.customer_id WHERE c.customer_id IS NULL"),
            0);
  EXPECT_EQ(query_int(db,
                      "SELECT COUNT(*) FROM line_items li LEFT JOIN orders o "
                      "ON o.order_id = li.order_id WHERE o.order_id IS NULL"),
            0);
  EXPECT_EQ(query_int(db,
                      "SELECT COUNT(*) FROM line_items li LEFT JOIN products p "
                      "ON p.product_id = li.product_id WHERE p.product_id IS NULL"),
            0);
  // A line's price is its product's price.
  EXPECT_EQ(query_int(db,
                      "SELECT COUNT(*) FROM line_items li JOIN products p "
                      "USING (product_id) WHERE li.unit_price != p.unit_price"),
            0);

  // Insertion order also satisfies enforced foreign keys.
  const Db enforced = open_memory_db();
  exec(enforced.get(), "PRAGMA foreign_keys = ON");
  EXPECT_NO_THROW(create_demo_dataset(enforced.get(), 1));
}

TEST(DemoDataset, LineItemsAreNumberedPerOrder) {
  sqlite3* db = scale_one().db.get();
  const Row stats = query(db,
                          "SELECT MIN(n), MAX(n), SUM(n != top) FROM (SELECT COUNT(*) AS n, "
                          "MAX(line_no) AS top FROM line_items GROUP BY order_id)")[0];
  EXPECT_EQ(stats[0].text, "1");
  EXPECT_EQ(stats[1].text, "19");
  EXPECT_EQ(stats[2].text, "0");
  EXPECT_EQ(query_int(db, "SELECT COUNT(DISTINCT order_id) FROM line_items"), 1000);
}

TEST(DemoDataset, OrderTotalsAreSumsOfRoundedLines) {
  sqlite3* db = scale_one().db.get();
  // Integer cents: a line is quantity * price * (1 - discount) rounded half up to cents.
  EXPECT_EQ(query_int(db,
                      "WITH lines AS (SELECT order_id, (quantity * CAST(round(unit_price * 100) "
                      "AS INTEGER) * (10000 - CAST(round(coalesce(discount, 0) * 10000) AS "
                      "INTEGER)) + 5000) / 10000 AS cents FROM line_items), sums AS (SELECT "
                      "order_id, SUM(cents) AS cents FROM lines GROUP BY order_id) SELECT "
                      "COUNT(*) FROM orders JOIN sums USING (order_id) WHERE total IS NOT NULL "
                      "AND CAST(round(total * 100) AS INTEGER) != sums.cents"),
            0);
}

TEST(DemoDataset, ViewSummarizesOrders) {
  sqlite3* db = scale_one().db.get();
  std::vector<std::string> columns;
  for (const Row& row : query(db, "PRAGMA table_info(order_summary)"))
    columns.push_back(row[1].text);
  EXPECT_EQ(columns,
            (std::vector<std::string>{"order_id", "customer_name", "item_count", "ordered_at"}));
  EXPECT_EQ(query_int(db, "SELECT COUNT(*) FROM order_summary"), 1000);
  EXPECT_EQ(query_int(db, "SELECT SUM(item_count) FROM order_summary"),
            scale_one().info.line_items);
  EXPECT_EQ(query_int(db,
                      "SELECT COUNT(*) FROM order_summary s JOIN orders o USING (order_id) "
                      "JOIN customers c ON c.customer_id = o.customer_id "
                      "WHERE s.customer_name != c.name OR s.ordered_at != o.ordered_at"),
            0);
}

TEST(DemoDataset, ContainsNonAsciiTextAndNonUtf8Blobs) {
  sqlite3* db = scale_one().db.get();
  EXPECT_GT(query_int(db, "SELECT COUNT(*) FROM customers WHERE name GLOB '*[^ -~]*'"), 5);
  const std::vector<std::string> names = column_texts(db, "customers", "name");
  const auto contains = [&names](std::string_view needle) {
    for (const std::string& name : names) {
      if (name.find(needle) != std::string::npos) return true;
    }
    return false;
  };
  EXPECT_TRUE(contains("José") || contains("Zoë") || contains("Chloé"));
  EXPECT_TRUE(contains("李雷") || contains("韩梅梅") || contains("山田太郎") || contains("王芳"));
  EXPECT_TRUE(contains("'"));  // O'Brien: quoting matters.
  const std::int64_t photos =
      query_int(db, "SELECT COUNT(*) FROM customers WHERE photo IS NOT NULL");
  EXPECT_EQ(query_int(db, "SELECT COUNT(*) FROM customers WHERE instr(photo, x'FF') > 0"), photos);
  EXPECT_GT(photos, 0);
  // Tags look like JSON arrays of strings.
  for (const std::string& tags : column_texts(db, "products", "tags")) {
    ASSERT_GE(tags.size(), 2u);
    EXPECT_EQ(tags.front(), '[') << tags;
    EXPECT_EQ(tags.back(), ']') << tags;
  }
  EXPECT_GT(query_int(db, "SELECT COUNT(*) FROM products WHERE tags LIKE '[\"%\",\"%\"]'"), 0);
}

TEST(DemoDataset, ThrowsAndRollsBackOnSqliteError) {
  const Db db = open_memory_db();
  // The last table of the schema already exists, so creation fails after the first tables.
  exec(db.get(), "CREATE TABLE line_items (x INT)");
  try {
    create_demo_dataset(db.get(), 1);
    FAIL() << "expected std::runtime_error";
  } catch (const std::runtime_error& error) {
    EXPECT_NE(std::string(error.what()).find("already exists"), std::string::npos) << error.what();
  }
  EXPECT_EQ(query_int(db.get(), "SELECT COUNT(*) FROM sqlite_schema WHERE name = 'customers'"), 0);
  EXPECT_EQ(sqlite3_get_autocommit(db.get()), 1);
}

TEST(DemoDataset, RejectsScaleBelowOne) {
  const Db db = open_memory_db();
  EXPECT_THROW(create_demo_dataset(db.get(), 0), std::invalid_argument);
  EXPECT_THROW(create_demo_dataset(db.get(), -3), std::invalid_argument);
  EXPECT_THROW(create_demo_dataset(nullptr, 1), std::invalid_argument);
  EXPECT_EQ(query_int(db.get(), "SELECT COUNT(*) FROM sqlite_schema"), 0);
}

TEST(DemoDataset, WorksInsideOpenTransaction) {
  const Db db = open_memory_db();
  exec(db.get(), "BEGIN");
  const DemoDatasetInfo info = create_demo_dataset(db.get(), 1);
  EXPECT_EQ(sqlite3_get_autocommit(db.get()), 0);
  exec(db.get(), "COMMIT");
  EXPECT_EQ(query_int(db.get(), "SELECT COUNT(*) FROM line_items"), info.line_items);
}

TEST(DemoDataset, ScaleHundredCompletes) {
  const Demo demo = make_demo(100);
  EXPECT_EQ(demo.info.customers, 10'000);
  EXPECT_EQ(demo.info.products, 1'050);
  EXPECT_EQ(demo.info.orders, 100'000);
  EXPECT_GE(demo.info.line_items, 900'000);
  EXPECT_EQ(query_int(demo.db.get(), "SELECT COUNT(*) FROM line_items"), demo.info.line_items);
}

}  // namespace
}  // namespace e6data::devserver

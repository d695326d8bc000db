// The dev server's built-in demo dataset: a small retail schema (customers, products, orders,
// line items and an order_summary view) generated deterministically into SQLite, so every
// machine and every run serves byte-identical data and examples/tests can quote exact values.

#pragma once

#include <cstdint>

struct sqlite3;

namespace e6data::devserver {

// Row counts of the tables create_demo_dataset() filled.
struct DemoDatasetInfo {
  std::int64_t customers;
  std::int64_t products;
  std::int64_t orders;
  std::int64_t line_items;
};

// Creates the demo tables and the order_summary view in `db` (an open sqlite3 database without
// tables of the same names) and fills them from a fixed-seed PRNG using integer arithmetic only,
// so the content is identical on every platform. DATE/TIMESTAMP/TIMESTAMPTZ values are stored as
// text; DECIMAL values are bound as text with exactly s fraction digits, which SQLite's NUMERIC
// affinity turns into the (exactly equal) REAL or INTEGER. `scale` >= 1 sets the size: about 100 *
// scale customers, 50 + 10 * scale products, 1000 * scale orders and 10,000 * scale line items.
// Everything runs inside one savepoint (so it also works inside an open transaction) and is rolled
// back on failure. Throws std::invalid_argument if scale < 1, and std::runtime_error carrying
// SQLite's message if SQLite fails.
DemoDatasetInfo create_demo_dataset(sqlite3* db, int scale);

}  // namespace e6data::devserver

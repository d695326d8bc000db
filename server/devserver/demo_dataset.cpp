// Deterministic generation of the dev server's demo dataset. Every value is derived from a
// hand-written splitmix64 stream with plain integer arithmetic (no <random> distributions, no
// SQLite date functions, doubles only as exact integer / power-of-ten quotients), so the bytes
// stored are the same on every compiler, libc and platform. The one conversion left to SQLite,
// DECIMAL text to REAL under NUMERIC affinity, is correctly rounded for these short values.

#include "devserver/demo_dataset.hpp"

#include <sqlite3.h>

#include <array>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace e6data::devserver {
namespace {

constexpr std::uint64_t kSeed = 0xE6DA7A5EED2024ULL;
constexpr std::int64_t kMicrosPerSecond = 1'000'000;
constexpr std::int64_t kSecondsPerDay = 86'400;
constexpr std::int64_t kMicrosPerDay = kSecondsPerDay * kMicrosPerSecond;

// Per-table tags so each table's rows come from unrelated streams.
constexpr std::uint64_t kCustomerStream = 1;
constexpr std::uint64_t kProductStream = 2;
constexpr std::uint64_t kOrderStream = 3;

constexpr std::string_view kSchema = R"sql(
CREATE TABLE customers (
  customer_id BIGINT PRIMARY KEY,
  name TEXT NOT NULL,
  email TEXT,
  country TEXT,
  signup_date DATE,
  is_active BOOLEAN,
  credit_limit DECIMAL(12,2),
  loyalty_points INT,
  photo BLOB
);
CREATE TABLE products (
  product_id BIGINT PRIMARY KEY,
  name TEXT NOT NULL,
  category TEXT,
  unit_price DECIMAL(10,2) NOT NULL,
  weight_kg DOUBLE,
  in_stock BOOLEAN,
  tags TEXT
);
CREATE TABLE orders (
  order_id BIGINT PRIMARY KEY,
  customer_id BIGINT NOT NULL REFERENCES customers,
  ordered_at TIMESTAMPTZ NOT NULL,
  shipped_at TIMESTAMP,
  status TEXT NOT NULL,
  total DECIMAL(14,2),
  priority INT,
  note TEXT
);
CREATE TABLE line_items (
  order_id BIGINT NOT NULL REFERENCES orders,
  line_no INT NOT NULL,
  product_id BIGINT NOT NULL REFERENCES products,
  quantity INT NOT NULL,
  unit_price DECIMAL(10,2) NOT NULL,
  discount DOUBLE,
  ship_date DATE,
  returned BOOLEAN,
  PRIMARY KEY (order_id, line_no)
);
CREATE VIEW order_summary AS
  SELECT o.order_id AS order_id, c.name AS customer_name, COUNT(li.line_no) AS item_count,
         o.ordered_at AS ordered_at
  FROM orders AS o
  JOIN customers AS c ON c.customer_id = o.customer_id
  LEFT JOIN line_items AS li ON li.order_id = o.order_id
  GROUP BY o.order_id, c.name, o.ordered_at;
)sql";

// Built after loading because maintaining an index during a bulk insert is slower than building
// it once; it makes customer -> orders joins (and the view) cheap.
constexpr std::string_view kIndexes = R"sql(
CREATE INDEX orders_customer_id ON orders (customer_id);
)sql";

std::uint64_t mix64(std::uint64_t z) {
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

// splitmix64. One instance per row, seeded from (table, row id), so a row's values depend only on
// its id and the scale-dependent bounds it draws from, never on how many rows came before it.
class Rng {
 public:
  Rng(std::uint64_t stream, std::int64_t id)
      // Seeds pass through mix64 first: raw seeds that differ by multiples of the splitmix
      // increment would give rows overlapping, shifted sequences.
      : state_(mix64(kSeed ^ (stream << 56) ^ static_cast<std::uint64_t>(id))) {}

  std::uint64_t next() {
    state_ += 0x9E3779B97F4A7C15ULL;
    return mix64(state_);
  }

  // Uniform-enough in [0, n): the modulo bias is far below anything a demo dataset could show.
  std::int64_t below(std::int64_t n) {
    return static_cast<std::int64_t>(next() % static_cast<std::uint64_t>(n));
  }

  // [lo, hi], inclusive.
  std::int64_t between(std::int64_t lo, std::int64_t hi) { return lo + below(hi - lo + 1); }

  // True with probability per_mille / 1000.
  bool chance(std::int64_t per_mille) { return below(1000) < per_mille; }

  template <typename T, std::size_t N>
  const T& pick(const std::array<T, N>& items) {
    return items[static_cast<std::size_t>(below(static_cast<std::int64_t>(N)))];
  }

 private:
  std::uint64_t state_;
};

// ---- Calendar arithmetic (proleptic Gregorian, days since 1970-01-01) ----

struct CivilDate {
  std::int64_t year;
  int month;
  int day;
};

std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  const std::int64_t q = a / b;
  return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

// Howard Hinnant's days_from_civil.
std::int64_t days_from_civil(std::int64_t y, int m, int d) {
  y -= m <= 2 ? 1 : 0;
  const std::int64_t era = floor_div(y, 400);
  const std::int64_t yoe = y - era * 400;
  const std::int64_t mp = (m + 9) % 12;
  const std::int64_t doy = (153 * mp + 2) / 5 + d - 1;
  const std::int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

// Howard Hinnant's civil_from_days.
CivilDate civil_from_days(std::int64_t z) {
  z += 719468;
  const std::int64_t era = floor_div(z, 146097);
  const std::int64_t doe = z - era * 146097;
  const std::int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const std::int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const std::int64_t mp = (5 * doy + 2) / 153;
  const std::int64_t d = doy - (153 * mp + 2) / 5 + 1;
  const std::int64_t m = mp < 10 ? mp + 3 : mp - 9;
  return {yoe + era * 400 + (m <= 2 ? 1 : 0), static_cast<int>(m), static_cast<int>(d)};
}

// Appends `value` in decimal, zero-padded to at least `width` digits. Hand-written because
// snprintf was a sixth of the scale-100 run time.
void append_padded(std::string& out, std::uint64_t value, int width) {
  std::array<char, 20> digits{};
  int count = 0;
  do {
    digits[static_cast<std::size_t>(count++)] = static_cast<char>('0' + value % 10);
    value /= 10;
  } while (value != 0);
  for (int i = count; i < width; ++i) out += '0';
  while (count > 0) out += digits[static_cast<std::size_t>(--count)];
}

// Through unsigned so INT64_MIN does not overflow on negation.
std::uint64_t magnitude_of(std::int64_t value) {
  return value < 0 ? 0 - static_cast<std::uint64_t>(value) : static_cast<std::uint64_t>(value);
}

// 'YYYY-MM-DD' appended to `out`.
void append_date(std::string& out, std::int64_t days) {
  const CivilDate date = civil_from_days(days);
  if (date.year < 0) out += '-';
  append_padded(out, magnitude_of(date.year), 4);
  out += '-';
  append_padded(out, static_cast<std::uint64_t>(date.month), 2);
  out += '-';
  append_padded(out, static_cast<std::uint64_t>(date.day), 2);
}

std::string format_date(std::int64_t days) {
  std::string out;
  append_date(out, days);
  return out;
}

// 'YYYY-MM-DDTHH:MM:SS.ffffff' of a wall-clock time given as microseconds since the epoch.
std::string format_wall_clock(std::int64_t micros) {
  const std::int64_t days = floor_div(micros, kMicrosPerDay);
  const auto of_day = static_cast<std::uint64_t>(micros - days * kMicrosPerDay);
  const std::uint64_t seconds = of_day / kMicrosPerSecond;
  std::string out;
  out.reserve(40);
  append_date(out, days);
  out += 'T';
  append_padded(out, seconds / 3600, 2);
  out += ':';
  append_padded(out, seconds / 60 % 60, 2);
  out += ':';
  append_padded(out, seconds % 60, 2);
  out += '.';
  append_padded(out, of_day % kMicrosPerSecond, 6);
  return out;
}

// TIMESTAMP text: the UTC wall-clock time with a 'Z' suffix.
std::string format_utc_timestamp(std::int64_t utc_micros) {
  return format_wall_clock(utc_micros) + "Z";
}

// TIMESTAMPTZ text: the local wall-clock time at `offset_minutes` east of UTC, then the offset
// ('Z' for zero, else '+HH:MM' / '-HH:MM'), so parsing it back yields the same instant.
std::string format_zoned_timestamp(std::int64_t utc_micros, int offset_minutes) {
  std::string text =
      format_wall_clock(utc_micros + std::int64_t{offset_minutes} * 60 * kMicrosPerSecond);
  if (offset_minutes == 0) return text + "Z";
  const std::uint64_t magnitude = magnitude_of(offset_minutes);
  text += offset_minutes < 0 ? '-' : '+';
  append_padded(text, magnitude / 60, 2);
  text += ':';
  append_padded(text, magnitude % 60, 2);
  return text;
}

// DECIMAL(p,2) text from an integer number of hundredths: always exactly two fraction digits.
// Note that SQLite gives a DECIMAL(p,s) column NUMERIC affinity, so it stores this text as the
// REAL (or, for whole amounts, INTEGER) it spells; reading it back yields e.g. '35176.9' or '500'.
// That is exact here because every amount has at most 15 significant digits, and the server's
// parse_decimal() pads to the declared scale.
std::string format_cents(std::int64_t cents) {
  const std::uint64_t magnitude = magnitude_of(cents);
  std::string out;
  if (cents < 0) out += '-';
  append_padded(out, magnitude / 100, 1);
  out += '.';
  append_padded(out, magnitude % 100, 2);
  return out;
}

// ---- SQLite helpers ----

[[noreturn]] void fail(sqlite3* db, std::string_view what) {
  throw std::runtime_error("demo dataset: " + std::string(what) + ": " + sqlite3_errmsg(db));
}

void exec(sqlite3* db, std::string_view sql) {
  char* message = nullptr;
  const std::string owned(sql);
  if (sqlite3_exec(db, owned.c_str(), nullptr, nullptr, &message) != SQLITE_OK) {
    const std::string text = message != nullptr ? message : sqlite3_errmsg(db);
    sqlite3_free(message);
    throw std::runtime_error("demo dataset: " + text);
  }
}

// A prepared statement bound by 1-based parameter index; every parameter is rebound for every
// row, so step() does not need to clear bindings.
class Statement {
 public:
  Statement(sqlite3* db, std::string_view sql) : db_(db) {
    if (sqlite3_prepare_v2(db, sql.data(), static_cast<int>(sql.size()), &stmt_, nullptr) !=
        SQLITE_OK) {
      fail(db, "prepare");
    }
  }
  ~Statement() { sqlite3_finalize(stmt_); }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  void bind(int index, std::int64_t value) { check(sqlite3_bind_int64(stmt_, index, value)); }
  void bind(int index, double value) { check(sqlite3_bind_double(stmt_, index, value)); }
  void bind(int index, std::string_view text) {
    check(
        sqlite3_bind_text64(stmt_, index, text.data(), text.size(), SQLITE_TRANSIENT, SQLITE_UTF8));
  }
  void bind_blob(int index, const std::vector<unsigned char>& bytes) {
    check(sqlite3_bind_blob64(stmt_, index, bytes.data(), bytes.size(), SQLITE_TRANSIENT));
  }
  void bind_bool(int index, bool value) { bind(index, std::int64_t{value ? 1 : 0}); }
  void bind_null(int index) { check(sqlite3_bind_null(stmt_, index)); }

  void step() {
    if (sqlite3_step(stmt_) != SQLITE_DONE) {
      // Read the message before reset() so it describes the failed step.
      const std::string message = sqlite3_errmsg(db_);
      sqlite3_reset(stmt_);
      throw std::runtime_error("demo dataset: insert: " + message);
    }
    sqlite3_reset(stmt_);
  }

 private:
  void check(int rc) {
    if (rc != SQLITE_OK) fail(db_, "bind");
  }

  sqlite3* db_;
  sqlite3_stmt* stmt_ = nullptr;
};

// ---- Vocabulary ----

// Display names (some non-ASCII) with an ASCII spelling for e-mail addresses.
struct Name {
  std::string_view display;
  std::string_view ascii;
};

constexpr std::array<Name, 20> kFirstNames = {{
    {"Alice", "alice"},   {"Bob", "bob"},     {"Carlos", "carlos"},     {"Dana", "dana"},
    {"José", "jose"},     {"Zoë", "zoe"},     {"François", "francois"}, {"Łukasz", "lukasz"},
    {"Priya", "priya"},   {"Aarav", "aarav"}, {"Mei", "mei"},           {"Yuki", "yuki"},
    {"Olivia", "olivia"}, {"Noah", "noah"},   {"Fatima", "fatima"},     {"Søren", "soren"},
    {"Amara", "amara"},   {"Liam", "liam"},   {"Chloé", "chloe"},       {"Mateo", "mateo"},
}};

constexpr std::array<Name, 16> kLastNames = {{
    {"Smith", "smith"},
    {"García", "garcia"},
    {"Müller", "muller"},
    {"Nguyen", "nguyen"},
    {"Kowalski", "kowalski"},
    {"O'Brien", "obrien"},
    {"Patel", "patel"},
    {"Tanaka", "tanaka"},
    {"Rossi", "rossi"},
    {"Johansson", "johansson"},
    {"Silva", "silva"},
    {"Okafor", "okafor"},
    {"Dubois", "dubois"},
    {"Kim", "kim"},
    {"Ivanova", "ivanova"},
    {"Brown", "brown"},
}};

// Whole names written without a Latin first/last split.
constexpr std::array<Name, 5> kCjkNames = {{
    {"李雷", "li.lei"},
    {"韩梅梅", "han.meimei"},
    {"山田太郎", "yamada.taro"},
    {"김민준", "kim.minjun"},
    {"王芳", "wang.fang"},
}};

constexpr std::array<std::string_view, 3> kEmailDomains = {"example.com", "example.org",
                                                           "mail.example.net"};

constexpr std::array<std::string_view, 14> kCountries = {
    "United States", "India", "Japan", "Germany",     "France",  "Brazil",        "Canada",
    "Australia",     "Spain", "China", "South Korea", "Nigeria", "Côte d'Ivoire", "Mexico",
};

constexpr std::array<std::string_view, 10> kAdjectives = {
    "Classic", "Deluxe", "Compact", "Smart", "Eco", "Ultra", "Vintage", "Crème", "Rugged", "Mini",
};

struct Noun {
  std::string_view name;
  std::string_view category;
};

constexpr std::array<Noun, 12> kNouns = {{
    {"Widget", "Gadgets"},
    {"Lamp", "Home"},
    {"Mug", "Kitchen"},
    {"Backpack", "Outdoors"},
    {"Headphones", "Electronics"},
    {"Notebook", "Office"},
    {"Kettle", "Kitchen"},
    {"Chair", "Home"},
    {"Charger", "Electronics"},
    {"Tent", "Outdoors"},
    {"Pen", "Office"},
    {"Blender", "Kitchen"},
}};

constexpr std::array<std::string_view, 10> kTags = {
    "red", "blue", "green", "small", "large", "sale", "new", "eco", "bestseller", "gift",
};

// Zones for ordered_at, in minutes east of UTC: whole, half and negative half-hour offsets.
constexpr std::array<int, 6> kZoneOffsets = {0, 330, -480, 540, -210, 60};

// Weighted by repetition: most shipped orders are delivered, one in ten comes back.
constexpr std::array<std::string_view, 10> kShippedStatuses = {
    "shipped",   "shipped",   "delivered", "delivered", "delivered",
    "delivered", "delivered", "delivered", "delivered", "returned",
};
constexpr std::array<std::string_view, 3> kOpenStatuses = {"pending", "processing", "cancelled"};

// Includes an empty string (distinct from NULL), quotes, a newline, a 4-byte UTF-8 emoji and CJK.
constexpr std::array<std::string_view, 9> kNotes = {
    "Leave at the front door",
    "Gift wrap, please 🎁",
    "Call before delivery",
    "Fragile — handle with care",
    "Customer said \"ASAP\"",
    "Deliver after 5 pm\nRing twice",
    "",
    "Zustellung an Nachbarn erlaubt",
    "配達前に電話してください",
};

// Discounts in basis points; a double of bp / 10000.0 is exact enough to round-trip to bp.
constexpr std::array<std::int64_t, 7> kDiscountBasisPoints = {0, 0, 500, 1000, 1500, 2000, 2500};

// ---- Table generators ----

std::int64_t insert_customers(sqlite3* db, std::int64_t count) {
  Statement insert(db, "INSERT INTO customers VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)");
  const std::int64_t first_signup = days_from_civil(2015, 1, 1);
  const std::int64_t last_signup = days_from_civil(2024, 12, 31);
  std::vector<unsigned char> photo;
  for (std::int64_t id = 1; id <= count; ++id) {
    Rng rng(kCustomerStream, id);
    insert.bind(1, id);

    std::string name;
    std::string handle;
    if (rng.chance(60)) {
      const Name& whole = rng.pick(kCjkNames);
      name = whole.display;
      handle = whole.ascii;
    } else {
      const Name& first = rng.pick(kFirstNames);
      const Name& last = rng.pick(kLastNames);
      name = std::string(first.display) + " " + std::string(last.display);
      handle = std::string(first.ascii) + "." + std::string(last.ascii);
    }
    insert.bind(2, name);

    if (rng.chance(50)) {
      insert.bind_null(3);
    } else {
      // The id suffix keeps addresses unique even when names repeat.
      insert.bind(3, handle + std::to_string(id) + "@" + std::string(rng.pick(kEmailDomains)));
    }

    if (rng.chance(40)) {
      insert.bind_null(4);
    } else {
      insert.bind(4, rng.pick(kCountries));
    }

    if (rng.chance(30)) {
      insert.bind_null(5);
    } else {
      insert.bind(5, format_date(rng.between(first_signup, last_signup)));
    }

    if (rng.chance(50)) {
      insert.bind_null(6);
    } else {
      insert.bind_bool(6, rng.chance(850));
    }

    if (rng.chance(40)) {
      insert.bind_null(7);
    } else {
      insert.bind(7, format_cents(rng.between(50'000, 5'000'000)));
    }

    if (rng.chance(40)) {
      insert.bind_null(8);
    } else {
      insert.bind(8, rng.between(0, 100'000));
    }

    if (rng.chance(100)) {
      // A JPEG-like header, so the bytes are not valid UTF-8 (0xFF never is), then noise.
      photo.assign({0xFF, 0xD8, 0xFF, 0xE0});
      const std::int64_t extra = rng.between(4, 28);
      for (std::int64_t i = 0; i < extra; ++i) {
        photo.push_back(static_cast<unsigned char>(rng.next() & 0xFF));
      }
      insert.bind_blob(9, photo);
    } else {
      insert.bind_null(9);
    }
    insert.step();
  }
  return count;
}

// Returns each product's unit price in cents (index = product_id - 1) for line items to reuse.
std::vector<std::int64_t> insert_products(sqlite3* db, std::int64_t count) {
  Statement insert(db, "INSERT INTO products VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
  std::vector<std::int64_t> prices;
  prices.reserve(static_cast<std::size_t>(count));
  for (std::int64_t id = 1; id <= count; ++id) {
    Rng rng(kProductStream, id);
    insert.bind(1, id);
    const Noun& noun = rng.pick(kNouns);
    insert.bind(2, std::string(rng.pick(kAdjectives)) + " " + std::string(noun.name));

    if (rng.chance(50)) {
      insert.bind_null(3);
    } else {
      insert.bind(3, noun.category);
    }

    // Mostly x.99 prices, like a shop would use, and otherwise arbitrary cents.
    const std::int64_t cents =
        rng.chance(600) ? rng.between(0, 999) * 100 + 99 : rng.between(50, 99'999);
    prices.push_back(cents);
    insert.bind(4, format_cents(cents));

    if (rng.chance(100)) {
      insert.bind_null(5);
    } else {
      // Integer grams divided by 1000.0: a correctly rounded IEEE division, so identical
      // everywhere.
      insert.bind(5, static_cast<double>(rng.between(5, 25'000)) / 1000.0);
    }

    if (rng.chance(50)) {
      insert.bind_null(6);
    } else {
      insert.bind_bool(6, rng.chance(800));
    }

    if (rng.chance(50)) {
      insert.bind_null(7);
    } else {
      // Up to three distinct tags: pick a start and a stride coprime to the tag count.
      const std::int64_t tag_count = rng.below(4);
      const std::int64_t start = rng.below(static_cast<std::int64_t>(kTags.size()));
      const std::int64_t stride = rng.chance(500) ? 1 : 3;
      std::string tags = "[";
      for (std::int64_t i = 0; i < tag_count; ++i) {
        if (i > 0) tags += ",";
        const auto index = static_cast<std::size_t>((start + i * stride) %
                                                    static_cast<std::int64_t>(kTags.size()));
        tags += "\"" + std::string(kTags[index]) + "\"";
      }
      tags += "]";
      insert.bind(7, tags);
    }
    insert.step();
  }
  return prices;
}

struct OrderCounts {
  std::int64_t orders;
  std::int64_t line_items;
};

struct LineItem {
  std::int64_t product_id;
  std::int64_t quantity;
  std::int64_t unit_price_cents;
  std::int64_t discount_bp;  // -1: NULL discount
  std::int64_t ship_day;     // -1: NULL ship_date
  int returned;              // -1: NULL
};

OrderCounts insert_orders(sqlite3* db, std::int64_t count, std::int64_t customer_count,
                          const std::vector<std::int64_t>& product_prices) {
  Statement insert_order(db, "INSERT INTO orders VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");
  Statement insert_line(db, "INSERT INTO line_items VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");
  // Half a day inside 2019..2025 at both ends, so the local time at every offset stays in range.
  const std::int64_t first_micros = days_from_civil(2019, 1, 1) * kMicrosPerDay + kMicrosPerDay / 2;
  const std::int64_t end_micros = days_from_civil(2026, 1, 1) * kMicrosPerDay - kMicrosPerDay / 2;
  const auto product_count = static_cast<std::int64_t>(product_prices.size());
  std::vector<LineItem> lines;
  std::int64_t line_total = 0;
  for (std::int64_t id = 1; id <= count; ++id) {
    Rng rng(kOrderStream, id);
    const std::int64_t customer_id = rng.between(1, customer_count);
    const std::int64_t ordered_micros = first_micros + rng.below(end_micros - first_micros);
    const int offset = rng.pick(kZoneOffsets);
    const bool shipped = !rng.chance(150);
    const std::int64_t shipped_micros =
        ordered_micros + rng.between(3600 * kMicrosPerSecond, 10 * kMicrosPerDay);
    const std::string_view status = shipped ? rng.pick(kShippedStatuses) : rng.pick(kOpenStatuses);
    const bool returned_order = status == "returned";

    // Lines first: the order's total is the sum of its lines, each rounded to cents.
    lines.clear();
    std::int64_t total_cents = 0;
    const std::int64_t line_count = rng.between(1, 19);
    for (std::int64_t line_no = 1; line_no <= line_count; ++line_no) {
      LineItem line{};
      line.product_id = rng.between(1, product_count);
      line.quantity = rng.chance(600) ? rng.between(1, 3) : rng.between(1, 10);
      line.unit_price_cents = product_prices[static_cast<std::size_t>(line.product_id - 1)];
      line.discount_bp = rng.chance(300) ? -1 : rng.pick(kDiscountBasisPoints);
      const std::int64_t bp = line.discount_bp < 0 ? 0 : line.discount_bp;
      // Round half up in integers; all amounts are non-negative.
      total_cents += (line.quantity * line.unit_price_cents * (10'000 - bp) + 5'000) / 10'000;
      // Split shipments: a few lines leave the day after the order's shipment.
      line.ship_day =
          shipped ? floor_div(shipped_micros, kMicrosPerDay) + (rng.chance(100) ? 1 : 0) : -1;
      if (!shipped || rng.chance(20)) {
        line.returned = -1;
      } else {
        line.returned = (returned_order ? rng.chance(600) : rng.chance(10)) ? 1 : 0;
      }
      lines.push_back(line);
    }

    insert_order.bind(1, id);
    insert_order.bind(2, customer_id);
    insert_order.bind(3, format_zoned_timestamp(ordered_micros, offset));
    if (shipped) {
      insert_order.bind(4, format_utc_timestamp(shipped_micros));
    } else {
      insert_order.bind_null(4);
    }
    insert_order.bind(5, status);
    if (rng.chance(30)) {
      insert_order.bind_null(6);
    } else {
      insert_order.bind(6, format_cents(total_cents));
    }
    if (rng.chance(50)) {
      insert_order.bind_null(7);
    } else {
      insert_order.bind(7, rng.between(1, 5));
    }
    if (rng.chance(900)) {
      insert_order.bind_null(8);
    } else {
      insert_order.bind(8, rng.pick(kNotes));
    }
    insert_order.step();

    for (std::size_t i = 0; i < lines.size(); ++i) {
      const LineItem& line = lines[i];
      insert_line.bind(1, id);
      insert_line.bind(2, static_cast<std::int64_t>(i + 1));
      insert_line.bind(3, line.product_id);
      insert_line.bind(4, line.quantity);
      insert_line.bind(5, format_cents(line.unit_price_cents));
      if (line.discount_bp < 0) {
        insert_line.bind_null(6);
      } else {
        insert_line.bind(6, static_cast<double>(line.discount_bp) / 10'000.0);
      }
      if (line.ship_day < 0) {
        insert_line.bind_null(7);
      } else {
        insert_line.bind(7, format_date(line.ship_day));
      }
      if (line.returned < 0) {
        insert_line.bind_null(8);
      } else {
        insert_line.bind_bool(8, line.returned == 1);
      }
      insert_line.step();
    }
    line_total += static_cast<std::int64_t>(lines.size());
  }
  return {count, line_total};
}

DemoDatasetInfo fill(sqlite3* db, std::int64_t scale) {
  exec(db, kSchema);
  DemoDatasetInfo info{};
  info.customers = insert_customers(db, 100 * scale);
  const std::vector<std::int64_t> prices = insert_products(db, 50 + 10 * scale);
  info.products = static_cast<std::int64_t>(prices.size());
  const OrderCounts orders = insert_orders(db, 1000 * scale, info.customers, prices);
  info.orders = orders.orders;
  info.line_items = orders.line_items;
  exec(db, kIndexes);
  return info;
}

}  // namespace

DemoDatasetInfo create_demo_dataset(sqlite3* db, int scale) {
  if (db == nullptr) throw std::invalid_argument("demo dataset: null database handle");
  if (scale < 1) throw std::invalid_argument("demo dataset: scale must be >= 1");
  // A savepoint rather than BEGIN: it starts a transaction when none is open and nests inside the
  // caller's when one is, and either way gives a single commit for the bulk load.
  exec(db, "SAVEPOINT demo_dataset");
  try {
    const DemoDatasetInfo info = fill(db, scale);
    exec(db, "RELEASE demo_dataset");
    return info;
  } catch (...) {
    // Best effort: if SQLite already rolled the whole transaction back, these fail harmlessly.
    sqlite3_exec(db, "ROLLBACK TO demo_dataset; RELEASE demo_dataset", nullptr, nullptr, nullptr);
    throw;
  }
}

}  // namespace e6data::devserver

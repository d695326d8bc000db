// Fuzz target: client-side parameter binding (src/client/parameter_binding.hpp). The fuzzer picks
// the SQL text, the literal dialect ("ansi", "backslash", or "" = undeclared) and the values.
// Refusals must be UsageError, never another exception or a crash. Whatever is bound must read,
// in every dialect the binding is meant for, exactly as the statement with each placeholder
// replaced by a self-contained literal: no literal ends a string or comment early, none starts
// inside one, none glues to its neighbours, and each one reads back as its value.
#include <fuzzer/FuzzedDataProvider.h>

#include <charconv>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "client/parameter_binding.hpp"
#include "e6data/errors.hpp"

namespace {

using e6data::Value;
using e6data::detail::Placeholder;

[[noreturn]] void fail(const char* what) {
  // The message names the broken invariant; __builtin_trap makes libFuzzer save the input.
  std::fprintf(stderr, "fuzz_parameter_binder: %s\n", what);
  __builtin_trap();
}

void require(bool ok, const char* what) {
  if (!ok) fail(what);
}

// How a server reads '...' strings: ANSI ('' is a quote) or backslash (\x is x, and '' too).
enum class Reading { kAnsi, kBackslash };

// A reference lexer, written apart from the binder's scanner: what region each byte belongs to,
// and whether a new region starts at it. "..." and `...` identifiers double their quote; -- runs to
// the next \n; /* */ does not nest (the binder refuses texts where dialects disagree on those).
enum class Region : std::uint8_t { kCode, kString, kIdentifier, kLineComment, kBlockComment };
struct Label {
  Region region = Region::kCode;
  bool starts = false;  // the first byte of a string, identifier or comment
  friend bool operator==(const Label&, const Label&) = default;
};

// The labels of `text`, and whether it ends outside every string and comment.
std::pair<std::vector<Label>, bool> lex(std::string_view text, Reading reading) {
  std::vector<Label> labels(text.size());
  std::size_t i = 0;
  const auto mark = [&](std::size_t begin, std::size_t end, Region region) {
    for (std::size_t k = begin; k < end && k < text.size(); ++k) labels[k] = {region, k == begin};
  };
  while (i < text.size()) {
    const char c = text[i];
    const char next = i + 1 < text.size() ? text[i + 1] : '\0';
    std::size_t end = i + 1;
    if (c == '\'' || c == '"' || c == '`') {
      bool closed = false;
      while (end < text.size()) {
        if (c == '\'' && reading == Reading::kBackslash && text[end] == '\\') {
          end += 2;  // the escaped byte, whatever it is
        } else if (text[end] != c) {
          ++end;
        } else if (end + 1 < text.size() && text[end + 1] == c) {
          end += 2;
        } else {
          ++end;
          closed = true;
          break;
        }
      }
      mark(i, end, c == '\'' ? Region::kString : Region::kIdentifier);
      if (!closed) return {labels, false};
    } else if (c == '-' && next == '-') {
      const std::size_t newline = text.find('\n', i);
      if (newline == std::string_view::npos) {
        mark(i, text.size(), Region::kLineComment);
        return {labels, false};
      }
      end = newline + 1;
      mark(i, end, Region::kLineComment);
    } else if (c == '/' && next == '*') {
      const std::size_t close = text.find("*/", i + 2);
      if (close == std::string_view::npos) {
        mark(i, text.size(), Region::kBlockComment);
        return {labels, false};
      }
      end = close + 2;
      mark(i, end, Region::kBlockComment);
    } else {
      labels[i] = {Region::kCode, false};
    }
    i = end;
  }
  return {labels, true};
}

// The text of the '...' string at the start of `literal` as `reading` decodes it.
std::string decode_string(std::string_view literal, Reading reading) {
  std::string out;
  for (std::size_t i = 1; i + 1 < literal.size(); ++i) {
    if (reading == Reading::kBackslash && literal[i] == '\\') {
      out.push_back(literal[++i]);
    } else if (literal[i] == '\'') {
      out.push_back(literal[++i]);  // '' is one quote (the lexer checked the pairing)
    } else {
      out.push_back(literal[i]);
    }
  }
  return out;
}

// A literal parenthesised when negative: "(-12)" -> "-12".
std::string_view unparenthesise(std::string_view literal) {
  if (literal.size() >= 2 && literal.front() == '(' && literal.back() == ')') {
    return literal.substr(1, literal.size() - 2);
  }
  return literal;
}

// The literal reads back as the value it was made from.
void check_round_trip(const Value& value, std::string_view literal, Reading reading) {
  if (const auto* s = std::get_if<std::string_view>(&value)) {
    require(decode_string(literal, reading) == *s, "a string literal does not read back");
  } else if (const auto* i32 = std::get_if<std::int32_t>(&value)) {
    if (*i32 == INT32_MIN) return;  // written as (-max - 1)
    const std::string_view digits = unparenthesise(literal);
    std::int32_t back = 0;
    const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), back);
    require(error == std::errc() && end == digits.data() + digits.size() && back == *i32,
            "an INT literal does not read back");
  } else if (const auto* i64 = std::get_if<std::int64_t>(&value)) {
    if (*i64 == INT64_MIN) return;
    const std::string_view digits = unparenthesise(literal);
    std::int64_t back = 0;
    const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), back);
    require(error == std::errc() && end == digits.data() + digits.size() && back == *i64,
            "a BIGINT literal does not read back");
  } else if (const auto* d = std::get_if<double>(&value)) {
    const std::string text(unparenthesise(literal));
    require(text.find('E') != std::string::npos, "a DOUBLE literal is not approximate (no E)");
    char* end = nullptr;
    const double back = std::strtod(text.c_str(), &end);
    require(end == text.c_str() + text.size() && std::memcmp(&back, d, sizeof back) == 0,
            "a DOUBLE literal does not read back");
  }
}

Value consume_value(FuzzedDataProvider& in, std::vector<std::string>& strings) {
  switch (in.ConsumeIntegralInRange<int>(0, 9)) {
    case 0:
      return std::monostate{};
    case 1:
      return in.ConsumeBool();
    case 2:
      return in.ConsumeIntegral<std::int32_t>();
    case 3:
      return in.ConsumeIntegral<std::int64_t>();
    case 4: {
      double d = 0;
      const std::uint64_t bits = in.ConsumeIntegral<std::uint64_t>();
      std::memcpy(&d, &bits, sizeof d);  // every bit pattern: NaNs, infinities, subnormals
      return d;
    }
    case 5:
      // Stable storage: the Value views it. The vector was reserved, so views stay valid.
      strings.push_back(in.ConsumeRandomLengthString(64));
      return std::string_view(strings.back());
    case 6:
      return e6data::Date{in.ConsumeIntegral<std::int64_t>()};
    case 7:
      return e6data::Timestamp{in.ConsumeIntegral<std::int64_t>()};
    case 8:
      return e6data::TimestampTz{in.ConsumeIntegral<std::int64_t>(),
                                 {},
                                 in.ConsumeIntegralInRange<std::int32_t>(-20 * 3600, 20 * 3600)};
    default: {
      const auto high = static_cast<e6data::int128>(in.ConsumeIntegral<std::int64_t>());
      const auto low = static_cast<e6data::int128>(in.ConsumeIntegral<std::uint64_t>());
      return e6data::Decimal128{high * (e6data::int128{1} << 64) + low,
                                in.ConsumeIntegralInRange<std::int32_t>(-1100, 1100)};
    }
  }
}

// Neighbours a literal may touch without a space (the binder's rule, stated independently).
bool may_touch(char c) {
  return std::string_view(" \t\n\r\f\v(),;=<>+*|[]").find(c) != std::string_view::npos;
}

// `bound` must be `sql` with placeholders[i] replaced by literals[i], each literal possibly
// preceded and followed by one space. Returns where each literal starts in `bound`, and fills
// `origin` with the position in `bound` of each byte of `sql` outside the placeholders.
std::vector<std::size_t> align(std::string_view sql, std::string_view bound,
                               const std::vector<Placeholder>& placeholders,
                               const std::vector<std::string>& literals,
                               std::vector<std::size_t>& origin) {
  std::vector<std::size_t> starts;
  origin.assign(sql.size(), std::string_view::npos);
  std::size_t at = 0;      // in bound
  std::size_t copied = 0;  // in sql
  const auto copy_to = [&](std::size_t end) {
    for (; copied < end; ++copied, ++at) {
      require(at < bound.size() && bound[at] == sql[copied], "the statement's text was changed");
      origin[copied] = at;
    }
  };
  for (std::size_t i = 0; i < placeholders.size(); ++i) {
    copy_to(placeholders[i].offset);
    if (bound.compare(at, literals[i].size(), literals[i]) != 0 && at < bound.size() &&
        bound[at] == ' ') {
      ++at;
    }
    require(bound.compare(at, literals[i].size(), literals[i]) == 0, "a literal is missing");
    starts.push_back(at);
    at += literals[i].size();
    copied = placeholders[i].offset + placeholders[i].length;
    if (copied < sql.size() && at < bound.size() && bound[at] == ' ' && sql[copied] != ' ') ++at;
  }
  copy_to(sql.size());
  require(at == bound.size(), "the bound statement has extra text");
  return starts;
}

void check_bound(std::string_view sql, std::string_view bound,
                 const std::vector<Placeholder>& placeholders,
                 const std::vector<std::string>& literals, const std::vector<Value>& values,
                 std::string_view dialect) {
  std::vector<std::size_t> origin;
  const std::vector<std::size_t> starts = align(sql, bound, placeholders, literals, origin);
  // An undeclared dialect must be safe under both readings.
  std::vector<Reading> readings;
  if (dialect != "backslash") readings.push_back(Reading::kAnsi);
  if (dialect != "ansi") readings.push_back(Reading::kBackslash);
  for (const Reading reading : readings) {
    const std::vector<Label> before = lex(sql, reading).first;
    const std::vector<Label> after = lex(bound, reading).first;
    // The statement's own text reads as it did: same strings, identifiers and comments.
    for (std::size_t k = 0; k < sql.size(); ++k) {
      if (origin[k] != std::string_view::npos) {
        require(after[origin[k]] == before[k], "the statement reads differently once bound");
      }
    }
    for (std::size_t i = 0; i < placeholders.size(); ++i) {
      const std::string& literal = literals[i];
      require(!literal.empty() && literal.front() != '-', "a literal is empty or starts with -");
      // The binder replaced code, not text inside a string or comment.
      require(before[placeholders[i].offset].region == Region::kCode,
              "a placeholder inside a string or comment (as this dialect reads it) was bound");
      // The literal on its own is complete, holds no comment, and reads the same in place.
      const auto [own, own_closed] = lex(literal, reading);
      require(own_closed, "a literal leaves a string open");
      for (std::size_t k = 0; k < literal.size(); ++k) {
        require(own[k].region != Region::kLineComment && own[k].region != Region::kBlockComment,
                "a literal holds a comment");
        require(after[starts[i] + k] == own[k], "a literal reads differently in place");
      }
      const std::size_t end = starts[i] + literal.size();
      require(starts[i] == 0 || may_touch(bound[starts[i] - 1]), "a literal glues to the left");
      require(end == bound.size() || may_touch(bound[end]), "a literal glues to the right");
      check_round_trip(values[i], literal, reading);
    }
  }
}

// Once a gap: find_placeholders() read the statement's own '...' strings the ANSI way whatever
// the dialect, so with "backslash" (or an undeclared dialect) a statement such as  'a\', ?, '
// was bound where a backslash-escape server reads string text, and the value could end that
// string. The binder now reads them as the dialect says (and refuses a backslash in them when
// the dialect is undeclared); fuzz/known_gap_backslash_statement.bin is that input, kept as a
// seed.

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider in(data, size);
  static constexpr std::string_view kDialects[] = {"ansi", "backslash", ""};
  const std::string_view dialect = kDialects[in.ConsumeIntegralInRange<int>(0, 2)];
  const bool named = in.ConsumeBool();
  const std::string sql = in.ConsumeRandomLengthString(512);
  std::vector<Placeholder> placeholders;
  try {
    placeholders = e6data::detail::find_placeholders(sql, dialect);
  } catch (const e6data::UsageError&) {
    return 0;  // the statement is read differently by the dialects: refused, as documented
  }

  // One value per `?`, or per distinct name; a few inputs get one value too many or too few.
  std::vector<std::string> strings;
  strings.reserve(placeholders.size() + 1);
  std::vector<Value> values;               // per placeholder, in order
  e6data::detail::NamedParameters byname;  // per distinct name
  std::vector<std::size_t> value_of;       // placeholder -> index in byname
  for (const Placeholder& p : placeholders) {
    if (!named) {
      values.push_back(consume_value(in, strings));
      continue;
    }
    std::size_t v = 0;
    while (v < byname.size() && byname[v].first != p.name) ++v;
    if (v == byname.size()) byname.emplace_back(p.name, consume_value(in, strings));
    value_of.push_back(v);
  }
  bool miscounted = false;
  switch (in.ConsumeIntegralInRange<int>(0, 15)) {
    case 0:  // one too many
      miscounted = true;
      if (named) {
        byname.emplace_back("unused", std::monostate{});
      } else {
        values.push_back(consume_value(in, strings));
      }
      break;
    case 1:  // one too few
      miscounted = !placeholders.empty();
      if (named && !byname.empty()) byname.pop_back();
      if (!named && !values.empty()) values.pop_back();
      break;
    default:
      break;
  }

  std::string bound;
  try {
    bound = named ? e6data::detail::bind_named(sql, byname, dialect)
                  : e6data::detail::bind_positional(sql, values, dialect);
  } catch (const e6data::UsageError&) {
    return 0;  // refused; any other exception escapes and libFuzzer reports it
  }
  require(!miscounted, "a statement was bound with the wrong number of values");

  // The literals the binder must have written: sql_literal() accepted each value above.
  std::vector<std::string> literals;
  if (named) {
    values.clear();
    for (std::size_t i = 0; i < placeholders.size(); ++i) {
      values.push_back(byname[value_of[i]].second);
    }
  }
  for (std::size_t i = 0; i < placeholders.size(); ++i) {
    literals.push_back(e6data::detail::sql_literal(values[i], "fuzz", dialect));
  }
  check_bound(sql, bound, placeholders, literals, values, dialect);
  return 0;
}

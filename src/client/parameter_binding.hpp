#pragma once
// Client-side parameter binding: values spliced into SQL text as literals.
//
// Why: the V1 calls of the protocol carry no parameters, so a parameterised statement must be
// sent as plain text with each value written as a SQL literal. The one invariant that matters is
// that no value ever escapes its literal (SQL injection), so:
//
// - Placeholders are found by a scanner that knows the dialect's quoting: '...' strings and
//   "..." / `...` quoted identifiers (a doubled quote escapes it; backslash is NOT an escape in
//   ANSI SQL, Trino or SQLite), -- line comments and non-nested /* */ block comments.
// - Where the dialects we target disagree about where a comment ends (a lone \r ends a Trino line
//   comment but not a SQLite one; nested /* is nested in ANSI/Postgres but not in Trino/SQLite),
//   the scanner refuses the statement: a literal placed where the server sees a comment or a
//   string could end it from inside.
// - A literal is self-delimiting: strings are quoted with ' doubled and may hold neither NUL nor
//   invalid UTF-8; negative numbers are parenthesised, so `1-?` cannot become a `--` comment;
//   a space separates a literal from a neighbour it could glue to (`x?` would give the blob
//   `x'..'`, `??` the single string 'a''b').
//
// Known limitation: SQLite's [bracketed identifiers] are not understood; `[` is an array
// subscript, as in Trino. Dollar-quoted strings and backslash-escaped strings (Postgres E'..',
// MySQL) are not part of the dialect.
//
// The literal text of each value follows cursor.cpp's server-side (V2) parameters, adapted to
// literal syntax where SQL needs it (DATE '...', TIMESTAMP '... +05:30', 1.5E0 for a DOUBLE).

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "e6data/cursor.hpp"
#include "e6data/values.hpp"

namespace e6data::detail {

/// \brief Named parameters as (name, value) pairs, names without the leading ':'.
///
/// A vector rather than a map: it keeps the caller's order (errors list names in that order),
/// is cheap to build inline, and a name given twice is reported instead of silently dropped.
/// Names are case-sensitive and match `[A-Za-z_][A-Za-z0-9_]*`.
/// \warning a `std::string_view` value views the caller's storage.
using NamedParameters = e6data::NamedParameters;

/// \brief One placeholder in a statement.
struct Placeholder {
  std::size_t offset = 0;  ///< byte offset of the `?` or the `:`
  std::size_t length = 0;  ///< bytes it covers: 1 for `?`, 1 + name size for `:name`
  std::string name;        ///< the name without ':'; empty for `?`
  friend bool operator==(const Placeholder&, const Placeholder&) = default;
};

/// \brief Finds the `?` and `:name` placeholders of a statement, in order.
///
/// Only code counts: nothing inside '...' strings, "..." or `...` quoted identifiers, -- line
/// comments (to the next \n) or /* */ block comments (not nested) is a placeholder. `::` is a
/// cast, and `:name` right after an identifier character or ':' is not a placeholder (`a:b`,
/// `x:::y`). Unterminated strings and comments run to the end of the text.
/// \param sql the statement
/// \param dialect how the engine reads '...' strings: "ansi" (the default: only '' escapes),
///   "backslash" (\\ escapes the next byte too) or "" (undeclared: a string holding a backslash
///   is refused, since the two readings end it in different places)
/// \return the placeholders, by increasing offset
/// \throws UsageError when the statement is read differently by the dialects we target: a line
///   comment holding a \r that is not followed by \n, `/*` inside a block comment, or (dialect
///   undeclared) a string literal holding a backslash.
std::vector<Placeholder> find_placeholders(std::string_view sql, std::string_view dialect = "ansi");

/// \brief The SQL literal whose value is exactly `value`.
///
/// NULL; TRUE/FALSE; integers (negatives parenthesised, the minimum as `(-max - 1)` so that it
/// stays an integer); doubles as approximate numerics with the shortest round-trip digits
/// (`1.5E0`, `(-1E+16)`); strings in single quotes with ' doubled; DATE 'YYYY-MM-DD';
/// TIMESTAMP 'YYYY-MM-DD HH:MM:SS.ffffff' (UTC); TIMESTAMP '... +HH:MM' for TimestampTz (at its
/// offset; the zone name is not sent); decimals in plain notation.
/// \param value the value; a `std::string_view` is a STRING
/// \param parameter_name_for_errors how errors name the parameter, e.g. "0" or ":id"
/// \return the literal, never starting with '-' and never empty
/// \throws UsageError naming the parameter for: NaN and infinities (SQL has no literal for them);
///   strings that hold a NUL byte or are not valid UTF-8; dates and timestamps outside the years
///   0001-9999; TimestampTz offsets with a seconds part or beyond +-14:00; decimals whose
///   |scale| is above wire::kMaxDecimalScale.
/// \param dialect how the engine reads string literals: "ansi" (the default), "backslash" (\\ and
///   \\' escapes) or "" (undeclared: a string holding a backslash is refused, since it would mean
///   something else in the other dialect)
std::string sql_literal(const Value& value, std::string_view parameter_name_for_errors,
                        std::string_view dialect = "ansi");

/// \brief The statement with each `?` replaced by the literal of the next value.
/// \param sql the statement, with `?` placeholders only
/// \param values one per `?`, in order
/// \return the statement to send as text
/// \throws UsageError when the number of `?` and of values differ, when the statement has
///   `:name` placeholders, when find_placeholders() refuses it, or when sql_literal() refuses a
///   value (named by its 0-based index).
std::string bind_positional(std::string_view sql, const std::vector<Value>& values,
                            std::string_view dialect = "ansi");

/// \brief The statement with each `:name` replaced by the literal of that name's value; a name
/// may appear several times.
/// \param sql the statement, with `:name` placeholders only
/// \param values a value for every name used, and no others
/// \return the statement to send as text
/// \throws UsageError naming every placeholder without a value and every value whose name
///   appears nowhere; for a malformed or repeated name in `values`; when the statement has `?`
///   placeholders; when find_placeholders() or sql_literal() refuses.
std::string bind_named(std::string_view sql, const NamedParameters& values,
                       std::string_view dialect = "ansi");

/// \brief For server-side (V2) parameters: the statement with each `:name` rewritten to `?`, and
/// the values in the order of the `?`s (a name used twice gives its value twice).
///
/// Values are not turned into literals, so sql_literal()'s refusals do not apply here.
/// \param sql the statement, with `:name` placeholders only
/// \param values a value for every name used, and no others
/// \return the rewritten statement and its positional values
/// \throws UsageError in the same cases as bind_named(), except the value checks.
/// \warning the returned values are copies of `values`' Values: a `std::string_view` among them
///   still views the caller's storage, which must outlive their use.
std::pair<std::string, std::vector<Value>> named_to_positional(std::string_view sql,
                                                               const NamedParameters& values);

}  // namespace e6data::detail

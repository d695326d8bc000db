#pragma once
// `--param name=value`: the value's type comes from how it is written (docs/cli.md):
//   42, -7            -> integer (LONG)
//   4.2, 1e3, -0.5    -> double
//   'it''s'           -> string (quotes removed, '' is one quote)
//   null, NULL        -> NULL
//   true, false       -> boolean (any case)
//   anything else     -> the string as written (so name=alice is 'alice')

#include <deque>
#include <string>
#include <string_view>

#include "e6data/cursor.hpp"

namespace e6data::cli {

class QueryParameters {
 public:
  // Parses "name=value" and adds it. \throws UsageFailure naming the bad parameter.
  void add(std::string_view assignment);
  [[nodiscard]] bool empty() const noexcept { return values_.empty(); }
  // The parameters for Cursor::execute (`:name` placeholders); string values view this object.
  [[nodiscard]] const NamedParameters& named() const noexcept { return values_; }

 private:
  std::deque<std::string> texts_;  // stable addresses: the Values hold string_views into them
  NamedParameters values_;
};

// The Value `literal` denotes; strings view `storage`, which receives the unquoted text.
Value parse_parameter_literal(std::string_view literal, std::string& storage);

}  // namespace e6data::cli

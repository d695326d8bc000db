#pragma once
// Whether a statement only reads. Decides if a query lost in a blue-green switch may be re-run
// on the new deployment without the caller noticing: a read can run twice harmlessly; anything
// that might write cannot, so the answer errs towards "not a read".

#include <string>
#include <string_view>

namespace e6data::detail {

// True for SELECT, VALUES, SHOW, DESCRIBE/DESC, EXPLAIN and TABLE statements, and for WITH
// queries that contain no INSERT, UPDATE, DELETE or MERGE. Leading comments, blanks and
// parentheses are skipped; keywords inside literals, quoted names and comments are ignored.
bool statement_is_read(std::string_view sql);

// `sql` without trailing semicolons and blanks (e6data refuses a terminating ';').
std::string strip_trailing_semicolons(std::string_view sql);

}  // namespace e6data::detail

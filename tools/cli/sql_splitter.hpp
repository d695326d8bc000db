#pragma once
// Splits a script into statements at the semicolons that end them.

#include <string>
#include <string_view>
#include <vector>

namespace e6data::cli {

// The statements of `script`, in order, without their terminating ';' and trimmed of surrounding
// white space. A ';' ends a statement only outside '...' strings ('' is a quote inside),
// "..." and `...` identifiers, -- line comments and /* */ block comments. With
// `backslash_escapes` (E6DATA_STRING_LITERALS=backslash), \' inside a string is a quote too.
// Pieces holding only white space and comments are dropped. An unterminated string or comment
// runs to the end of the script (the server then reports the error).
std::vector<std::string> split_statements(std::string_view script, bool backslash_escapes = false);

// The length of the part of `script` that ends with its last statement-ending ';' (read as
// split_statements reads it), or 0 when no statement is complete yet: what the shell may run
// while the rest waits for more lines.
std::size_t complete_length(std::string_view script, bool backslash_escapes = false);

// True when `script` holds more than white space and comments.
bool has_code(std::string_view script, bool backslash_escapes = false);

}  // namespace e6data::cli

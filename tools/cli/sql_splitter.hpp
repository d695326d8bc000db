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

}  // namespace e6data::cli

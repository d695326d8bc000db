#pragma once
// String literal dialects of the SQL text the dev server accepts (--string-literals).
//
//   ansi       SQLite's own rule: inside '...', '' is a quote and a backslash is a backslash.
//   backslash  as MySQL, and e6data's Python connector writing its parameters: inside '...',
//              \' and '' are quotes, \\ a backslash, \n \r \t \b \Z \0 control characters,
//              \% and \_ stay as written (LIKE escapes), any other \x is x.
//
// backslash_to_ansi rewrites the backslash dialect into SQLite's: only single-quoted literals
// change; identifiers ("...", `...`, [...]) and comments are copied as they are.

#include <string>
#include <string_view>

namespace e6data::devserver {

enum class StringLiterals { kAnsi, kBackslash };

// "ansi" / "backslash"; throws std::invalid_argument otherwise.
StringLiterals parse_string_literals(const std::string& text);

// The same statement with every backslash-dialect literal written as an ANSI one. A NUL (\0)
// becomes '...' || char(0) || '...', since SQLite's SQL text ends at a NUL byte.
std::string backslash_to_ansi(std::string_view sql);

}  // namespace e6data::devserver

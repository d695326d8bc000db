#pragma once
// The users a dev server accepts. Without a users file there is one demo user, `demo` with
// access token `demo`.

#include <map>
#include <string>

namespace e6data::devserver {

class Users {
 public:
  // The demo user only.
  static Users demo();
  // One user per line: `name token` or `name:token`; blank lines and `#` comments ignored.
  // Throws std::runtime_error naming the file and line of a malformed entry.
  static Users load(const std::string& path);

  // Constant-time comparison of the token, so response timing does not leak it.
  bool check(const std::string& user, const std::string& token) const;
  std::size_t size() const { return tokens_.size(); }

 private:
  std::map<std::string, std::string> tokens_;
};

}  // namespace e6data::devserver

#include "devserver/users.hpp"

#include <fstream>
#include <stdexcept>

namespace e6data::devserver {

Users Users::demo() {
  Users users;
  users.tokens_["demo"] = "demo";
  return users;
}

Users Users::load(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot open users file " + path);
  Users users;
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
    const auto first = line.find_first_not_of(" \t");
    if (first == std::string::npos || line[first] == '#') continue;
    line.erase(0, first);
    const auto sep = line.find_first_of(" \t:");
    if (sep == std::string::npos || sep == 0 || sep + 1 >= line.size()) {
      throw std::runtime_error(path + ":" + std::to_string(number) +
                               ": expected 'name token' or 'name:token'");
    }
    const auto token_at = line.find_first_not_of(" \t:", sep);
    if (token_at == std::string::npos) {
      throw std::runtime_error(path + ":" + std::to_string(number) + ": missing token");
    }
    users.tokens_[line.substr(0, sep)] = line.substr(token_at);
  }
  if (users.tokens_.empty()) throw std::runtime_error("users file " + path + " names no user");
  return users;
}

bool Users::check(const std::string& user, const std::string& token) const {
  const auto it = tokens_.find(user);
  const std::string& expected = it == tokens_.end() ? std::string() : it->second;
  unsigned char diff = it == tokens_.end() ? 1 : 0;
  diff |= static_cast<unsigned char>(expected.size() != token.size());
  for (std::size_t i = 0; i < token.size(); ++i) {
    diff |= static_cast<unsigned char>(token[i] ^ (i < expected.size() ? expected[i] : 0));
  }
  return diff == 0;
}

}  // namespace e6data::devserver

// ConnectionOptions from `e6data://user:token@host:port/catalog/database?key=value`.
//
// Strict, unlike the environment: the URI is the caller's own text, so every problem is
// collected and thrown as one UsageError. Messages name the part that is wrong but never quote
// the user-info, host or port text: when a token contains an unencoded '/', '?' or '#', pieces
// of it end up in those parts.

#include <set>

#include "config/option_fields.hpp"
#include "config/value_parsers.hpp"
#include "e6data/errors.hpp"
#include "e6data/options.hpp"

namespace e6data {
namespace {

constexpr std::string_view kPlainScheme = "e6data";
constexpr std::string_view kSecureScheme = "e6datas";

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// RFC 3986 percent-decoding; nullopt on a '%' not followed by two hex digits. '+' stays '+':
// it means a space only in HTML forms, and tokens may contain it.
std::optional<std::string> percent_decode(std::string_view text) {
  std::string decoded;
  decoded.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      decoded += text[i];
      continue;
    }
    if (i + 2 >= text.size()) return std::nullopt;
    const int high = hex_digit(text[i + 1]);
    const int low = hex_digit(text[i + 2]);
    if (high < 0 || low < 0) return std::nullopt;
    decoded += static_cast<char>(high * 16 + low);
    i += 2;
  }
  return decoded;
}

std::vector<std::string_view> split(std::string_view text, char separator) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  while (true) {
    const auto end = text.find(separator, start);
    parts.push_back(text.substr(start, end == std::string_view::npos ? end : end - start));
    if (end == std::string_view::npos) return parts;
    start = end + 1;
  }
}

// Parses the text between "://" and the path: [user[:token]@]host[:port].
void parse_authority(std::string_view authority, ConnectionOptions& options,
                     std::vector<std::string>& problems) {
  std::string_view host_port = authority;
  // The last '@' ends the user-info, so a token with an unencoded '@' still parses.
  if (const auto at = authority.rfind('@'); at != std::string_view::npos) {
    const std::string_view user_info = authority.substr(0, at);
    host_port = authority.substr(at + 1);
    const auto colon = user_info.find(':');
    if (auto user = percent_decode(user_info.substr(0, colon))) {
      options.username = std::move(*user);
    } else {
      problems.emplace_back("the user name has a bad percent-escape");
    }
    if (colon != std::string_view::npos) {
      if (auto token = percent_decode(user_info.substr(colon + 1))) {
        options.password = std::move(*token);
      } else {
        problems.emplace_back("the token has a bad percent-escape (the token is not shown)");
      }
    }
  }

  std::string_view host;
  std::optional<std::string_view> port;
  if (host_port.starts_with('[')) {
    const auto close = host_port.find(']');
    if (close == std::string_view::npos) {
      problems.emplace_back("the IPv6 address has no closing ']'");
      return;
    }
    host = host_port.substr(1, close - 1);
    const std::string_view after = host_port.substr(close + 1);
    if (after.starts_with(':')) {
      port = after.substr(1);
    } else if (!after.empty()) {
      problems.emplace_back("unexpected text after the IPv6 address (expected ':port')");
    }
    if (host.find(':') == std::string_view::npos ||
        host.find_first_not_of("0123456789abcdefABCDEF:.") != std::string_view::npos) {
      problems.emplace_back("the host in brackets is not an IPv6 address");
    }
  } else {
    const auto colon = host_port.find(':');
    host = host_port.substr(0, colon);
    if (colon != std::string_view::npos) {
      if (host_port.find(':', colon + 1) != std::string_view::npos) {
        problems.emplace_back("IPv6 addresses must be in brackets, e.g. e6data://[::1]:50051");
        return;
      }
      port = host_port.substr(colon + 1);
    }
    if (!host.empty()) {
      if (auto problem = config::find_field("host")->check(host)) {
        problems.push_back("the host " + *problem);
      }
    }
  }
  if (host.empty()) {
    problems.emplace_back("the host is missing");
  } else {
    options.host = std::string(host);
  }

  if (port) {
    const config::IntegerText number = config::parse_integer(*port);
    const bool digits_only =
        !port->empty() && port->find_first_not_of("0123456789") == std::string_view::npos;
    if (!digits_only || number.status != config::IntegerText::Status::kOk || number.value < 1 ||
        number.value > 65535) {
      problems.emplace_back(port->empty() ? "the port is empty after ':'"
                                          : "the port must be a number from 1 to 65535");
    } else {
      options.port = static_cast<int>(number.value);
    }
  }
}

// Parses "/catalog/database": segments are positional, trailing slashes are ignored.
void parse_path(std::string_view path, ConnectionOptions& options,
                std::vector<std::string>& problems) {
  if (path.empty()) return;
  std::vector<std::string_view> segments = split(path.substr(1), '/');
  while (!segments.empty() && segments.back().empty()) segments.pop_back();
  if (segments.size() > 2) {
    problems.emplace_back("the path has more than /catalog/database");
    return;
  }
  if (!segments.empty()) {
    if (auto catalog = percent_decode(segments[0])) {
      options.catalog = std::move(*catalog);
    } else {
      problems.emplace_back("the catalog has a bad percent-escape");
    }
  }
  if (segments.size() == 2) {
    if (auto database = percent_decode(segments[1])) {
      options.database = std::move(*database);
    } else {
      problems.emplace_back("the database has a bad percent-escape");
    }
  }
}

void parse_query(std::string_view query, bool secure_scheme, ConnectionOptions& options,
                 std::vector<std::string>& problems) {
  std::set<std::string_view> seen;  // field paths, so aliases count as repeats too
  for (std::string_view pair : split(query, '&')) {
    if (pair.empty()) continue;  // "a=1&&b=2" and a trailing '&' are harmless
    const auto equals = pair.find('=');
    const auto key = percent_decode(pair.substr(0, equals));
    if (!key) {
      problems.emplace_back("a query key has a bad percent-escape");
      continue;
    }
    const config::OptionField* field = config::find_uri_field(*key);
    if (field == nullptr) {
      problems.push_back("unknown query parameter " + config::quote(*key) +
                         " (host, port, user, token, catalog and database go in the URI itself)");
      continue;
    }
    // A known key is plain ASCII, safe to show as written.
    const std::string& shown_key = *key;
    if (equals == std::string_view::npos) {
      problems.push_back("query parameter " + shown_key + " has no value");
      continue;
    }
    if (!seen.insert(field->path).second) {
      problems.push_back("query parameter " + shown_key + " repeats " + std::string(field->path) +
                         ", which is already set");
      continue;
    }
    const auto value = percent_decode(pair.substr(equals + 1));
    if (!value) {
      problems.push_back("the value of query parameter " + shown_key + " has a bad percent-escape");
      continue;
    }
    const config::ParsedField parsed = config::parse_field(*field, *value);
    if (parsed.status != config::ParsedField::Status::kOk) {
      problems.push_back("query parameter " + shown_key + "=" + config::quote(*value) + " " +
                         parsed.problem);
      continue;
    }
    if (secure_scheme && field->path == "secure" && !std::get<bool>(parsed.value)) {
      problems.emplace_back("query parameter secure is false but the scheme is e6datas://");
      continue;
    }
    field->set(options, parsed.value);
  }
}

}  // namespace

ConnectionOptions ConnectionOptions::from_uri(std::string_view uri) {
  constexpr std::string_view kSeparator = "://";
  const auto scheme_end = uri.find(kSeparator);
  const std::string scheme = scheme_end == std::string_view::npos
                                 ? std::string()
                                 : config::to_lower(uri.substr(0, scheme_end));
  if (scheme != kPlainScheme && scheme != kSecureScheme) {
    // Not quoting the URI: it may hold a token.
    throw UsageError("invalid e6data URI: it must start with e6data:// or e6datas://");
  }

  ConnectionOptions options;
  options.secure = scheme == kSecureScheme;
  std::vector<std::string> problems;

  std::string_view rest = uri.substr(scheme_end + kSeparator.size());
  // An '@' only after the first '/', '?' or '#' means the user-info was cut short by one of them:
  // almost surely an unencoded delimiter in the token. Parsing on would put pieces of the token
  // into the path or query, and from there into messages.
  const std::string_view first_authority = rest.substr(0, rest.find_first_of("/?#"));
  if (first_authority.find('@') == std::string_view::npos &&
      rest.find('@') != std::string_view::npos) {
    throw UsageError(
        "invalid e6data URI: the user name or token contains an unencoded '/', '?' or '#'; "
        "percent-encode them as %2F, %3F and %23");
  }
  if (const auto hash = rest.find('#'); hash != std::string_view::npos) {
    problems.emplace_back("the URI has a '#' (percent-encode it as %23 in a token)");
    rest = rest.substr(0, hash);
  }
  const auto authority_end = rest.find_first_of("/?");
  const std::string_view authority = rest.substr(0, authority_end);
  const std::string_view tail =
      authority_end == std::string_view::npos ? std::string_view() : rest.substr(authority_end);
  const auto question = tail.find('?');
  const std::string_view path = tail.substr(0, question);
  const std::string_view query =
      question == std::string_view::npos ? std::string_view() : tail.substr(question + 1);

  parse_authority(authority, options, problems);
  parse_path(path, options, problems);
  parse_query(query, options.secure, options, problems);

  if (!problems.empty()) {
    std::string message = "invalid e6data URI: ";
    for (std::size_t i = 0; i < problems.size(); ++i) {
      if (i > 0) message += "; ";
      message += problems[i];
    }
    throw UsageError(message);
  }
  return options;
}

}  // namespace e6data

// ConnectionOptions as a value: validate() and the printer. Reading options from a URI is in
// uri.cpp and from the environment in environment.cpp.

#include "e6data/options.hpp"

#include <filesystem>
#include <ostream>
#include <sstream>
#include <system_error>

#include "config/option_fields.hpp"

namespace e6data {
namespace {

bool looks_like_pem(std::string_view text) {
  // Certificates pasted from files often start with a blank line or indentation.
  const auto first = text.find_first_not_of(" \t\r\n");
  return first != std::string_view::npos && text.substr(first).starts_with("-----BEGIN");
}

bool is_existing_file(const std::string& path) {
  std::error_code error;  // unreadable or odd paths count as missing; never throw from validate
  return std::filesystem::is_regular_file(path, error);
}

}  // namespace

std::string_view to_string(LogLevel level) noexcept {
  switch (level) {
    case LogLevel::kTrace:
      return "TRACE";
    case LogLevel::kDebug:
      return "DEBUG";
    case LogLevel::kInfo:
      return "INFO";
    case LogLevel::kWarning:
      return "WARNING";
    case LogLevel::kError:
      return "ERROR";
    case LogLevel::kCritical:
      return "CRITICAL";
    case LogLevel::kOff:
      return "OFF";
  }
  return "UNKNOWN";
}

std::string_view to_string(LogFormat format) noexcept {
  switch (format) {
    case LogFormat::kText:
      return "text";
    case LogFormat::kJson:
      return "json";
  }
  return "unknown";
}

std::vector<std::string> ConnectionOptions::validate() const {
  std::vector<std::string> problems;
  if (host.empty()) problems.emplace_back("host is required");
  if (username.empty()) problems.emplace_back("username is required");
  if (password.empty()) problems.emplace_back("password (the access token) is required");

  for (const config::OptionField& field : config::option_fields()) {
    // value_problem() never quotes a text value, so the password cannot leak through here.
    if (auto problem = config::value_problem(field, field.get(*this))) {
      problems.push_back(std::string(field.path) + " " + *problem);
    }
  }

  if (logging.output.empty()) {
    problems.emplace_back("logging.output is empty (use stdout, stderr or a file path)");
  }
  if (pool.min_connections > pool.max_connections) {
    problems.push_back("pool.min_connections (" + std::to_string(pool.min_connections) +
                       ") is greater than pool.max_connections (" +
                       std::to_string(pool.max_connections) + ")");
  }
  if (!ca_certificate.empty()) {
    if (!secure) {
      // Without TLS the certificate would be silently ignored, which hides a mistake.
      problems.emplace_back("ca_certificate is set but secure is false");
    } else if (!looks_like_pem(ca_certificate) && !is_existing_file(ca_certificate)) {
      problems.emplace_back(
          "ca_certificate is neither an existing file nor PEM text starting with \"-----BEGIN\"");
    }
  }
  return problems;
}

std::ostream& operator<<(std::ostream& out, const ConnectionOptions& options) {
  out << "ConnectionOptions{";
  bool first = true;
  for (const config::OptionField& field : config::option_fields()) {
    if (!first) out << ", ";
    first = false;
    out << field.path << '=';
    const config::FieldValue value = field.get(options);
    if (field.secret) {
      out << (std::get<std::string>(value).empty() ? "(none)" : "***");
    } else if (field.path == "ca_certificate" && looks_like_pem(options.ca_certificate)) {
      // A whole certificate would swamp the line; its size is enough to recognise it.
      out << "(PEM, " << options.ca_certificate.size() << " bytes)";
    } else {
      out << config::format_value(field, value);
    }
  }
  return out << '}';
}

std::string to_string(const ConnectionOptions& options) {
  std::ostringstream out;
  out << options;
  return out.str();
}

}  // namespace e6data

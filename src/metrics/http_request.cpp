#include "metrics/http_request.hpp"

namespace e6data::metrics {
namespace {

const char* reason(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 400:
      return "Bad Request";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 408:
      return "Request Timeout";
    case 431:
      return "Request Header Fields Too Large";
    default:
      return "Error";
  }
}

}  // namespace

bool request_complete(std::string_view received) noexcept {
  return received.find("\r\n\r\n") != std::string_view::npos;
}

HttpAnswer answer_for(std::string_view request) {
  const auto line_end = request.find("\r\n");
  if (line_end == std::string_view::npos) return {400, true};
  const std::string_view line = request.substr(0, line_end);
  // request-line = method SP request-target SP HTTP-version (RFC 9112 §3): exactly two spaces.
  const auto first = line.find(' ');
  const auto second = first == std::string_view::npos ? first : line.find(' ', first + 1);
  if (second == std::string_view::npos || line.find(' ', second + 1) != std::string_view::npos) {
    return {400, true};
  }
  const std::string_view method = line.substr(0, first);
  const std::string_view target = line.substr(first + 1, second - first - 1);
  const std::string_view version = line.substr(second + 1);
  if (version != "HTTP/1.1" && version != "HTTP/1.0") return {400, true};
  if (method != "GET" && method != "HEAD") return {405, true};
  const std::string_view path = target.substr(0, target.find('?'));
  if (path != "/metrics") return {404, method == "GET"};
  return {200, method == "GET"};
}

std::string http_response(const HttpAnswer& answer, std::string_view body) {
  std::string text;
  if (answer.status == 200) {
    text = body;
  } else {
    text = std::string(reason(answer.status)) + "\n";
  }
  std::string out =
      "HTTP/1.1 " + std::to_string(answer.status) + " " + reason(answer.status) + "\r\n";
  out += answer.status == 200 ? "Content-Type: text/plain; version=0.0.4; charset=utf-8\r\n"
                              : "Content-Type: text/plain; charset=utf-8\r\n";
  if (answer.status == 405) out += "Allow: GET, HEAD\r\n";
  out += "Content-Length: " + std::to_string(text.size()) + "\r\n";
  out += "Connection: close\r\n\r\n";
  if (answer.with_body) out += text;
  return out;
}

}  // namespace e6data::metrics

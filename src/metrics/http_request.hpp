#pragma once
// The one decision of the metrics endpoint that needs no socket: what to answer to the bytes of a
// request. Kept apart so that unit tests check it without a network.

#include <cstddef>
#include <string>
#include <string_view>

namespace e6data::metrics {

struct HttpAnswer {
  int status = 200;
  bool with_body = true;  // false for HEAD: headers only
};

// True when `received` holds a whole request head (ends its headers with an empty line).
bool request_complete(std::string_view received) noexcept;

// The answer to a complete request head: 200 for GET or HEAD of /metrics (any query string), 404
// for another path, 405 for another method, 400 for a malformed request line or version.
HttpAnswer answer_for(std::string_view request);

// The whole response: status line, headers (Content-Type for the text format, Content-Length,
// Connection: close) and `body` unless the answer has none.
std::string http_response(const HttpAnswer& answer, std::string_view body);

}  // namespace e6data::metrics

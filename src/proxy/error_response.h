#pragma once
// The responses fulcrum writes itself: errors (each with a short plain-text body, and the
// connection closed after them) and the interim 100 Continue.
#include "base/buffer.h"

namespace fulcrum::proxy {

// Appends a complete error response for status (400, 408, 414, 431, 502, 503, 504, 505, ...),
// with "Connection: close".
void write_error_response(int status, base::Buffer& out);

inline constexpr std::string_view k100Continue = "HTTP/1.1 100 Continue\r\n\r\n";

}  // namespace fulcrum::proxy

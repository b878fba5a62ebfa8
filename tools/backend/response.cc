#include "response.h"

#include <array>

#include "http/status.h"

namespace fulcrum::backend {

void append_head(base::Buffer& out, int status, std::string_view content_type, BodyFraming framing,
                 uint64_t length, Persistence persistence) {
  out.append("HTTP/1.1 ");
  out.append_decimal(static_cast<unsigned long long>(status));
  out.append(' ');
  out.append(http::reason_phrase(status));
  out.append("\r\n");
  if (!content_type.empty()) {
    out.append("Content-Type: ");
    out.append(content_type);
    out.append("\r\n");
  }
  if (framing == BodyFraming::kContentLength) {
    out.append("Content-Length: ");
    out.append_decimal(length);
    out.append("\r\n");
  } else if (framing == BodyFraming::kChunked) {
    out.append("Transfer-Encoding: chunked\r\n");
  }
  if (persistence == Persistence::kClose) {
    out.append("Connection: close\r\n");
  } else if (persistence == Persistence::kKeepAlive10) {
    out.append("Connection: keep-alive\r\n");
  }
  out.append("\r\n");
}

const char* pattern_at(uint64_t offset) {
  // 26 bytes more than a run, so that a run may start at any phase of the alphabet.
  static const auto pattern = [] {
    std::array<char, kPatternRun + 26> p{};
    for (size_t i = 0; i < p.size(); ++i) p[i] = static_cast<char>('a' + i % 26);
    return p;
  }();
  return pattern.data() + offset % 26;
}

}  // namespace fulcrum::backend

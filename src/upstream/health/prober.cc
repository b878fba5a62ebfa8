#include "upstream/health/prober.h"

#include <cerrno>

#include "base/buffer.h"
#include "http/response_parser.h"
#include "net/socket.h"

namespace fulcrum::upstream {

base::Task<const char*> probe(io::Loop& loop, const Backend& backend, const http::Limits& limits) {
  const config::HealthCheck& check = backend.check;
  const io::TimePoint deadline = loop.now() + check.timeout;
  int fd = net::connecting_socket(backend.address);
  if (net::out_of_sockets(fd)) co_return kProbeNotRun;
  if (fd < 0) co_return "probe: no socket";
  int r = co_await loop.connect(fd, backend.address.sa(), backend.address.len, deadline);
  if (r < 0) {
    loop.close(fd);
    co_return r == -ETIMEDOUT ? "probe: connect timeout" : "probe: connect failed";
  }
  base::Buffer buf;
  buf.append("GET ");
  buf.append(check.path);
  buf.append(" HTTP/1.1\r\nHost: ");
  buf.append(backend.name);
  buf.append("\r\nUser-Agent: fulcrum-health-check\r\nConnection: close\r\n\r\n");
  r = co_await loop.send(fd, buf.data(), buf.size(), deadline);
  const char* failure = nullptr;
  if (r < 0) failure = "probe: send failed";
  buf.clear();
  http::ResponseParser parser(limits);
  http::ResponseHead head;
  while (!failure) {
    buf.reserve(4096);
    int n = co_await loop.recv(fd, buf.write_ptr(), buf.writable(), deadline);
    if (n <= 0) {
      failure = n == -ETIMEDOUT ? "probe: timeout" : "probe: no response";
      break;
    }
    buf.commit(static_cast<size_t>(n));
    http::ParseStatus status = parser.parse(buf.data(), buf.size(), head, false);
    if (status == http::ParseStatus::kError) failure = "probe: malformed response";
    if (status != http::ParseStatus::kComplete) continue;
    if (!config::in_ranges(check.expected_status, head.status)) {
      failure = "probe: unexpected status";
    }
    break;
  }
  loop.close(fd);
  co_return failure;
}

}  // namespace fulcrum::upstream

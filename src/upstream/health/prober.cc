#include "upstream/health/prober.h"

#include <cerrno>

#include "base/buffer.h"
#include "http/response_parser.h"
#include "net/socket.h"

namespace fulcrum::upstream {

Prober::Prober(io::Loop& loop, BackendSet& backends, const config::HealthCheck& check,
               uint64_t seed)
    : loop_(loop), backends_(backends), check_(check), random_(seed) {}

void Prober::start(base::TaskGroup& tasks) {
  for (size_t i = 0; i < backends_.size(); ++i) tasks.start(probe_forever(i));
}

base::Task<void> Prober::probe_forever(size_t i) {
  for (;;) {
    auto interval = std::chrono::duration_cast<io::Duration>(check_.interval);
    auto jitter = interval / 10;
    auto wait = interval - jitter / 2 +
                io::Duration(static_cast<io::Duration::rep>(
                    random_.below(static_cast<uint64_t>(jitter.count()) + 1)));
    co_await loop_.sleep(wait);
    Backend& backend = backends_[i];
    const char* failure = co_await probe(backend);
    record_outcome(backend, failure == nullptr, loop_.now(), failure ? failure : "probe passed");
  }
}

base::Task<const char*> Prober::probe(Backend& backend) {
  const io::TimePoint deadline = loop_.now() + check_.timeout;
  int fd = net::connecting_socket(backend.address);
  if (fd < 0) co_return "probe: no socket";
  int r = co_await loop_.connect(fd, backend.address.sa(), backend.address.len, deadline);
  if (r < 0) {
    loop_.close(fd);
    co_return r == -ETIMEDOUT ? "probe: connect timeout" : "probe: connect failed";
  }
  base::Buffer buf;
  buf.append("GET ");
  buf.append(check_.path);
  buf.append(" HTTP/1.1\r\nHost: ");
  buf.append(backend.name);
  buf.append("\r\nUser-Agent: fulcrum-health-check\r\nConnection: close\r\n\r\n");
  r = co_await loop_.send(fd, buf.data(), buf.size(), deadline);
  const char* failure = nullptr;
  if (r < 0) failure = "probe: send failed";
  buf.clear();
  http::ResponseParser parser;
  http::ResponseHead head;
  while (!failure) {
    buf.reserve(4096);
    int n = co_await loop_.recv(fd, buf.write_ptr(), buf.writable(), deadline);
    if (n <= 0) {
      failure = n == -ETIMEDOUT ? "probe: timeout" : "probe: no response";
      break;
    }
    buf.commit(static_cast<size_t>(n));
    http::ParseStatus status = parser.parse(buf.data(), buf.size(), head, false);
    if (status == http::ParseStatus::kError) failure = "probe: malformed response";
    if (status != http::ParseStatus::kComplete) continue;
    if (!config::in_ranges(check_.expected_status, head.status)) failure = "probe: unexpected status";
    break;
  }
  loop_.close(fd);
  co_return failure;
}

}  // namespace fulcrum::upstream

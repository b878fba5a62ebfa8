#include "connection.h"

#include <sys/socket.h>

#include <algorithm>
#include <chrono>
#include <optional>
#include <string_view>

#include "echo.h"
#include "http/status.h"

namespace fulcrum::backend {

namespace {

constexpr size_t kReadBuffer = 64 * 1024;  // also the largest read of a body
// Roomier than any proxy in front of it forwards (fulcrum adds X-Forwarded-* and Via to what it
// accepted), so that a limit test of the proxy is never answered by the backend instead.
constexpr http::Limits kLimits{
    .max_request_line = 64 * 1024, .max_header_bytes = 256 * 1024, .max_headers = 1000};
constexpr size_t kMinRead = 16 * 1024;
// How long a closing connection may still deliver bytes we discard: closing with unread bytes
// would send a reset, which can destroy the answer before the client has read it.
constexpr auto kLingerTime = std::chrono::seconds(2);
constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";

bool has_body(const http::RequestHead& head) {
  return head.framing == http::Framing::kChunked ||
         (head.framing == http::Framing::kContentLength && head.content_length > 0);
}

bool echoes(RouteKind kind) {
  switch (kind) {
    case RouteKind::kEcho:
    case RouteKind::kStatus:
    case RouteKind::kDelay:
    case RouteKind::kClose:
    case RouteKind::kInvalid:
      return true;
    default:
      return false;
  }
}

bool status_has_body(int status) { return status != 204 && status != 304; }

void append_hex(base::Buffer& out, uint64_t v) {
  char tmp[16];
  char* p = tmp + sizeof tmp;
  do {
    *--p = "0123456789abcdef"[v & 0xf];
    v >>= 4;
  } while (v);
  out.append(p, static_cast<size_t>(tmp + sizeof tmp - p));
}

}  // namespace

Connection::Connection(io::Loop& loop, int fd, const ServerConfig& config, Stats& stats)
    : loop_(loop), fd_(fd), config_(config), stats_(stats), parser_(kLimits), in_(kReadBuffer) {}

base::Task<void> Connection::serve() {
  // Throughout this file an awaited value is named before it is tested: GCC 12.2 miscompiles
  // some coroutines that co_await inside an if or switch condition (resuming one jumps to a null
  // address).
  const End end = co_await serve_requests();
  switch (end) {
    case End::kAbort:
      loop_.close(fd_);
      break;
    case End::kClose:
      co_await close_gracefully();
      break;
    case End::kReset:
      reset();
      break;
    case End::kHang:
      co_await wait_for_client_to_leave();
      break;
  }
}

base::Task<Connection::End> Connection::serve_requests() {
  for (;;) {
    // What is left in in_ after the previous request is the start of the next (pipelining).
    parser_.reset();
    http::ParseStatus status;
    while ((status = parser_.parse(in_.data(), in_.size(), head_)) ==
           http::ParseStatus::kIncomplete) {
      const bool filled = co_await fill();
      if (!filled) co_return End::kAbort;
    }
    if (status == http::ParseStatus::kError) {
      co_await answer_error(parser_.error_status());
      co_return End::kClose;
    }
    ++stats_.requests;
    const Route route = route_for(head_.target.in(in_.data()));
    if (route.kind == RouteKind::kReset) co_return End::kReset;
    const bool echo = echoes(route.kind);
    // The head's slices point into in_, which reading the body overwrites.
    if (echo) begin_echo(json_, config_.id_json, head_, in_.data());
    in_.consume(head_.head_size);

    if (head_.expect_continue && has_body(head_)) {
      const int sent = co_await loop_.send(fd_, kContinue.data(), kContinue.size());
      if (sent < 0) co_return End::kAbort;
    }
    const BodyResult body = co_await read_body(echo);
    switch (body) {
      case BodyResult::kOk:
        break;
      case BodyResult::kEof:
        co_return End::kAbort;
      case BodyResult::kMalformed:
        co_await answer_error(400);
        co_return End::kClose;
    }
    if (route.kind == RouteKind::kHang) co_return End::kHang;
    if (route.kind == RouteKind::kDelay) {
      co_await loop_.sleep(std::chrono::milliseconds(route.number));
    }
    // An HTTP/1.0 client cannot take a chunked body: it gets the bytes up to our close.
    const bool close = !head_.keep_alive || route.kind == RouteKind::kClose ||
                       (route.kind == RouteKind::kChunked && head_.version_minor == 0);
    const bool answered = co_await respond(route, close);
    if (!answered) co_return End::kAbort;
    if (close) co_return End::kClose;
  }
}

base::Task<bool> Connection::fill() {
  if (in_.writable() < kMinRead) in_.reserve(kMinRead);
  int n = co_await loop_.recv(fd_, in_.write_ptr(), in_.writable());
  if (n <= 0) co_return false;
  in_.commit(static_cast<size_t>(n));
  co_return true;
}

// Takes the body out of in_ whatever its size, keeping at most kMaxEchoedBody bytes of it, so
// that memory stays flat however much a client uploads.
base::Task<Connection::BodyResult> Connection::read_body(bool keep) {
  body_.clear();
  body_length_ = 0;
  body_kept_ = keep;
  if (head_.framing == http::Framing::kContentLength) {
    uint64_t remaining = head_.content_length;
    while (remaining > 0) {
      if (in_.empty()) {
        const bool filled = co_await fill();
        if (!filled) co_return BodyResult::kEof;
      }
      size_t take = static_cast<size_t>(std::min<uint64_t>(remaining, in_.size()));
      absorb(in_.data(), take);
      in_.consume(take);
      remaining -= take;
    }
  } else if (head_.framing == http::Framing::kChunked) {
    decoder_.reset();
    while (!decoder_.done()) {
      if (in_.empty()) {
        const bool filled = co_await fill();
        if (!filled) co_return BodyResult::kEof;
      }
      http::ChunkedDecoder::Step step = decoder_.next(in_.data(), in_.size());
      if (step.data_len > 0) absorb(step.data, step.data_len);
      in_.consume(step.consumed);
      if (decoder_.error() || (step.consumed == 0 && !decoder_.done())) {
        co_return BodyResult::kMalformed;
      }
    }
  }
  co_return BodyResult::kOk;
}

void Connection::absorb(const char* p, size_t n) {
  body_length_ += n;
  if (!body_kept_) return;
  if (body_.size() + n > kMaxEchoedBody) {
    body_kept_ = false;
    body_.clear();
    return;
  }
  body_.append(p, n);
}

base::Task<bool> Connection::respond(Route route, bool close) {
  const Persistence persistence = close                      ? Persistence::kClose
                                  : head_.version_minor == 0 ? Persistence::kKeepAlive10
                                                             : Persistence::kKeepAlive;
  int status = 200;
  if (route.kind == RouteKind::kStatus) status = static_cast<int>(route.number);
  if (route.kind == RouteKind::kInvalid) status = 400;
  if (config_.forced_status != 0 && route.kind != RouteKind::kStats) {
    status = config_.forced_status;
  }
  const bool bodyless = head_.method == http::Method::kHead || !status_has_body(status);
  const BodyFraming framing =
      status_has_body(status) ? BodyFraming::kContentLength : BodyFraming::kNone;

  switch (route.kind) {
    case RouteKind::kBytes: {
      const bool sent = co_await send_pattern(status, route.number, framing, bodyless, persistence);
      co_return sent;
    }
    case RouteKind::kChunked: {
      // HTTP/1.0 knows no chunked coding: its body ends with the connection (see `close`).
      const bool sent = co_await send_pattern(
          status, route.number,
          framing == BodyFraming::kNone || head_.version_minor == 0 ? BodyFraming::kNone
                                                                    : BodyFraming::kChunked,
          bodyless, persistence);
      co_return sent;
    }
    case RouteKind::kHealth:
      json_.clear();
      json_.append("ok");
      break;
    case RouteKind::kStats:
      json_.clear();
      json_.append("{\"connections\": ");
      json_.append_decimal(stats_.connections);
      json_.append(", \"requests\": ");
      json_.append_decimal(stats_.requests);
      json_.append('}');
      break;
    default:
      finish_echo(json_, body_length_,
                  body_kept_ ? std::optional<std::string_view>(body_.view()) : std::nullopt);
      break;
  }
  out_.clear();
  append_head(out_, status, route.kind == RouteKind::kHealth ? "text/plain" : "application/json",
              framing, json_.size(), persistence);
  if (!bodyless) out_.append(json_.view());
  const bool sent = co_await send_out();
  co_return sent;
}

// Streams n pattern bytes from static memory, run by run, so that any n costs no more memory
// than one run. The first run travels with the head: small bodies take one send.
base::Task<bool> Connection::send_pattern(int status, uint64_t n, BodyFraming framing,
                                          bool bodyless, Persistence persistence) {
  const bool chunked = framing == BodyFraming::kChunked;
  out_.clear();
  append_head(out_, status, "application/octet-stream", framing, n, persistence);
  if (bodyless) {
    const bool head_sent = co_await send_out();
    co_return head_sent;
  }
  uint64_t sent = 0;
  do {
    const size_t run = static_cast<size_t>(std::min<uint64_t>(n - sent, kPatternRun));
    if (run > 0 && chunked) {
      append_hex(out_, run);
      out_.append("\r\n");
    }
    if (out_.empty() && !chunked) {
      // Past the first run, plain bytes go straight from the pattern: no copy at all.
      const int rc = co_await loop_.send(fd_, pattern_at(sent), run);
      if (rc < 0) co_return false;
    } else {
      out_.append(pattern_at(sent), run);
      if (run > 0 && chunked) out_.append("\r\n");
      if (sent + run == n && chunked) out_.append("0\r\n\r\n");
      const bool run_sent = co_await send_out();
      if (!run_sent) co_return false;
    }
    sent += run;
  } while (sent < n);
  co_return true;
}

base::Task<bool> Connection::send_out() {
  int n = co_await loop_.send(fd_, out_.data(), out_.size());
  out_.clear();
  co_return n >= 0;
}

base::Task<void> Connection::answer_error(int status) {
  std::string_view reason = http::reason_phrase(status);
  out_.clear();
  append_head(out_, status, "text/plain", BodyFraming::kContentLength, reason.size() + 1,
              Persistence::kClose);
  out_.append(reason);
  out_.append('\n');
  co_await send_out();
}

base::Task<void> Connection::close_gracefully() {
  ::shutdown(fd_, SHUT_WR);
  const io::TimePoint deadline = loop_.now() + kLingerTime;
  int n;
  do {
    in_.clear();
    n = co_await loop_.recv(fd_, in_.write_ptr(), in_.writable(), deadline);
  } while (n > 0);
  loop_.close(fd_);
}

base::Task<void> Connection::wait_for_client_to_leave() {
  int n;
  do {
    in_.clear();
    n = co_await loop_.recv(fd_, in_.write_ptr(), in_.writable());
  } while (n > 0);
  loop_.close(fd_);
}

void Connection::reset() {
  // A zero linger time makes close() abort the connection with RST instead of FIN.
  linger no_linger{1, 0};
  ::setsockopt(fd_, SOL_SOCKET, SO_LINGER, &no_linger, sizeof no_linger);
  loop_.close(fd_);
}

}  // namespace fulcrum::backend

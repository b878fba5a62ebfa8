#include "proxy/client_session.h"

#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <optional>

#include "base/log.h"
#include "http/forward.h"
#include "net/socket.h"
#include "proxy/balance_key.h"
#include "proxy/error_response.h"
#include "proxy/relay.h"
#include "upstream/stats.h"

namespace fulcrum::proxy {

namespace {
constexpr size_t kReadSize = 32 * 1024;
// Most request heads are well under this; a larger one grows the buffer as it arrives.
constexpr size_t kHeadReadSize = 4 * 1024;
// Body bytes that arrived with a head go with it, in one send: one system call (and one packet)
// instead of two for most small messages. When the head cannot go in front of them, they are
// copied after it, up to this much.
constexpr size_t kCoalesceMax = 32 * 1024;
// A request body up to this size (with Content-Length) is kept whole, so that the request can
// be retried on another backend.
constexpr uint64_t kKeptBodyMax = 64 * 1024;
constexpr auto kLingerTime = std::chrono::seconds(5);
constexpr uint64_t kLingerMaxBytes = 64 * 1024 * 1024;
constexpr size_t kRequestIdSize = 32;
// The most of a request line the access log keeps.
constexpr size_t kLoggedLineMax = 4 * 1024;
// A request that cannot be sent again goes only on a pooled connection idle for less than this:
// a backend closes idle keep-alive connections after a timeout of its own (2 s in gunicorn, 5 s in
// Node.js, Apache and uvicorn, more elsewhere), and one that closes just as such a request comes
// in would fail it with a 502. Connecting costs far less than that.
constexpr auto kUnsafeReuseAge = std::chrono::seconds(1);

// A request id as nginx's $request_id: 32 hex digits, 128 random bits.
std::string_view make_request_id(upstream::FastRandom& random, char (&out)[kRequestIdSize]) {
  static constexpr char kHex[] = "0123456789abcdef";
  for (size_t i = 0; i < kRequestIdSize; i += 16) {
    uint64_t bits = random.next();
    for (size_t j = 0; j < 16; ++j, bits >>= 4) out[i + j] = kHex[bits & 0xf];
  }
  return {out, kRequestIdSize};
}

// RFC 9110 §9.2.2.
bool is_idempotent(http::Method m) {
  switch (m) {
    case http::Method::kGet:
    case http::Method::kHead:
    case http::Method::kPut:
    case http::Method::kDelete:
    case http::Method::kOptions:
    case http::Method::kTrace:
      return true;
    default:
      return false;
  }
}

// The bytes of one send: the first `size` readable bytes of `in`, which are to be consumed once
// sent.
struct Run {
  base::Buffer& in;
  size_t size;
};

// The head in `head` and the start of a Content-Length body in `from` (what came with the head)
// made one run, so that one send takes both. The head goes in front of those body bytes, into the
// room the received head left (it usually fits: the forwarded head is the received one less a
// field or two), which saves copying the body; else the body bytes are copied after the head. Sets
// *rest to the body bytes left to relay (0 for other framings, whose bodies relay_body() does not
// count).
Run coalesce_body(base::Buffer& from, http::Framing framing, uint64_t length, base::Buffer& head,
                  uint64_t* rest) {
  *rest = 0;
  if (framing != http::Framing::kContentLength) return {head, head.size()};
  size_t take = static_cast<size_t>(std::min<uint64_t>(from.size(), length));
  *rest = length - take;
  if (from.prepend(head.data(), head.size())) return {from, head.size() + take};
  if (take > kCoalesceMax) {
    *rest = length;
    return {head, head.size()};
  }
  head.append(from.data(), take);
  from.consume(take);
  return {head, head.size()};
}

// Waits for the end of an upload.
struct UploadEnd {
  Upload& u;
  bool await_ready() const noexcept { return !u.running; }
  void await_suspend(std::coroutine_handle<> h) noexcept { u.joiner = h; }
  void await_resume() const noexcept {}
};
}  // namespace

void ClientSession::start(ProxyContext& ctx, int fd) {
  auto* session = new ClientSession(ctx, fd);
  if (!session->wait_idle()) on_ready(session);
}

bool ClientSession::wait_idle() {
  in_.release();
  const config::Timeouts& t = ctx_.config().timeouts;
  // The first request of a connection gets the head timeout from the start.
  const io::TimePoint deadline =
      ctx_.loop.now() + (requests_ == 0 ? t.client_header : t.client_idle);
  return rx_.watch(deadline, kHeadReadSize, &ClientSession::on_ready, this);
}

void ClientSession::on_ready(void* session) {
  base::spawn(static_cast<ClientSession*>(session)->run());
}

base::Task<void> ClientSession::run() {
  for (bool open = true; open;) {
    if (in_.empty()) {
      if (wait_idle()) co_return;
      // Returns at once: the bytes or the end are there.
      int n = co_await rx_.read(in_, io::Loop::kNoDeadline, kHeadReadSize);
      if (n <= 0) break;
    }
    open = co_await exchange();
  }
  if (linger_) co_await linger();
  co_await rx_.close();
  delete this;
}

ClientSession::ClientSession(ProxyContext& ctx, int fd) : ctx_(ctx), fd_(fd), rx_(ctx.loop, fd) {
  net::Address peer;
  if (net::peer_address(fd, &peer)) {
    client_ip_size_ = static_cast<uint8_t>(peer.ip(client_ip_, sizeof client_ip_).size());
  }
  next_ = ctx_.sessions;
  if (next_) next_->prev_ = this;
  ctx_.sessions = this;
  ++ctx_.session_count;
  ctx_.counters.connections.fetch_add(1, std::memory_order_relaxed);
  ctx_.counters.open_connections.fetch_add(1, std::memory_order_relaxed);
}

ClientSession::~ClientSession() {
  if (backend_fd_ >= 0) ctx_.loop.close(backend_fd_);
  ctx_.loop.close(fd_);
  if (prev_)
    prev_->next_ = next_;
  else
    ctx_.sessions = next_;
  if (next_) next_->prev_ = prev_;
  ctx_.counters.open_connections.fetch_sub(1, std::memory_order_relaxed);
  if (--ctx_.session_count == 0 && ctx_.draining && ctx_.on_drained) {
    ctx_.on_drained(ctx_.on_drained_arg);
  }
}

void ClientSession::abort() {
  aborted_ = true;
  ::shutdown(fd_, SHUT_RDWR);
  if (backend_fd_ >= 0) ::shutdown(backend_fd_, SHUT_RDWR);
}

base::Task<bool> ClientSession::exchange() {
  struct Lease {
    ClientSession& s;
    explicit Lease(ClientSession& session) : s(session) { s.st_ = s.ctx_.take_state(); }
    ~Lease() { s.ctx_.give_state(std::move(s.st_)); }
  } lease(*this);
  st_->request_parser.reset();
  st_->started = ctx_.loop.now();
  st_->answered = 0;
  st_->client_bytes = 0;
  st_->tried = false;
  st_->noted = false;
  // A head that came whole, as most do, is taken without a coroutine for reading it.
  int status = parse_request_head();
  if (status == kHeadIncomplete) status = co_await read_request_head();
  if (status == kCloseQuietly) co_return false;
  if (ctx_.access_log.enabled()) note_request(status == kHeadReady);
  // CONNECT tunnels are not offered. Forwarded, a CONNECT that a backend answered with a 2xx would
  // make its connection a tunnel (RFC 9112 §6.3) where the proxy reads an HTTP response, and leave
  // the client waiting on a tunnel that leads nowhere.
  if (status == kHeadReady && st_->req.method == http::Method::kConnect) status = 501;
  if (status != kHeadReady) {
    co_await send_error(status);
    log_request();
    co_return false;
  }
  ++requests_;
  ctx_.counters.requests.fetch_add(1, std::memory_order_relaxed);
  // The request keeps the configuration it starts with, even if a reload comes meanwhile.
  struct Hold {
    ProxyContext& ctx;
    Generation& gen;
    ~Hold() { ctx.release(gen); }
  } hold{ctx_, ctx_.acquire()};
  bool keep_alive = co_await forward(hold.gen);
  log_request();
  co_return keep_alive;
}

void ClientSession::note_request(bool parsed) {
  std::string& l = st_->logged;
  l.clear();
  // The request line as it came: method, target and "HTTP/1.x", one space apart (the parser
  // holds it to that). Of a head that did not parse, its first line as far as it came.
  if (parsed) {
    const http::Slice method = st_->req.method_name;
    const http::Slice target = st_->req.target;
    l.append(in_.data() + method.off, target.off + target.len + 9 - method.off);
  } else {
    const std::string_view head = in_.view();
    const size_t start = std::min(head.find_first_not_of("\r\n"), head.size());
    const size_t end = std::min(head.find_first_of("\r\n", start), start + kLoggedLineMax);
    l.append(head.substr(start, end - start));
  }
  st_->logged_request = static_cast<uint32_t>(l.size());
  auto field = [&](std::string_view name) {
    if (!parsed) return;
    if (const http::HeaderField* h = http::find_header(in_.data(), st_->req.headers, name)) {
      l.append(h->value.in(in_.data()));
    }
  };
  field("referer");
  st_->logged_referer = static_cast<uint32_t>(l.size()) - st_->logged_request;
  field("user-agent");
  st_->noted = true;
}

void ClientSession::log_request() {
  if (!st_->noted) return;
  const std::string_view l = st_->logged;
  AccessEntry e;
  e.client_ip = client_ip();
  e.request = l.substr(0, st_->logged_request);
  e.referer = l.substr(st_->logged_request, st_->logged_referer);
  e.user_agent = l.substr(st_->logged_request + st_->logged_referer);
  // nginx's 499: no answer reached the client (it left, or fulcrum stopped at once).
  e.status = st_->answered != 0 ? st_->answered : 499;
  e.bytes = st_->client_bytes;
  if (st_->tried) e.backend = backend().name;
  e.took = ctx_.loop.now() - st_->started;
  ctx_.access_log.log(e);
}

base::Task<void> ClientSession::linger() {
  ::shutdown(fd_, SHUT_WR);
  const io::TimePoint deadline = ctx_.loop.now() + kLingerTime;
  for (uint64_t dropped = 0; dropped < kLingerMaxBytes;) {
    in_.clear();
    int n = co_await rx_.read(in_, deadline, kReadSize);
    if (n <= 0) break;
    dropped += static_cast<uint64_t>(n);
  }
}

int ClientSession::parse_request_head() {
  switch (st_->request_parser.parse(in_.data(), in_.size(), st_->req)) {
    case http::ParseStatus::kComplete:
      return kHeadReady;
    case http::ParseStatus::kError:
      return st_->request_parser.error_status();
    case http::ParseStatus::kIncomplete:
      break;
  }
  return kHeadIncomplete;
}

base::Task<int> ClientSession::read_request_head() {
  // Once a head has started it must arrive in time.
  const io::TimePoint deadline = ctx_.loop.now() + ctx_.config().timeouts.client_header;
  for (;;) {
    int n = co_await rx_.read(in_, deadline, kHeadReadSize);
    if (n <= 0) co_return n == -ETIMEDOUT ? 408 : kCloseQuietly;
    int status = parse_request_head();
    if (status != kHeadIncomplete) co_return status;
  }
}

base::Task<int> ClientSession::connect_backend() {
  upstream::Backend& b = backend();
  int fd = net::connecting_socket(b.address);
  if (fd < 0) co_return fd;
  backend_fd_ = fd;  // for abort(), which must reach a connect in progress too
  int r = co_await ctx_.loop.connect(fd, b.address.sa(), b.address.len,
                                     ctx_.loop.now() + b.timeouts.connect);
  if (r < 0) {
    ctx_.loop.close(fd);
    backend_fd_ = -1;
    co_return r;
  }
  co_return fd;
}

void ClientSession::release_backend(bool reusable) {
  if (backend_fd_ < 0) return;
  if (reusable && st_->backend_in.empty()) {
    backend().idle.put(backend_fd_);
  } else {
    ctx_.loop.close(backend_fd_);
    st_->backend_in.clear();
  }
  backend_fd_ = -1;
}

base::Task<void> ClientSession::send_error(int status) {
  linger_ = true;
  ctx_.counters.error_responses.fetch_add(1, std::memory_order_relaxed);
  st_->out.clear();
  write_error_response(status, st_->out);
  const int sent = co_await ctx_.loop.send(fd_, st_->out.data(), st_->out.size(),
                                           ctx_.loop.now() + ctx_.config().timeouts.client_idle);
  if (sent >= 0) answered(status, st_->out.size());
}

base::Task<bool> ClientSession::answer_metrics(const Generation& gen, const Exchange& x) {
  if (st_->req.method != http::Method::kGet && st_->req.method != http::Method::kHead) {
    co_await send_error(405);
    co_return false;
  }
  // A body it came with is not read: the connection ends after the answer. So does an HTTP/1.0
  // one, rather than be told keep-alive.
  const bool keep = x.client_keep && x.client_minor >= 1 && !ctx_.draining &&
                    !body_to_relay(x.body_framing, x.body_left);
  in_.consume(st_->req.head_size);
  std::string body;
  upstream::write_metrics(gen.config(), ctx_.backends.shared(), body);
  base::Buffer& out = st_->out;
  out.clear();
  out.append(
      "HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\n"
      "Cache-Control: no-store\r\nContent-Length: ");
  out.append_decimal(body.size());
  out.append(keep ? "\r\n\r\n" : "\r\nConnection: close\r\n\r\n");
  if (!x.head_request) out.append(body);
  const int sent = co_await ctx_.loop.send(fd_, out.data(), out.size(),
                                           ctx_.loop.now() + gen.config().timeouts.client_idle);
  if (sent < 0) co_return false;
  answered(200, out.size());
  // As after a forwarded answer: what the client sent on, or still sends, is read before closing.
  if (!keep && (x.client_keep || !in_.empty() || body_to_relay(x.body_framing, x.body_left))) {
    linger_ = true;
  }
  co_return keep;
}

base::Task<bool> ClientSession::keep_body(uint64_t length) {
  while (length > 0) {
    size_t take = static_cast<size_t>(std::min<uint64_t>(in_.size(), length));
    st_->out.append(in_.data(), take);
    in_.consume(take);
    length -= take;
    if (length == 0) break;
    int n = co_await rx_.read(in_, ctx_.loop.now() + ctx_.config().timeouts.client_idle, kReadSize);
    if (n <= 0) co_return false;
  }
  co_return true;
}

base::Task<bool> ClientSession::forward(Generation& gen) {
  const config::Timeouts& t = gen.config().timeouts;
  io::Loop& loop = ctx_.loop;
  // The head's slices point into in_; keep what is needed after the head leaves it.
  Exchange x;
  x.head_request = st_->req.method == http::Method::kHead;
  x.client_minor = st_->req.version_minor;
  x.body_framing = st_->req.framing;
  x.body_left = st_->req.framing == http::Framing::kContentLength ? st_->req.content_length : 0;
  x.expect_continue = st_->req.expect_continue && body_to_relay(x.body_framing, x.body_left);
  x.client_keep = st_->req.keep_alive;
  x.idempotent = is_idempotent(st_->req.method);
  // Tunnelled as HAProxy and nginx do (WebSocket): an HTTP/1.0 request's Upgrade is to be
  // ignored (RFC 9110 §7.8), and one with a body is sent as a plain request, since a tunnel
  // would have to start in the middle of the upload. Nor does a draining worker open a tunnel
  // that it would cut at the drain's end: the client, refused, connects again (to the workers
  // that replace this one).
  x.upgrade = st_->req.upgrade && x.client_minor >= 1 &&
              !body_to_relay(x.body_framing, x.body_left) && !ctx_.draining;

  const Target target = gen.route(in_.data(), st_->req, client_ip());
  if (target.pool == nullptr) {
    const bool keep = co_await answer_metrics(gen, x);
    co_return keep;
  }
  Pool& target_pool = *target.pool;
  st_->pool = &target_pool;
  const config::PoolConfig& pool = *target_pool.config;
  upstream::PickContext pick;
  if (pool.strategy == upstream::Strategy::kHash) {
    pick.key = balance_key(pool.hash_key, in_.data(), st_->req, client_ip());
  }
  http::ForwardInfo info;
  info.client_ip = client_ip();
  info.default_host = target_pool.backends.front()->name;
  info.edits = &target.headers->request;
  info.forwarded = target.headers->forwarded;
  info.forward_upgrade = x.upgrade;
  char request_id[kRequestIdSize];
  if (target.headers->request_id &&
      !http::find_header(in_.data(), st_->req.headers, "x-request-id")) {
    info.request_id = make_request_id(ctx_.random, request_id);
  }
  st_->out.clear();
  http::write_request_head(in_.data(), st_->req, info, st_->out);
  in_.consume(st_->req.head_size);

  // A small body is read whole before the first attempt, so that a failed attempt can be
  // repeated on another backend; a larger or chunked one streams and allows no retry once sent.
  bool body_kept = x.body_framing != http::Framing::kChunked;
  if (x.body_framing == http::Framing::kContentLength && x.body_left <= kKeptBodyMax) {
    if (x.expect_continue) {
      int r = co_await loop.send(fd_, k100Continue.data(), k100Continue.size(),
                                 loop.now() + t.client_idle);
      if (r < 0) co_return false;
      st_->client_bytes += k100Continue.size();
      x.expect_continue = false;
      x.continue_sent = true;
    }
    bool kept = co_await keep_body(x.body_left);
    if (!kept) co_return false;
    x.body_left = 0;
  } else if (x.body_framing == http::Framing::kContentLength) {
    body_kept = false;
  }

  // Tells the balancer and the counters when a try starts and ends, however it ends.
  struct InFlight {
    // A constructor, not aggregate initialisation: clang 14 (the fuzz preset) cannot emplace
    // an aggregate from parentheses.
    InFlight(upstream::Balancer& b, size_t i, upstream::BackendCounters& c, io::Loop& l)
        : balancer(b), backend(i), counters(c), loop(l), start(l.now()) {
      balancer.on_start(backend);
      counters.requests.fetch_add(1, std::memory_order_relaxed);
      counters.in_flight.fetch_add(1, std::memory_order_relaxed);
    }
    ~InFlight() {
      balancer.on_end(backend, latency, outcome);
      counters.in_flight.fetch_sub(1, std::memory_order_relaxed);
    }
    void end(upstream::Outcome o) {
      outcome = o;
      latency = loop.now() - start;
    }
    upstream::Balancer& balancer;
    size_t backend;
    upstream::BackendCounters& counters;
    io::Loop& loop;
    io::TimePoint start;
    upstream::Outcome outcome = upstream::Outcome::kVoid;
    io::Duration latency{};
  };
  std::optional<InFlight> in_flight;
  int last_status = 503;
  upstream::Balancer& balancer = *target_pool.balancer;
  for (uint32_t retries_left = pool.retries;; --retries_left) {
    const io::TimePoint now = loop.now();
    auto available = [&target_pool, now](size_t i) {
      return target_pool.backends[i]->health.available(now);
    };
    // Slow start admits a backend that came back recently to a share of the picks only; if no
    // backend is admitted (all came back together), any available one will do. Hashing keeps
    // its keys where they belong instead.
    std::optional<size_t> picked;
    if (pool.slow_start > config::milliseconds::zero() &&
        pool.strategy != upstream::Strategy::kHash) {
      const double draw = ctx_.random.unit();
      picked = balancer.pick(pick, [&target_pool, now, draw](size_t i) {
        const upstream::Backend& b = *target_pool.backends[i];
        return b.health.available(now) && b.ramp(now) > draw;
      });
    }
    if (!picked) picked = balancer.pick(pick, available);
    if (!picked) {
      co_await send_error(last_status);
      co_return false;
    }
    st_->backend = *picked;
    st_->tried = true;
    backend().health.on_picked(now);
    in_flight.reset();
    in_flight.emplace(balancer, st_->backend, backend().state.counters, loop);

    Try tried;
    int status = co_await attempt(x, &tried);
    // The balancer learns from what the backend did only, as its health does.
    in_flight->end(status == 0    ? upstream::Outcome::kAnswered
                   : tried.blamed ? upstream::Outcome::kFailed
                                  : upstream::Outcome::kVoid);
    if (status == 0) break;
    if (status == kCloseQuietly) co_return false;
    // A backend that was never reached (its connection failed) got nothing, and nothing of a
    // streamed body has been read yet: any request may go elsewhere. Never a second try once the
    // backend may have acted on a request that is not safe to repeat, or once body bytes left
    // that were not kept.
    bool retry = !aborted_ && retries_left > 0 && (!tried.reached || (body_kept && x.idempotent));
    LOG_DEBUG("backend %s failed (%d)%s", backend().name.c_str(), status,
              retry ? "; trying another" : "");
    if (!retry) {
      co_await send_error(status);
      co_return false;
    }
    last_status = status;
    pick.exclude = st_->backend;
  }
  if (st_->resp.status == 101) {
    co_await tunnel(target.headers->response, t.tunnel);
    co_return false;
  }

  // A body under a coding other than chunked (gzip, say) cannot go to an HTTP/1.0 client, which
  // may not be told the coding (RFC 9112 §6.1). nginx answers 502 to such bodies for any client.
  if (x.client_minor == 0 && st_->resp.transfer_coded &&
      st_->resp.framing != http::Framing::kNone) {
    release_backend(false);
    co_await send_error(502);
    co_return false;
  }
  const http::Framing resp_framing = st_->resp.framing;
  // A chunked response cannot be framed for an HTTP/1.0 client: it gets the payload and the
  // connection's end marks the body's end.
  const bool dechunk = x.client_minor == 0 && resp_framing == http::Framing::kChunked;
  // A body still going up when the answer comes may never be read whole (the backend may not
  // want it): the client connection then closes after the answer.
  const bool body_read = !st_->upload.running && st_->upload.result == RelayResult::kDone;
  const bool client_keep = x.client_keep && body_read && !ctx_.draining &&
                           resp_framing != http::Framing::kUntilClose && !dechunk;
  st_->out.clear();
  http::write_response_head(st_->backend_in.data(), st_->resp, !client_keep, x.client_minor,
                            st_->out, target.headers->response);
  const bool backend_keep = st_->resp.keep_alive;
  st_->backend_in.consume(st_->resp.head_size);
  uint64_t resp_length = 0;
  const Run first = coalesce_body(st_->backend_in, resp_framing, st_->resp.content_length, st_->out,
                                  &resp_length);
  // With a Content-Length body still to come, the head may wait for it in the kernel, so that a
  // small answer reaches the client as one segment however the backend split it (as HAProxy does,
  // with MSG_MORE).
  int sent = co_await loop.send(fd_, first.in.data(), first.size, loop.now() + t.client_idle,
                                resp_framing == http::Framing::kContentLength && resp_length > 0);
  if (sent >= 0) answered(st_->resp.status, first.size);
  first.in.consume(first.size);
  RelayResult download = sent < 0 ? RelayResult::kSinkFailed : RelayResult::kDone;
  if (sent >= 0 && body_to_relay(resp_framing, resp_length)) {
    // The backend may wait for a body that still goes up: it is not late meanwhile. Nor is that
    // body's send late while the backend's answer comes (the upload asks backend_activity).
    RelayEnds down{
        loop,          backend_fd_, fd_,         st_->backend_in, pool.timeouts.backend,
        t.client_idle, nullptr,     &ctx_.pipes, &st_->upload,    &st_->backend_activity};
    down.sent = &st_->client_bytes;
    download = co_await relay_body(down, resp_framing, resp_length, dechunk);
  }
  // An upload that still runs once the answer is over is not wanted any more (nor pooled: the
  // backend would read the next request sent on its connection as the rest of this body).
  if (st_->upload.running) co_await finish_upload();
  const bool request_sent = st_->upload.result == RelayResult::kDone;
  // The client may still send the body, or have sent on after a body that ended meanwhile (a
  // pipelined request): closing with that unread would reset the connection, dropping the answer
  // still queued.
  if (!body_read) linger_ = true;
  // A client that expected the connection to stay may have sent its next request meanwhile (or
  // pipelined it): closing with that unread would reset the connection, and the reset throws
  // away what of the answer is still in the socket.
  if (!client_keep && (x.client_keep || !in_.empty())) linger_ = true;
  if (download != RelayResult::kDone || st_->upload.client_failed()) {
    // Response bytes already reached the client: closing is the only honest signal left.
    LOG_DEBUG("response from %s cut short", backend().name.c_str());
    release_backend(false);
    co_return false;
  }
  release_backend(backend_keep && resp_framing != http::Framing::kUntilClose && request_sent);
  co_return client_keep;
}

base::Task<int> ClientSession::attempt(Exchange& x, Try* tried) {
  // A copy: the configuration in force may change (and the one before be freed) meanwhile.
  const config::Timeouts t = ctx_.config().timeouts;
  io::Loop& loop = ctx_.loop;
  upstream::Backend& backend = this->backend();
  // The one place that holds a failure against the backend. A try that abort() cut short (a
  // drain that timed out, an immediate stop) says nothing about it, and its state is shared with
  // other workers, which keep it; nor do the client's failures or a local socket shortage, which
  // never come here.
  auto failed = [&](const char* why) {
    if (aborted_) return;
    upstream::record_outcome(backend, false, loop.now(), why);
    tried->blamed = true;
  };
  // A pooled connection may have been closed by the backend just as the request went out (a
  // backend ends idle keep-alive connections when it likes): then the request goes once more on
  // a fresh connection, when nothing of it can have been acted on (the send failed) or nothing
  // came back and it is safe to send again (idempotent, and whole in st_->out), as nginx does.
  // One that is not goes on a pooled connection only while the backend is unlikely to be closing
  // it (kUnsafeReuseAge).
  const bool resendable =
      x.idempotent && x.body_left == 0 && x.body_framing != http::Framing::kChunked;
  for (bool fresh_try = false;; fresh_try = true) {
    // A pooled connection is taken without a coroutine of its own: the usual case.
    int fd = fresh_try ? -1 : backend.idle.take(resendable ? io::Duration::max() : kUnsafeReuseAge);
    const bool reused = fd >= 0;
    if (!reused) fd = co_await connect_backend();
    // Out of descriptors here: the backend did nothing wrong, so its health is left alone, and
    // the client is told that the service is overloaded for now.
    if (net::out_of_sockets(fd)) co_return 503;
    if (fd < 0) {
      failed(fd == -ETIMEDOUT ? "connect timeout" : "connect failed");
      co_return fd == -ETIMEDOUT ? 504 : 502;
    }
    backend_fd_ = fd;
    int r = co_await loop.send(fd, st_->out.data(), st_->out.size(),
                               loop.now() + backend.timeouts.backend);
    if (r < 0) {
      release_backend(false);
      if (reused && !fresh_try) continue;
      tried->reached = true;  // it may have read part of it
      failed("send failed");
      co_return 502;
    }
    tried->reached = true;

    if (x.expect_continue) {
      int sent = co_await loop.send(fd_, k100Continue.data(), k100Continue.size(),
                                    loop.now() + t.client_idle);
      if (sent < 0) {
        release_backend(false);
        co_return kCloseQuietly;
      }
      st_->client_bytes += k100Continue.size();
      x.expect_continue = false;
      x.continue_sent = true;
    }
    st_->upload = {};
    st_->backend_activity = {};
    if (body_to_relay(x.body_framing, x.body_left)) {
      st_->upload.running = true;
      base::spawn(upload(x.body_framing, x.body_left, t.client_idle, backend.timeouts.backend));
    }

    st_->response_bytes = 0;
    int status = co_await read_response_head(x);
    if (status != 0 && st_->upload.running) co_await finish_upload();
    if (st_->upload.client_failed()) {
      // The backend connection is mid-request. No response byte has reached the client yet, so
      // a malformed body can still be answered.
      release_backend(false);
      if (st_->upload.result == RelayResult::kMalformed) co_await send_error(400);
      co_return kCloseQuietly;
    }
    if (status == 0) break;
    release_backend(false);
    if (status == kCloseQuietly) co_return kCloseQuietly;
    if (status == 502 && st_->response_bytes == 0 && reused && !fresh_try && resendable &&
        !aborted_) {
      continue;
    }
    failed(status == 504 ? "response timeout" : "bad or no response");
    co_return status;
  }
  // A status the configuration counts as failure (502-504 by default) still goes to the client.
  bool bad_status = config::in_ranges(backend.check.failure_statuses, st_->resp.status);
  upstream::record_outcome(backend, !bad_status, loop.now(),
                           bad_status ? "failure status" : "response");
  co_return 0;
}

base::Task<void> ClientSession::upload(http::Framing framing, uint64_t length,
                                       io::Duration client_timeout, io::Duration backend_timeout,
                                       Activity* tunnel) {
  io::Loop& loop = ctx_.loop;
  RelayEnds ends{loop, fd_, backend_fd_, in_, client_timeout, backend_timeout, &rx_};
  // A backend that answers while it reads may stop reading while its answer waits for the client.
  ends.to_activity = &st_->backend_activity;
  ends.tunnel = tunnel;
  const RelayResult r = co_await relay_body(ends, framing, length, false);
  Upload& u = st_->upload;
  u.result = r;
  u.running = false;
  u.ended = loop.now();
  if (tunnel) {
    // The client's end goes on to the backend, whose answers may still come; a failure ends the
    // other way too.
    ::shutdown(backend_fd_, r == RelayResult::kDone ? SHUT_WR : SHUT_RDWR);
  } else if (u.client_failed()) {
    // The request is void: the backend connection is shut down so that the wait for its answer
    // ends too.
    ::shutdown(backend_fd_, SHUT_RDWR);
  }
  // The session may be gone once the joiner has resumed: nothing after this.
  if (auto joiner = std::exchange(u.joiner, nullptr)) joiner.resume();
}

base::Task<void> ClientSession::finish_upload() {
  Upload& u = st_->upload;
  u.stopped = true;
  // The upload waits either to send to the backend, which the shutdown fails, or for the
  // client's bytes, which the interrupt ends.
  ::shutdown(backend_fd_, SHUT_RDWR);
  rx_.interrupt();
  co_await UploadEnd{u};
}

base::Task<void> ClientSession::tunnel(const http::HeaderEdits& response_edits,
                                       io::Duration timeout) {
  io::Loop& loop = ctx_.loop;
  st_->out.clear();
  http::write_response_head(st_->backend_in.data(), st_->resp, false, 1, st_->out, response_edits);
  st_->backend_in.consume(st_->resp.head_size);
  const int sent = co_await loop.send(fd_, st_->out.data(), st_->out.size(),
                                      loop.now() + ctx_.config().timeouts.client_idle);
  if (sent >= 0) {
    answered(101, st_->out.size());
    LOG_DEBUG("tunnel to %s open", backend().name.c_str());
    Activity activity{loop.now()};
    // The client's bytes go up as an upload would, from what came after the request head on.
    st_->upload = {};
    st_->upload.running = true;
    base::spawn(upload(http::Framing::kUntilClose, 0, timeout, timeout, &activity));
    // Read as the client is, so that a tunnel that waits holds no buffer (io_uring).
    io::RecvStream from_backend(loop, backend_fd_);
    RelayEnds down{loop, backend_fd_, fd_, st_->backend_in, timeout, timeout, &from_backend};
    down.tunnel = &activity;
    down.sent = &st_->client_bytes;
    const RelayResult r = co_await relay_body(down, http::Framing::kUntilClose, 0, false);
    if (r == RelayResult::kDone) {
      // The backend's end goes on to the client, whose bytes may still go up.
      ::shutdown(fd_, SHUT_WR);
      co_await UploadEnd{st_->upload};
    } else {
      // The way up ends too: with the tunnel's clock cleared, the interrupt that stops its wait
      // for the client is not excused as a timeout would be while the tunnel moved.
      activity = {};
      co_await finish_upload();
    }
    co_await from_backend.close();
    LOG_DEBUG("tunnel to %s closed", backend().name.c_str());
  }
  release_backend(false);
}

base::Task<int> ClientSession::read_response_head(const Exchange& x) {
  io::Loop& loop = ctx_.loop;
  const io::Duration timeout = backend().timeouts.backend;
  io::TimePoint deadline = loop.now() + timeout;
  st_->response_parser.reset();
  for (;;) {
    if (!st_->backend_in.empty()) {
      switch (st_->response_parser.parse(st_->backend_in.data(), st_->backend_in.size(), st_->resp,
                                         x.head_request)) {
        case http::ParseStatus::kError:
          co_return 502;
        case http::ParseStatus::kIncomplete:
          break;
        case http::ParseStatus::kComplete:
          if (st_->resp.status >= 200) co_return 0;
          // Any other request went without its Upgrade field, and cannot have been switched.
          if (st_->resp.status == 101) co_return x.upgrade ? 0 : 502;
          // Interim responses (103 Early Hints, a 100 the backend sends anyway) go to the client
          // as they are, HTTP/1.1 clients only (RFC 9110 §15.2); but not a 100 once fulcrum has
          // sent its own: the client has had its go-ahead, and would see two.
          // Written apart from st_->out, which still holds the request head (and kept body)
          // for a try at another backend if this one fails after its interim response.
          if (x.client_minor >= 1 && !(st_->resp.status == 100 && x.continue_sent)) {
            st_->interim.clear();
            http::write_response_head(st_->backend_in.data(), st_->resp, false, x.client_minor,
                                      st_->interim);
            int sent = co_await loop.send(fd_, st_->interim.data(), st_->interim.size(),
                                          loop.now() + ctx_.config().timeouts.client_idle);
            if (sent >= 0) st_->client_bytes += st_->interim.size();
            st_->interim.release();
            // The client is gone: no backend is to blame, and no other one is to be tried.
            if (sent < 0) co_return kCloseQuietly;
          }
          st_->backend_in.consume(st_->resp.head_size);
          st_->response_parser.reset();
          // An interim response is a backend's sign of life on a long operation (102
          // Processing): the final head's time counts from it.
          deadline = loop.now() + timeout;
          continue;
      }
    }
    st_->backend_in.reserve(kReadSize);
    int n = co_await loop.recv(backend_fd_, st_->backend_in.write_ptr(), st_->backend_in.writable(),
                               deadline);
    if (n > 0) {
      st_->response_bytes += static_cast<uint64_t>(n);
      st_->backend_in.commit(static_cast<size_t>(n));
      st_->backend_activity.last = loop.now();
      continue;
    }
    // The backend is not late while the body still goes up: its time counts from the body's end.
    if (n == -ETIMEDOUT && st_->upload.excuses(loop.now(), timeout, &deadline)) continue;
    co_return n == -ETIMEDOUT ? 504 : 502;
  }
}

}  // namespace fulcrum::proxy

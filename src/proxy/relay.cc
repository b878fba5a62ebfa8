#include "proxy/relay.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "http/chunked.h"

namespace fulcrum::proxy {

namespace {
constexpr size_t kReadSize = 32 * 1024;
// Below this, copying the rest of a body costs less than setting up its splices.
constexpr uint64_t kSpliceMin = 16 * 1024;
// A pipe's default capacity: what one splice into it can take.
constexpr size_t kPipeSize = 64 * 1024;

bool source_excused(const RelayEnds& e, io::TimePoint* deadline) {
  if (e.tunnel) return e.tunnel->excuses(e.loop.now(), e.from_timeout, deadline);
  return e.other_way && e.other_way->excuses(e.loop.now(), e.from_timeout, deadline);
}

void source_gave(const RelayEnds& e) {
  if (e.from_activity) e.from_activity->last = e.loop.now();
  if (e.tunnel) e.tunnel->last = e.loop.now();
}

// Awaits `send` (the loop's send or splice_out, not started yet) until all of it went; false if
// the sink failed, or timed out with no excuse from its activity. The source's bytes are held
// meanwhile, and its time counts from when they went.
base::Task<bool> send_to_sink(const RelayEnds& e, io::OpAwaiter send) {
  struct Hold {
    const RelayEnds& e;
    explicit Hold(const RelayEnds& ends) : e(ends) {
      if (e.from_activity) e.from_activity->held = true;
    }
    ~Hold() {
      if (e.from_activity) *e.from_activity = {e.loop.now(), false};
    }
  } hold(e);
  Activity* const sink = e.tunnel ? e.tunnel : e.to_activity;
  bool done = false;
  for (size_t sent = 0;; sent = send.sent()) {
    const int r = co_await send;
    if (r >= 0) {
      if (e.tunnel) e.tunnel->last = e.loop.now();
      done = true;
      break;
    }
    if (r != -ETIMEDOUT || !sink) break;
    if (send.sent() > sent) sink->last = e.loop.now();
    io::TimePoint deadline;
    if (!sink->excuses(e.loop.now(), e.to_timeout, &deadline)) break;
    send.go_on_until(deadline);
  }
  if (e.sent) *e.sent += send.sent();
  co_return done;
}

// The last `remaining` bytes of a Content-Length body, through `pipe`, which goes back to the
// cache once empty.
base::Task<RelayResult> splice_body(RelayEnds e, uint64_t remaining, PipeCache::Pipe pipe) {
  while (remaining > 0) {
    const size_t want = static_cast<size_t>(std::min<uint64_t>(remaining, kPipeSize));
    io::TimePoint deadline = e.loop.now() + e.from_timeout;
    int n = 0;
    do {
      n = co_await e.loop.splice_in(e.from, pipe.write, want, deadline);
    } while (n == -ETIMEDOUT && source_excused(e, &deadline));
    if (n <= 0) {
      PipeCache::close(pipe);
      co_return RelayResult::kSourceFailed;
    }
    source_gave(e);
    remaining -= static_cast<uint64_t>(n);
    const bool sent =
        co_await send_to_sink(e, e.loop.splice_out(pipe.read, e.to, static_cast<size_t>(n),
                                                   e.loop.now() + e.to_timeout, remaining > 0));
    if (!sent) {
      PipeCache::close(pipe);
      co_return RelayResult::kSinkFailed;
    }
  }
  e.pipes->give(pipe);
  co_return RelayResult::kDone;
}
}  // namespace

PipeCache::~PipeCache() {
  while (!free_.empty()) close(free_.take());
}

PipeCache::Pipe PipeCache::take() {
  if (!free_.empty()) return free_.take();
  int fds[2];
  if (::pipe2(fds, O_NONBLOCK | O_CLOEXEC) != 0) return {};
  return {fds[0], fds[1]};
}

void PipeCache::give(Pipe p) {
  if (free_.size() >= kKept) {
    close(p);
    return;
  }
  free_.put(p);
}

void PipeCache::trim() {
  free_.trim([](Pipe& p) { close(p); });
}

void PipeCache::close(Pipe p) {
  ::close(p.read);
  ::close(p.write);
}

base::Task<RelayResult> relay_body(RelayEnds e, http::Framing framing, uint64_t length,
                                   bool dechunk) {
  if (!body_to_relay(framing, length)) co_return RelayResult::kDone;
  http::ChunkedDecoder decoder;
  uint64_t remaining = length;
  for (;;) {
    if (!e.buf.empty()) {
      size_t take = e.buf.size();
      bool done = false;
      if (framing == http::Framing::kContentLength) {
        take = static_cast<size_t>(std::min<uint64_t>(take, remaining));
        remaining -= take;
        done = remaining == 0;
      } else if (framing == http::Framing::kChunked) {
        size_t scanned = 0;
        while (scanned < e.buf.size() && !decoder.done() && !decoder.error()) {
          auto step = decoder.next(e.buf.data() + scanned, e.buf.size() - scanned);
          scanned += step.consumed;
          if (dechunk && step.data_len > 0) {
            const bool sent = co_await send_to_sink(
                e, e.loop.send(e.to, step.data, step.data_len, e.loop.now() + e.to_timeout));
            if (!sent) co_return RelayResult::kSinkFailed;
          }
          if (step.consumed == 0) break;
        }
        if (decoder.error()) co_return RelayResult::kMalformed;
        take = scanned;
        done = decoder.done();
      }
      if (!(framing == http::Framing::kChunked && dechunk) && take > 0) {
        // The rest of a Content-Length body is on its way (a chunked body may be a stream that
        // wants each chunk to go as it comes).
        const bool sent = co_await send_to_sink(
            e, e.loop.send(e.to, e.buf.data(), take, e.loop.now() + e.to_timeout,
                           framing == http::Framing::kContentLength && !done));
        if (!sent) co_return RelayResult::kSinkFailed;
      }
      e.buf.consume(take);
      if (done) co_return RelayResult::kDone;
    }
    // What was read went out whole (the buffer is empty): the rest may be spliced.
    if (e.pipes && framing == http::Framing::kContentLength && remaining >= kSpliceMin) {
      const PipeCache::Pipe pipe = e.pipes->take();
      if (pipe.read >= 0) {
        const RelayResult spliced = co_await splice_body(e, remaining, pipe);
        co_return spliced;
      }
    }
    // A tunnel may wait long for its next bytes (WebSocket connections mostly idle): it holds no
    // buffer meanwhile, as an idle connection does not.
    if (e.tunnel) e.buf.release();
    io::TimePoint deadline = e.loop.now() + e.from_timeout;
    int n = 0;
    do {
      if (e.from_stream) {
        n = co_await e.from_stream->read(e.buf, deadline, kReadSize);
      } else {
        e.buf.reserve(kReadSize);
        n = co_await e.loop.recv(e.from, e.buf.write_ptr(), e.buf.writable(), deadline);
        if (n > 0) e.buf.commit(static_cast<size_t>(n));
      }
    } while (n == -ETIMEDOUT && source_excused(e, &deadline));
    if (n == 0 && framing == http::Framing::kUntilClose) co_return RelayResult::kDone;
    if (n <= 0) co_return RelayResult::kSourceFailed;
    source_gave(e);
  }
}

}  // namespace fulcrum::proxy

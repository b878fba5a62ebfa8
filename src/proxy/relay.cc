#include "proxy/relay.h"

#include <algorithm>

#include "http/chunked.h"

namespace fulcrum::proxy {

namespace {
constexpr size_t kReadSize = 32 * 1024;
}

base::Task<RelayResult> relay_body(RelayEnds e, http::Framing framing, uint64_t length,
                                   bool dechunk) {
  if (framing == http::Framing::kNone) co_return RelayResult::kDone;
  if (framing == http::Framing::kContentLength && length == 0) co_return RelayResult::kDone;
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
            int r =
                co_await e.loop.send(e.to, step.data, step.data_len, e.loop.now() + e.to_timeout);
            if (r < 0) co_return RelayResult::kSinkFailed;
          }
          if (step.consumed == 0) break;
        }
        if (decoder.error()) co_return RelayResult::kMalformed;
        take = scanned;
        done = decoder.done();
      }
      if (!(framing == http::Framing::kChunked && dechunk) && take > 0) {
        int r = co_await e.loop.send(e.to, e.buf.data(), take, e.loop.now() + e.to_timeout);
        if (r < 0) co_return RelayResult::kSinkFailed;
      }
      e.buf.consume(take);
      if (done) co_return RelayResult::kDone;
    }
    const io::TimePoint deadline = e.loop.now() + e.from_timeout;
    int n = 0;
    if (e.from_stream) {
      n = co_await e.from_stream->read(e.buf, deadline, kReadSize);
    } else {
      e.buf.reserve(kReadSize);
      n = co_await e.loop.recv(e.from, e.buf.write_ptr(), e.buf.writable(), deadline);
      if (n > 0) e.buf.commit(static_cast<size_t>(n));
    }
    if (n == 0 && framing == http::Framing::kUntilClose) co_return RelayResult::kDone;
    if (n <= 0) co_return RelayResult::kSourceFailed;
  }
}

}  // namespace fulcrum::proxy

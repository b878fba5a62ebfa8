#pragma once
// Streams one message body from a source socket to a sink socket through one buffer. Reading
// stops while a send is in flight, so a slow sink holds back the source and memory stays at one
// buffer (DESIGN principle 9).
#include <cstdint>

#include "base/buffer.h"
#include "base/task.h"
#include "http/message.h"
#include "io/loop.h"
#include "io/multishot.h"

namespace fulcrum::proxy {

enum class RelayResult {
  kDone,          // the whole body went through
  kSourceFailed,  // the source closed, reset or timed out
  kMalformed,     // the source sent a malformed chunked body
  kSinkFailed,    // the sink could not take it
};

struct RelayEnds {
  io::Loop& loop;
  int from;
  int to;
  base::Buffer& buf;  // holds what was already read from `from`; bytes after the body stay in it
  io::Duration from_timeout;
  io::Duration to_timeout;
  io::RecvStream* from_stream = nullptr;  // reads `from` through it, when set (a client)
};

// framing kContentLength relays `length` bytes; kChunked relays the chunked body as is (validated
// chunk by chunk), or only its payload when dechunk is set (for HTTP/1.0 clients, who are then
// told the end by the connection closing); kUntilClose relays until the source's end of stream.
base::Task<RelayResult> relay_body(RelayEnds ends, http::Framing framing, uint64_t length,
                                   bool dechunk);

}  // namespace fulcrum::proxy

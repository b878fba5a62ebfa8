#pragma once
// Streams one message body from a source socket to a sink socket through one buffer. Reading
// stops while a send is in flight, so a slow sink holds back the source and memory stays at one
// buffer (DESIGN principle 9). The rest of a large Content-Length body goes through a pipe
// instead, spliced: the kernel moves it from socket to socket without copying it to user space
// and back, which is most of what relaying a large body costs.
#include <cstdint>

#include "base/buffer.h"
#include "base/spares.h"
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

// The pipes that bodies are spliced through, kept per loop: a body gives its pipe back empty, so
// that few pipes serve many bodies. At most kKept are kept, since each holds two descriptors, and
// trim() closes those that no body needed since the previous trim.
class PipeCache {
 public:
  struct Pipe {
    int read = -1;
    int write = -1;
  };
  PipeCache() = default;
  ~PipeCache();
  PipeCache(const PipeCache&) = delete;
  PipeCache& operator=(const PipeCache&) = delete;

  // An empty pipe; read is -1 if none can be made (no descriptor left).
  Pipe take();
  // Keeps an empty pipe for the next body, up to kKept of them; closes the others.
  void give(Pipe p);
  // For a pipe that may still hold bytes.
  static void close(Pipe p);
  void trim();
  // The pipes kept now (for tests).
  size_t kept() const { return free_.size(); }

 private:
  static constexpr size_t kKept = 64;
  base::Spares<Pipe> free_;
};

// A body that goes the other way meanwhile (a request body still going up while its answer is
// relayed down): the source may be waiting for it, so it is not late while that body goes, and
// its time counts from that body's end, as the response head's does.
struct OtherWay {
  bool running = false;
  io::TimePoint ended{};
  // Whether a read of the source that timed out at `now` is to be tried again, and until when
  // (*deadline).
  bool excuses(io::TimePoint now, io::Duration timeout, io::TimePoint* deadline) const {
    if (!running && ended == io::TimePoint{}) return false;  // no such body
    *deadline = (running ? now : ended) + timeout;
    return now < *deadline;
  }
};

// When a connection last showed that it is at work: it gave bytes, or took some of a send that
// then timed out. A send to it that takes nothing in time goes on while that was within the
// timeout: a backend that echoes an upload as it reads it stops reading while its answer goes
// down at a slow client's pace, and is busy, not late. As with HAProxy's server timeout, only a
// time in which neither way moves is too long (a send that took some bytes before its deadline
// counts as activity at the deadline, so up to twice the timeout may pass after its last byte).
// Nor is it late while the bytes it gave wait for the other end (`held`): then it waits for us.
struct Activity {
  io::TimePoint last{};
  bool held = false;
  // Whether a send that timed out at `now` is to go on, and until when (*deadline).
  bool excuses(io::TimePoint now, io::Duration timeout, io::TimePoint* deadline) const {
    if (held) {
      *deadline = now + timeout;
      return true;
    }
    if (last == io::TimePoint{}) return false;  // nothing yet
    *deadline = last + timeout;
    return now < *deadline;
  }
};

struct RelayEnds {
  io::Loop& loop;
  int from;
  int to;
  base::Buffer& buf;  // holds what was already read from `from`; bytes after the body stay in it
  io::Duration from_timeout;
  io::Duration to_timeout;
  io::RecvStream* from_stream = nullptr;  // reads `from` through it, when set (a client)
  PipeCache* pipes = nullptr;             // when set, a large Content-Length body is spliced
  const OtherWay* other_way = nullptr;    // when set, excuses a silent source while it goes
  // When set, the activity of the connection at that end: the relay notes what shows it (bytes
  // from the source; the sink's part of a send that timed out), and a send to the sink that
  // timed out goes on while the sink's excuses it.
  Activity* from_activity = nullptr;
  Activity* to_activity = nullptr;
  // When set, the one clock of a tunnel (after a protocol upgrade), where either side may stay
  // silent for long while the other talks: bytes either way are activity, and a read or a send
  // that timed out goes on while the tunnel moved within its timeout. It stands in for the
  // activities above, whose held bytes would let two stalled sends excuse each other for good.
  Activity* tunnel = nullptr;
  uint64_t* sent = nullptr;  // when set, the bytes the sink took are added to it
};

// Whether a message framed so, with `length` Content-Length bytes still to come, has a body left to
// relay. Callers ask before relay_body(): most answers have none left once their head went, and
// its coroutine would be made for nothing.
inline bool body_to_relay(http::Framing framing, uint64_t length) {
  return framing != http::Framing::kNone &&
         (framing != http::Framing::kContentLength || length > 0);
}

// framing kContentLength relays `length` bytes; kChunked relays
// the chunked body as is (validated chunk by chunk), or only its payload when dechunk is set (for
// HTTP/1.0 clients, who are then told the end by the connection closing); kUntilClose relays
// until the source's end of stream.
base::Task<RelayResult> relay_body(RelayEnds ends, http::Framing framing, uint64_t length,
                                   bool dechunk);

}  // namespace fulcrum::proxy

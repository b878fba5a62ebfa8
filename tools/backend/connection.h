#pragma once
// One client connection of the backend: reads requests (pipelined ones in order), acts on the
// path each one steers by, and answers. Buffers belong to the connection and are reused for
// every request, so a connection in steady state does not allocate.
#include <cstdint>

#include "base/buffer.h"
#include "base/task.h"
#include "http/chunked.h"
#include "http/message.h"
#include "http/request_parser.h"
#include "io/loop.h"
#include "response.h"
#include "route.h"
#include "server.h"

namespace fulcrum::backend {

class Connection {
 public:
  // Takes ownership of fd, a connected socket.
  Connection(io::Loop& loop, int fd, const ServerConfig& config, Stats& stats);
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Serves until the client leaves, a request ends the connection, or I/O fails; the socket is
  // closed when it returns.
  base::Task<void> serve();

 private:
  enum class End : uint8_t {
    kAbort,  // the client left or I/O failed: just close
    kClose,  // we said "Connection: close": close gracefully
    kReset,  // /reset: close with a TCP reset
    kHang,   // /hang: wait for the client to leave
  };
  enum class BodyResult : uint8_t { kOk, kEof, kMalformed };

  base::Task<End> serve_requests();
  // Receives more bytes into in_; false at end of stream or on error.
  base::Task<bool> fill();
  base::Task<BodyResult> read_body(bool keep);
  void absorb(const char* p, size_t n);
  // Sends the answer to the request just read; false if the client is gone.
  base::Task<bool> respond(Route route, bool close);
  base::Task<bool> send_pattern(int status, uint64_t n, BodyFraming framing, bool bodyless,
                                Persistence persistence);
  base::Task<bool> send_out();
  base::Task<void> answer_error(int status);
  base::Task<void> close_gracefully();
  base::Task<void> wait_for_client_to_leave();
  void reset();

  io::Loop& loop_;
  const int fd_;
  const ServerConfig& config_;
  Stats& stats_;
  http::RequestParser parser_;
  http::RequestHead head_;
  http::ChunkedDecoder decoder_;
  base::Buffer in_;    // received bytes: the head, then body and pipelined requests
  base::Buffer out_;   // one answer (or one run of a streamed body)
  base::Buffer json_;  // the JSON body being built
  base::Buffer body_;  // the request body as far as it is echoed
  uint64_t body_length_ = 0;
  bool body_kept_ = false;  // body_ holds the whole body
};

}  // namespace fulcrum::backend

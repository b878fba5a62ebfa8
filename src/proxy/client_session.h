#pragma once
// One client connection: reads requests, forwards each to a backend, streams the answer back,
// and keeps the connection alive while both sides allow it. The session is an object of its own;
// its coroutine (run()) exists only while bytes are being handled, and what a request needs
// beyond the session (parsers, heads, the buffers to and from the backend) is a RequestState
// taken from the loop's free list for the time of the request. An idle connection thus costs
// the session object alone, and a busy one no allocation.
#include <netinet/in.h>

#include <cstdint>
#include <string_view>

#include "base/buffer.h"
#include "base/task.h"
#include "http/forward.h"
#include "http/message.h"
#include "io/multishot.h"
#include "proxy/context.h"

namespace fulcrum::proxy {

class ClientSession {
 public:
  // Serves the accepted connection fd until it closes; closes fd.
  static void start(ProxyContext& ctx, int fd);

  // Wakes the session wherever it waits (used when a drain times out): its sockets are shut
  // down, so pending operations on them complete and the session ends.
  void abort();

  ClientSession(ProxyContext& ctx, int fd);
  ~ClientSession();
  ClientSession(const ClientSession&) = delete;
  ClientSession& operator=(const ClientSession&) = delete;

  ClientSession* next() const { return next_; }

 private:
  // What reading a request head came to.
  static constexpr int kHeadReady = 0;
  static constexpr int kCloseQuietly = -1;
  static constexpr int kHeadIncomplete = -2;

  // The request being forwarded, as far as the tries at backends need it once its head has
  // left the read buffer.
  struct Exchange {
    bool head_request = false;
    uint8_t client_minor = 1;
    http::Framing body_framing = http::Framing::kNone;
    uint64_t body_left = 0;        // Content-Length body bytes not in out_
    bool expect_continue = false;  // a 100 Continue is still owed to the client
    bool continue_sent = false;    // fulcrum sent the client its 100 Continue
    bool client_keep = false;
    bool idempotent = false;  // RFC 9110 §9.2.2: safe to send again
    bool upgrade = false;     // forwarded with its Upgrade: a 101 makes the connection a tunnel
  };

  // What one try at a backend came to, beyond the status it returns.
  struct Try {
    bool reached = false;  // the backend may have got some of the request
    bool blamed = false;   // it failed by the backend's doing, and was recorded against it
  };

  // Serves requests from the bytes that have come until the connection waits idle again
  // (wait_idle()) or ends, and then deletes the session.
  base::Task<void> run();
  // Waits for the client's next bytes with no coroutine frame: the session object alone is what
  // an idle connection costs; run() starts when they come. Returns false if they are there.
  bool wait_idle();
  static void on_ready(void* session);
  // One request, from the rest of its head (in_ holds its first bytes) to the end of its
  // response, with request state taken for that time; returns whether the connection stays open.
  base::Task<bool> exchange();
  upstream::Backend& backend() const { return *st_->pool->backends[st_->backend]; }
  // Parses the request head in in_: kHeadReady, kHeadIncomplete, or an HTTP status to answer
  // with before closing.
  int parse_request_head();
  // Reads the rest of a head that parse_request_head() found incomplete; returns as it does, or
  // 408 when the head's time is up, or kCloseQuietly when the client left.
  base::Task<int> read_request_head();
  // Forwards the parsed request with the configuration gen; returns whether the client
  // connection stays open.
  base::Task<bool> forward(Generation& gen);
  // Reads the rest of a Content-Length body (length bytes) from the client into out_, after the
  // head. Returns false if the client left or was too slow.
  base::Task<bool> keep_body(uint64_t length);
  // One try at backend_: connect (or reuse), send out_ and the rest of the body, read the
  // response head into resp_. Returns 0 when resp_ is ready, kCloseQuietly when the client side
  // failed, or the status for the client (502, 503 when no local socket is left, 504).
  base::Task<int> attempt(Exchange& x, Try* tried);
  // Streams the rest of the request body (length bytes after in_'s, or chunked) to backend_fd_
  // as st_->upload; or, in a tunnel (kUntilClose), the client's bytes until its end, which is
  // passed on.
  base::Task<void> upload(http::Framing framing, uint64_t length, io::Duration client_timeout,
                          io::Duration backend_timeout, Activity* tunnel = nullptr);
  // Stops the upload, which still runs, and waits for its end: before the backend connection
  // goes, or the request does.
  base::Task<void> finish_upload();
  // Connects to backend_; returns the fd or -errno.
  base::Task<int> connect_backend();
  // Reads the backend's final response head into resp_, relaying 1xx responses (but a 100 when
  // fulcrum sent its own; a 101 is final for an upgrade); returns 0, kCloseQuietly when relaying
  // one to the client failed, or the status to answer the client with (502, 504).
  base::Task<int> read_response_head(const Exchange& x);
  // After a 101 (Switching Protocols) in resp_: sends its head, then relays bytes both ways as
  // they come until both sides have ended, or neither moved for `timeout`. Neither connection is
  // kept.
  base::Task<void> tunnel(const http::HeaderEdits& response_edits, io::Duration timeout);
  base::Task<void> send_error(int status);
  // For a route that answers with the metrics (GET and HEAD; 405 to other methods); returns
  // whether the connection stays open.
  base::Task<bool> answer_metrics(const Generation& gen, const Exchange& x);
  // For the access log, when it is on: note_request() keeps what is logged of the request head in
  // in_ (parsed or not), before it leaves in_; log_request() logs the request once it is over.
  void note_request(bool parsed);
  void log_request();
  // A response head (with what came in the same send, `size` bytes in all) reached the client's
  // socket: its status is what the access log shows, not one that failed to go.
  void answered(int status, size_t size) {
    st_->answered = status;
    st_->client_bytes += size;
  }
  // After an error response: the client may still be sending (a body fulcrum did not read).
  // Closing now would make the kernel answer with a reset that can destroy the response before
  // the client reads it, so the connection is half-closed and what arrives is read and dropped,
  // for up to kLingerTime, before closing (nginx's lingering close).
  base::Task<void> linger();
  void release_backend(bool reusable);

  std::string_view client_ip() const { return {client_ip_, client_ip_size_}; }

  // The members an idle connection keeps, so as few as will do (what a request needs is in st_).
  ProxyContext& ctx_;
  int fd_;
  int backend_fd_ = -1;
  uint32_t requests_ = 0;
  // The client may still be sending what will not be read (a body after an error response or an
  // early answer): linger before closing.
  bool linger_ = false;
  bool aborted_ = false;  // abort() was called: no further try at another backend
  uint8_t client_ip_size_ = 0;
  char client_ip_[INET6_ADDRSTRLEN] = {};
  ClientSession* prev_ = nullptr;
  ClientSession* next_ = nullptr;

  io::RecvStream rx_;                 // the client's bytes, into in_
  base::Buffer in_;                   // from the client
  std::unique_ptr<RequestState> st_;  // while a request is in progress
};

}  // namespace fulcrum::proxy

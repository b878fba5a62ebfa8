#pragma once
// An incremental, zero-copy HTTP/1.x request head parser (RFC 9112). It owns no memory: what it
// finds goes into a RequestHead as offsets into the caller's buffer.
//
// Feed it the buffer holding the message from its first byte, each time with whatever has arrived
// so far; the buffer may move between calls as long as the bytes already given stay the same.
// Feeding a head in any split gives the same result as feeding it whole. Lines that arrive whole
// are found and parsed in one pass (the fast paths); others are searched for their LF once, then
// parsed, so no byte is looked at more than a few times however the head is split. The parser
// decides the body's framing and refuses anything that two HTTP implementations could frame
// differently.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "http/head_lines.h"
#include "http/message.h"
#include "http/scan.h"

namespace fulcrum::http {

class RequestParser {
 public:
  explicit RequestParser(const Limits& limits = Limits{}, const Scanner& scan = scanner());

  // Parses data[0, len). Pass the same `out` on every call for one message; its contents are
  // unspecified until kComplete. Returns
  //  - kIncomplete: call again when more bytes have arrived;
  //  - kComplete: `out` holds the head, out.head_size bytes of data; the body (or the next
  //    message) follows;
  //  - kError: error_status() is the status to answer with (400, 414, 431 or 505) and
  //    error_reason() says why, for logs.
  // After kComplete or kError, further calls return the same until reset().
  ParseStatus parse(const char* data, size_t len, RequestHead& out);

  uint16_t error_status() const { return error_status_; }
  std::string_view error_reason() const { return error_reason_; }

  // Prepares for the next message on the connection. Inline, as it runs once per message however
  // short.
  void reset() {
    lines_.reset();
    state_ = ParseStatus::kIncomplete;
    error_status_ = 0;
    error_reason_ = {};
  }

 private:
  ParseStatus fail(uint16_t status, std::string_view reason);
  struct LineError {
    uint16_t status = 0;
    std::string_view reason;
  };
  static constexpr size_t kEndUnknown = ~size_t{0};
  // Parses the request line that starts at data[begin] into `out`. `cr` is where the line's CR
  // is, or kEndUnknown if the line has not been searched for its LF: it must then end with a CRLF
  // right after the version. Returns the CR's index, or kEndUnknown with `error` set if the line
  // is malformed (or, when its end was unknown, not whole). Inlined into both callers, so that
  // the fast path's copy is specialised to a line at 0 with its end unknown.
  [[gnu::always_inline]] inline size_t parse_request_line(const char* data, size_t len,
                                                          size_t begin, size_t cr, RequestHead& out,
                                                          LineError& error) const;
  ParseStatus finish(const char* data, RequestHead& out);

  const Scanner* scan_;
  HeadLines lines_;
  ParseStatus state_ = ParseStatus::kIncomplete;
  uint16_t error_status_ = 0;
  std::string_view error_reason_;
};

}  // namespace fulcrum::http

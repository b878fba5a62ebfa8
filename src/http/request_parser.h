#pragma once
// An incremental, zero-copy HTTP/1.x request head parser (RFC 9112). It owns no memory: what it
// finds goes into a RequestHead as offsets into the caller's buffer.
//
// Feed it the buffer holding the message from its first byte, each time with whatever has arrived
// so far; the buffer may move between calls as long as the bytes already given stay the same.
// Feeding a head in any split gives the same result as feeding it whole, and no byte is searched
// twice. The parser decides the body's framing and refuses anything that two HTTP implementations
// could frame differently.
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

  // Prepares for the next message on the connection.
  void reset();

 private:
  ParseStatus fail(uint16_t status, std::string_view reason);
  // Returns false, with the error recorded, if the line is malformed.
  bool parse_request_line(const char* data, size_t len, Line line, RequestHead& out);
  ParseStatus finish(const char* data, RequestHead& out);

  const Scanner* scan_;
  HeadLines lines_;
  ParseStatus state_ = ParseStatus::kIncomplete;
  uint16_t error_status_ = 0;
  std::string_view error_reason_;
};

}  // namespace fulcrum::http

#pragma once
// An incremental, zero-copy HTTP/1.x response head parser (RFC 9112), the twin of RequestParser
// for what backends send. It accepts what real servers send (an empty or missing reason phrase,
// a body delimited by closing) but refuses whatever could be framed two ways, so that the proxy
// answers 502 rather than pass on an ambiguous message.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "http/head_lines.h"
#include "http/message.h"
#include "http/scan.h"

namespace fulcrum::http {

class ResponseParser {
 public:
  explicit ResponseParser(const Limits& limits = Limits{}, const Scanner& scan = scanner());

  // Parses data[0, len), with the same contract as RequestParser::parse: the same `out` on every
  // call, kIncomplete until the head is whole, kComplete with out.head_size, or kError with
  // error_reason() saying why (the proxy answers 502 then). head_request tells that the response
  // answers a HEAD request: it then has no body whatever its fields say, as 1xx, 204 and 304
  // responses have none.
  ParseStatus parse(const char* data, size_t len, ResponseHead& out, bool head_request);

  std::string_view error_reason() const { return error_reason_; }

  // Prepares for the next response, including the final one after an interim (1xx) response.
  void reset();

 private:
  ParseStatus fail(std::string_view reason);
  // Returns false, with the error recorded, if the line is malformed.
  bool parse_status_line(const char* data, size_t len, Line line, ResponseHead& out);
  ParseStatus finish(const char* data, ResponseHead& out, bool head_request);

  const Scanner* scan_;
  HeadLines lines_;
  ParseStatus state_ = ParseStatus::kIncomplete;
  std::string_view error_reason_;
};

}  // namespace fulcrum::http

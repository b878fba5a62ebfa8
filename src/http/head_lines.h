#pragma once
// The lines of a message head (RFC 9112 §2.1), found as the head's bytes arrive, with the head's
// size limits enforced on the way so that an oversized head is refused before it is complete.
//
// Resumable at any byte boundary: between calls only offsets are kept (the caller's buffer may
// move), and each byte is searched for LF once however the head arrives. Only CRLF ends a line; a
// bare LF is an error, and a bare CR is left in the line for the line's parser to refuse as a
// control byte.
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "http/message.h"
#include "http/scan.h"

namespace fulcrum::http {

// One line of a head: [begin, end) in the caller's buffer, CRLF excluded; data[end] is the CR.
struct Line {
  size_t begin = 0;
  size_t end = 0;
};

class HeadLines {
 public:
  enum class Event : uint8_t {
    kIncomplete,  // every byte given has been searched; call again with more
    kStartLine,   // `line` is the request or status line
    kFieldLine,   // `line` is a header field line
    kEnd,         // `line` is the empty line that ends the head; the head is line.end + 2 bytes
                  // (on this call and every later one)
    kError,       // error_status() says why; every later call returns kError too
  };

  // A request's start line is bounded by limits.max_request_line and may follow a few empty lines
  // (RFC 9112 §2.2); a response's is bounded by max_header_bytes only, and may not.
  HeadLines(const Limits& limits, bool request, const Scanner& scan);

  // Finds the next line in data[0, len), where data holds the message from its first byte and len
  // does not shrink between calls. Reports failure as kError with error_status() 400 (bare LF,
  // too many leading empty lines), 414 (start line too long) or 431 (head too large, too many
  // fields).
  Event next(const char* data, size_t len, Line& line);

  // Whether nothing has been searched yet: the start line may then be found by its parser.
  bool untouched() const { return scanned_ == 0 && error_status_ == 0; }
  // The fast path for a head that has arrived whole, while untouched(): takes the start line,
  // found by its parser to begin at data[0] and to end with a CRLF at `cr` with no LF before it,
  // if it is within the limits, as next() would have reported it, then the field lines after it
  // as take_fields() does. Returns whether that took the empty line that ends the head, whose
  // size head_size() then gives. Changes nothing if the start line is not taken; next() then
  // finds the line itself.
  bool take_head(const char* data, size_t len, size_t cr, std::vector<HeaderField>& fields);
  // Bytes of the head, final empty line included, once its end has been taken or reported.
  size_t head_size() const { return end_line_ + 2; }

  // The fast path for the lines between the start line and the end of the head: takes each next
  // line that is a field line in its common form (Scanner::field_lines), whole and within the
  // limits, appending its field to `fields`, and stops before the first line that is anything
  // else, leaving it to next(); takes the empty line that ends the head too, which next() then
  // reports. Returns the number of fields taken. next() then reports exactly what it would have
  // without this call, so parsers call both in turn. Does nothing before the start line, or while
  // a line is partly searched.
  size_t take_fields(const char* data, size_t len, std::vector<HeaderField>& fields);

  uint16_t error_status() const { return error_status_; }
  std::string_view error_reason() const { return error_reason_; }
  // Inline, as it runs once per message however short.
  void reset() {
    scanned_ = 0;
    line_start_ = 0;
    lines_ = 0;
    leading_empty_lines_ = 0;
    ended_ = false;
    end_line_ = 0;
    error_status_ = 0;
    error_reason_ = {};
  }

 private:
  // take_fields() past its checks of the state: the lines from line_start_, which nothing has
  // searched yet, after the start line.
  size_t take_next_fields(const char* data, size_t len, std::vector<HeaderField>& fields);
  uint16_t limit_status(size_t seen) const;
  Event fail(uint16_t status, std::string_view reason);

  const Scanner* scan_;
  Limits limits_;
  bool request_;
  size_t scanned_ = 0;     // bytes already searched for LF
  size_t line_start_ = 0;  // first byte of the line being searched
  uint32_t lines_ = 0;     // start line and field lines seen
  uint32_t leading_empty_lines_ = 0;
  bool ended_ = false;
  size_t end_line_ = 0;  // where the empty line that ends the head starts, once ended_
  uint16_t error_status_ = 0;
  std::string_view error_reason_;
};

// Parses a field line (RFC 9112 §5): a token name, a colon, a value without leading or trailing
// whitespace. `len` is how far data may be read (the scans run ahead of the line in full-width
// steps and stop at its CR). Returns false, leaving `out` unspecified, on an empty or invalid
// name, whitespace before the colon, a line starting with whitespace (obs-fold), a missing colon,
// or a control byte other than HTAB in the value.
bool parse_field_line(const Scanner& scan, const char* data, size_t len, Line line,
                      HeaderField& out);

}  // namespace fulcrum::http

#include "http/head_lines.h"

#include <algorithm>
#include <limits>

namespace fulcrum::http {

namespace {
// RFC 9112 §2.2 asks servers to ignore at least one empty line before a request line (some
// clients send an extra CRLF after a body); a handful is generous and still bounded.
constexpr uint32_t kMaxLeadingEmptyLines = 4;

bool is_ows(char c) { return c == ' ' || c == '\t'; }
}  // namespace

HeadLines::HeadLines(const Limits& limits, bool request, const Scanner& scan)
    : scan_(&scan), limits_(limits), request_(request) {}

HeadLines::Event HeadLines::fail(uint16_t status, std::string_view reason) {
  error_status_ = status;
  error_reason_ = reason;
  return Event::kError;
}

// The limit, if any, that the head breaks once `seen` bytes of it are known to precede the LF
// that ends the current line. Both limits only ever trip later as `seen` grows, and the one with
// the lower threshold is reported, so a head split anywhere fails with the same status as a head
// given whole:
//  - 414 when the start line holds more than max_request_line bytes before its CRLF, i.e. when
//    seen - line_start > max_request_line + 1 (the last byte seen may be the CR);
//  - 431 when the head, which still needs at least the LF after `seen`, exceeds max_header_bytes.
uint16_t HeadLines::limit_status(size_t seen) const {
  size_t too_long_line = std::numeric_limits<size_t>::max();
  if (request_ && lines_ == 0) too_long_line = line_start_ + limits_.max_request_line + 2;
  size_t too_large_head = limits_.max_header_bytes;
  if (seen < std::min(too_long_line, too_large_head)) return 0;
  return too_long_line <= too_large_head ? 414 : 431;
}

HeadLines::Event HeadLines::next(const char* data, size_t len, Line& line) {
  if (error_status_ != 0) return Event::kError;
  if (ended_) {
    line = {end_line_, end_line_};
    return Event::kEnd;
  }
  // An LF found at or past max_header_bytes breaks the limit anyway, so the search never needs to
  // look further, however much the caller has buffered.
  const size_t window = std::min<size_t>(len, size_t{limits_.max_header_bytes} + 1);
  for (;;) {
    if (scanned_ >= window) {
      if (uint16_t status = limit_status(window)) {
        return fail(status, status == 414 ? "request line too long" : "head too large");
      }
      return Event::kIncomplete;
    }
    const size_t lf = scanned_ + scan_->find_lf(data + scanned_, window - scanned_);
    if (lf == window) {
      scanned_ = window;
      continue;
    }
    if (uint16_t status = limit_status(lf)) {
      return fail(status, status == 414 ? "request line too long" : "head too large");
    }
    if (lf == line_start_ || data[lf - 1] != '\r') return fail(400, "bare LF");
    line = {line_start_, lf - 1};
    scanned_ = line_start_ = lf + 1;
    if (line.begin == line.end) {
      if (lines_ > 0) {
        end_line_ = line.begin;
        ended_ = true;
        return Event::kEnd;
      }
      if (!request_ || ++leading_empty_lines_ > kMaxLeadingEmptyLines) {
        return fail(400, "empty line before start line");
      }
      continue;
    }
    if (lines_++ == 0) return Event::kStartLine;
    if (lines_ - 1 > limits_.max_headers) return fail(431, "too many header fields");
    return Event::kFieldLine;
  }
}

// Inlined into both callers: take_head() runs for nearly every request.
[[gnu::always_inline]] inline size_t HeadLines::take_next_fields(const char* data, size_t len,
                                                                 std::vector<HeaderField>& fields) {
  // Within the limits, as next() would find them: each LF below max_header_bytes (limit_status),
  // and at most max_headers fields (lines_ counts the start line too). A line that breaks either
  // is left to next() to report.
  const size_t end = std::min<size_t>(len, limits_.max_header_bytes);
  if (lines_ > limits_.max_headers || line_start_ >= end) return 0;
  const size_t before = fields.size();
  const size_t next =
      scan_->field_lines(data, line_start_, end, limits_.max_headers + 1 - lines_, fields);
  const size_t taken = fields.size() - before;
  lines_ += static_cast<uint32_t>(taken);
  scanned_ = line_start_ = next;
  // The empty line that ends the head, which next() would report at once: its LF is below `end`.
  if (end - next >= 2 && data[next] == '\r' && data[next + 1] == '\n') {
    end_line_ = next;
    scanned_ = line_start_ = next + 2;
    ended_ = true;
  }
  return taken;
}

bool HeadLines::take_head(const char* data, size_t len, size_t cr,
                          std::vector<HeaderField>& fields) {
  if (limit_status(cr + 1) != 0) return false;
  lines_ = 1;
  scanned_ = line_start_ = cr + 2;
  take_next_fields(data, len, fields);
  return ended_;
}

size_t HeadLines::take_fields(const char* data, size_t len, std::vector<HeaderField>& fields) {
  if (lines_ == 0 || ended_ || error_status_ != 0 || scanned_ != line_start_) return 0;
  return take_next_fields(data, len, fields);
}

bool parse_field_line(const Scanner& scan, const char* data, size_t len, Line line,
                      HeaderField& out) {
  // data[line.end] is a CR, which is in none of the scanned classes, so every scan stops within
  // the line even though it is allowed to run over the rest of the buffer.
  const size_t name_len = scan.span_token(data + line.begin, len - line.begin);
  const size_t colon = line.begin + name_len;
  if (name_len == 0 || data[colon] != ':') return false;
  size_t value = colon + 1;
  while (value < line.end && is_ows(data[value])) ++value;
  if (value + scan.span_field_value(data + value, len - value) != line.end) return false;
  size_t end = line.end;
  while (end > value && is_ows(data[end - 1])) --end;
  out.name = {static_cast<uint32_t>(line.begin), static_cast<uint32_t>(name_len)};
  out.value = {static_cast<uint32_t>(value), static_cast<uint32_t>(end - value)};
  return true;
}

}  // namespace fulcrum::http

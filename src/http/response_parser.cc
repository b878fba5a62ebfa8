#include "http/response_parser.h"

#include <cstring>

#include "http/header_values.h"

namespace fulcrum::http {

namespace {
bool is_digit(char c) { return c >= '0' && c <= '9'; }
}  // namespace

ResponseParser::ResponseParser(const Limits& limits, const Scanner& scan)
    : scan_(&scan), lines_(limits, /*request=*/false, scan) {}

void ResponseParser::reset() {
  lines_.reset();
  state_ = ParseStatus::kIncomplete;
  error_reason_ = {};
}

ParseStatus ResponseParser::fail(std::string_view reason) {
  error_reason_ = reason;
  return state_ = ParseStatus::kError;
}

ParseStatus ResponseParser::parse(const char* data, size_t len, ResponseHead& out,
                                  bool head_request) {
  if (state_ != ParseStatus::kIncomplete) return state_;
  Line line;
  for (;;) {
    lines_.take_fields(data, len, out.headers);
    switch (lines_.next(data, len, line)) {
      case HeadLines::Event::kIncomplete:
        return ParseStatus::kIncomplete;
      case HeadLines::Event::kError:
        return fail(lines_.error_reason());
      case HeadLines::Event::kStartLine:
        if (!parse_status_line(data, len, line, out)) return state_;
        break;
      case HeadLines::Event::kFieldLine: {
        HeaderField field;
        if (!parse_field_line(*scan_, data, len, line, field))
          return fail("malformed header field");
        out.headers.push_back(field);
        break;
      }
      case HeadLines::Event::kEnd:
        out.head_size = static_cast<uint32_t>(line.end + 2);
        return finish(data, out, head_request);
    }
  }
}

// status-line = HTTP-version SP status-code SP [ reason-phrase ]. A missing SP before an empty
// reason is tolerated: some servers send "HTTP/1.1 200" and nothing about it is ambiguous.
bool ResponseParser::parse_status_line(const char* data, size_t len, Line line, ResponseHead& out) {
  out.headers.clear();
  const char* v = data + line.begin;
  const size_t size = line.end - line.begin;
  if (size < 12 || std::memcmp(v, "HTTP/", 5) != 0 || !is_digit(v[5]) || v[6] != '.' ||
      !is_digit(v[7]) || v[8] != ' ' || !is_digit(v[9]) || !is_digit(v[10]) || !is_digit(v[11]) ||
      (size > 12 && v[12] != ' ')) {
    fail("malformed status line");
    return false;
  }
  if (v[5] != '1') {
    fail("unsupported HTTP version");
    return false;
  }
  out.status = static_cast<uint16_t>((v[9] - '0') * 100 + (v[10] - '0') * 10 + (v[11] - '0'));
  if (out.status < 100) {
    fail("malformed status code");
    return false;
  }
  out.version_minor = v[7] == '0' ? 0 : 1;
  const size_t reason = line.begin + (size > 12 ? 13 : 12);
  // data[line.end] is the CR, which stops the scan within the line.
  if (reason + scan_->span_field_value(data + reason, len - reason) != line.end) {
    fail("control byte in reason phrase");
    return false;
  }
  out.reason = {static_cast<uint32_t>(reason), static_cast<uint32_t>(line.end - reason)};
  return true;
}

// Framing per RFC 9112 §6.3. Content-Length and Transfer-Encoding are checked even when the
// status says there is no body: a backend that sends malformed framing is not trusted further.
ParseStatus ResponseParser::finish(const char* data, ResponseHead& out, bool head_request) {
  ContentLength content_length;
  TransferEncoding transfer_encoding;
  ConnectionField connection;
  for (const HeaderField& field : out.headers) {
    const std::string_view name = field.name.in(data);
    const std::string_view value = field.value.in(data);
    switch (framing_field(name)) {
      case FramingField::kContentLength:
        content_length.add(value);
        break;
      case FramingField::kTransferEncoding:
        transfer_encoding.add(value);
        break;
      case FramingField::kConnection:
        connection.add(value);
        break;
      default:
        break;
    }
  }
  if (content_length.present() && transfer_encoding.present()) {
    return fail("both Content-Length and Transfer-Encoding");
  }
  if (content_length.present() && !content_length.valid()) return fail("invalid Content-Length");
  if (transfer_encoding.present()) {
    if (!transfer_encoding.valid()) return fail("invalid Transfer-Encoding");
    // RFC 9112 §6.1: framing of a 1.0 message with Transfer-Encoding must be treated as faulty.
    if (out.version_minor == 0) return fail("Transfer-Encoding in HTTP/1.0");
  }

  out.content_length = content_length.present() ? content_length.value() : 0;
  out.transfer_coded = transfer_encoding.coded();
  const bool no_body = head_request || out.status < 200 || out.status == 204 || out.status == 304;
  if (no_body) {
    out.framing = Framing::kNone;
  } else if (transfer_encoding.present()) {
    // A final coding other than chunked leaves the end to the connection's close (§6.3 item 4).
    out.framing = transfer_encoding.chunked() ? Framing::kChunked : Framing::kUntilClose;
  } else if (content_length.present()) {
    out.framing = Framing::kContentLength;
  } else {
    out.framing = Framing::kUntilClose;
  }
  // A 101 hands the connection over to another protocol: it is not kept for HTTP.
  out.keep_alive = connection.persists(out.version_minor) && out.framing != Framing::kUntilClose &&
                   out.status != 101;
  return state_ = ParseStatus::kComplete;
}

}  // namespace fulcrum::http

#include "http/request_parser.h"

#include <cstring>
#include <optional>

#include "http/header_values.h"

namespace fulcrum::http {

namespace {
Method method_from_name(std::string_view name) {
  // Methods are case-sensitive (RFC 9110 §9.1): "get" is some other method.
  static constexpr struct {
    std::string_view name;
    Method method;
  } kKnown[] = {
      {"GET", Method::kGet},         {"HEAD", Method::kHead},     {"POST", Method::kPost},
      {"PUT", Method::kPut},         {"DELETE", Method::kDelete}, {"CONNECT", Method::kConnect},
      {"OPTIONS", Method::kOptions}, {"TRACE", Method::kTrace},   {"PATCH", Method::kPatch}};
  for (const auto& known : kKnown) {
    if (name == known.name) return known.method;
  }
  return Method::kOther;
}

Slice slice(size_t begin, size_t end) {
  return {static_cast<uint32_t>(begin), static_cast<uint32_t>(end - begin)};
}

// The authority of an absolute-form target ("scheme://authority/path?query"), or nullopt for the
// other forms: origin ("/path"), asterisk ("*") and authority ("host:port", for CONNECT).
std::optional<std::string_view> absolute_form_authority(std::string_view target) {
  const size_t scheme_end = target.find("://");
  if (scheme_end == 0 || scheme_end == std::string_view::npos || target.find('/') < scheme_end) {
    return std::nullopt;
  }
  const std::string_view rest = target.substr(scheme_end + 3);
  return rest.substr(0, rest.find_first_of("/?#"));
}
}  // namespace

RequestParser::RequestParser(const Limits& limits, const Scanner& scan)
    : scan_(&scan), lines_(limits, /*request=*/true, scan) {}

void RequestParser::reset() {
  lines_.reset();
  state_ = ParseStatus::kIncomplete;
  error_status_ = 0;
  error_reason_ = {};
}

ParseStatus RequestParser::fail(uint16_t status, std::string_view reason) {
  error_status_ = status;
  error_reason_ = reason;
  return state_ = ParseStatus::kError;
}

ParseStatus RequestParser::parse(const char* data, size_t len, RequestHead& out) {
  if (state_ != ParseStatus::kIncomplete) return state_;
  Line line;
  for (;;) {
    switch (lines_.next(data, len, line)) {
      case HeadLines::Event::kIncomplete:
        return ParseStatus::kIncomplete;
      case HeadLines::Event::kError:
        return fail(lines_.error_status(), lines_.error_reason());
      case HeadLines::Event::kStartLine:
        if (!parse_request_line(data, len, line, out)) return state_;
        break;
      case HeadLines::Event::kFieldLine: {
        HeaderField field;
        if (!parse_field_line(*scan_, data, len, line, field)) {
          return fail(400, "malformed header field");
        }
        out.headers.push_back(field);
        break;
      }
      case HeadLines::Event::kEnd:
        out.head_size = static_cast<uint32_t>(line.end + 2);
        return finish(data, out);
    }
  }
}

// request-line = method SP request-target SP HTTP-version, each separated by exactly one SP.
// Starts a new head in `out`, since the start line is the first line of every message.
bool RequestParser::parse_request_line(const char* data, size_t len, Line line, RequestHead& out) {
  out.headers.clear();
  // As in parse_field_line, data[line.end] is a CR and stops every scan within the line.
  const size_t method_end = line.begin + scan_->span_token(data + line.begin, len - line.begin);
  if (method_end == line.begin || data[method_end] != ' ') {
    fail(400, "malformed method");
    return false;
  }
  const size_t target = method_end + 1;
  const size_t target_end = target + scan_->span_target(data + target, len - target);
  if (target_end == target || data[target_end] != ' ') {
    fail(400, "malformed target");
    return false;
  }
  const size_t version = target_end + 1;
  const char* v = data + version;
  if (line.end - version != 8 || std::memcmp(v, "HTTP/", 5) != 0 || v[5] < '0' || v[5] > '9' ||
      v[6] != '.' || v[7] < '0' || v[7] > '9') {
    fail(400, "malformed version");
    return false;
  }
  if (v[5] != '1') {
    fail(505, "unsupported HTTP version");
    return false;
  }

  out.method_name = slice(line.begin, method_end);
  out.method = method_from_name(out.method_name.in(data));
  out.target = slice(target, target_end);
  out.version_minor = v[7] == '0' ? 0 : 1;
  return true;
}

// Decides framing and persistence once all fields are known (RFC 9112 §6.3, §9.3).
ParseStatus RequestParser::finish(const char* data, RequestHead& out) {
  ContentLength content_length;
  TransferEncoding transfer_encoding;
  uint32_t hosts = 0;
  bool close = false, keep_alive = false, connection_upgrade = false, upgrade_field = false;
  out.expect_continue = false;
  out.host = {};
  for (const HeaderField& field : out.headers) {
    const std::string_view name = field.name.in(data);
    const std::string_view value = field.value.in(data);
    if (equals_ignore_case(name, "content-length")) {
      content_length.add(value);
    } else if (equals_ignore_case(name, "transfer-encoding")) {
      transfer_encoding.add(value);
    } else if (equals_ignore_case(name, "host")) {
      if (hosts++ == 0) out.host = field.value;
    } else if (equals_ignore_case(name, "connection")) {
      for_each_list_element(value, [&](std::string_view option) {
        close = close || equals_ignore_case(option, "close");
        keep_alive = keep_alive || equals_ignore_case(option, "keep-alive");
        connection_upgrade = connection_upgrade || equals_ignore_case(option, "upgrade");
      });
    } else if (equals_ignore_case(name, "upgrade")) {
      upgrade_field = true;
    } else if (equals_ignore_case(name, "expect")) {
      // HTTP/1.0 has no 100 Continue, so its Expect is ignored (RFC 9110 §10.1.1).
      out.expect_continue = out.expect_continue ||
                            (out.version_minor >= 1 && equals_ignore_case(value, "100-continue"));
    }
  }

  if (hosts > 1) return fail(400, "more than one Host");
  if (hosts == 0 && out.version_minor >= 1) return fail(400, "missing Host");
  // An absolute-form target names its host itself, and a backend may follow it rather than the
  // Host field (RFC 9112 §3.2.2) while routing here reads the field: the two must agree.
  // Userinfo is refused as RFC 9110 §4.2.4 advises.
  if (auto authority = absolute_form_authority(out.target.in(data))) {
    if (authority->find('@') != std::string_view::npos) return fail(400, "userinfo in the target");
    if (hosts == 0 || !equals_ignore_case(*authority, out.host.in(data))) {
      return fail(400, "Host differs from the target's authority");
    }
  }
  out.content_length = 0;
  if (transfer_encoding.present()) {
    // A 1.0 recipient could not have known chunked; with Content-Length too, the two could be
    // framed either way (RFC 9112 §6.1): both are classic smuggling vectors.
    if (out.version_minor == 0) return fail(400, "Transfer-Encoding in HTTP/1.0");
    if (content_length.present()) return fail(400, "both Content-Length and Transfer-Encoding");
    if (!transfer_encoding.valid() || !transfer_encoding.chunked()) {
      return fail(400, "Transfer-Encoding not ending in chunked");
    }
    out.framing = Framing::kChunked;
  } else if (content_length.present()) {
    if (!content_length.valid()) return fail(400, "invalid Content-Length");
    out.framing = Framing::kContentLength;
    out.content_length = content_length.value();
  } else {
    out.framing = Framing::kNone;
  }
  out.keep_alive = out.version_minor >= 1 ? !close : keep_alive && !close;
  out.upgrade = connection_upgrade && upgrade_field;
  return state_ = ParseStatus::kComplete;
}

}  // namespace fulcrum::http

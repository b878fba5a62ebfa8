#include "http/request_parser.h"

#include <cstring>
#include <optional>
#include <type_traits>
#include <utility>

#include "http/header_values.h"

namespace fulcrum::http {

namespace {
// Whether `name`, of the same length as `known`, is `known`: a compare of constant size, which
// the compiler unrolls.
template <size_t kSize>
bool is(std::string_view name, const char (&known)[kSize]) {
  for (size_t i = 0; i + 1 < kSize; ++i) {
    if (name[i] != known[i]) return false;
  }
  return true;
}

// Whether p starts with `word`, a literal of 4 or 8 characters, compared as one integer.
template <size_t kSize>
bool starts_with_word(const char* p, const char (&word)[kSize]) {
  using Word = std::conditional_t<kSize == 9, uint64_t, uint32_t>;
  static_assert(kSize == 5 || kSize == 9);
  Word a, b;
  std::memcpy(&a, p, sizeof a);
  std::memcpy(&b, word, sizeof b);
  return a == b;
}

Method method_from_name(std::string_view name) {
  // Methods are case-sensitive (RFC 9110 §9.1): "get" is some other method.
  switch (name.size()) {
    case 3:
      if (is(name, "GET")) return Method::kGet;
      if (is(name, "PUT")) return Method::kPut;
      break;
    case 4:
      if (is(name, "POST")) return Method::kPost;
      if (is(name, "HEAD")) return Method::kHead;
      break;
    case 5:
      if (is(name, "PATCH")) return Method::kPatch;
      if (is(name, "TRACE")) return Method::kTrace;
      break;
    case 6:
      if (is(name, "DELETE")) return Method::kDelete;
      break;
    case 7:
      if (is(name, "OPTIONS")) return Method::kOptions;
      if (is(name, "CONNECT")) return Method::kConnect;
      break;
  }
  return Method::kOther;
}

Slice slice(size_t begin, size_t end) {
  return {static_cast<uint32_t>(begin), static_cast<uint32_t>(end - begin)};
}

// The scheme and authority of an absolute-form target ("scheme://authority/path?query"; a '#' has
// been refused), or nullopt for the other forms: origin ("/path"), asterisk ("*") and authority
// ("host:port", for CONNECT).
struct SchemeAndAuthority {
  std::string_view scheme, authority;
};
std::optional<SchemeAndAuthority> absolute_form_authority(std::string_view target) {
  if (target.starts_with('/')) return std::nullopt;  // origin form, most targets: no search
  const size_t scheme_end = target.find("://");
  if (scheme_end == 0 || scheme_end == std::string_view::npos || target.find('/') < scheme_end) {
    return std::nullopt;
  }
  const std::string_view rest = target.substr(scheme_end + 3);
  return SchemeAndAuthority{target.substr(0, scheme_end), rest.substr(0, rest.find_first_of("/?"))};
}

// Whether two authorities of a `scheme` URI name the same host and port: the host without case,
// and an empty port or the scheme's default the same as none (RFC 3986 §6.2.3), so that
// "http://a:80/" goes with "Host: a" and "http://a/" with "Host: a:80".
bool same_authority(std::string_view scheme, std::string_view a, std::string_view b) {
  const std::string_view default_port = equals_ignore_case(scheme, "http")    ? "80"
                                        : equals_ignore_case(scheme, "https") ? "443"
                                                                              : "";
  auto [host_a, port_a] = split_authority(a);
  auto [host_b, port_b] = split_authority(b);
  if (port_a == default_port) port_a = {};
  if (port_b == default_port) port_b = {};
  return equals_ignore_case(host_a, host_b) && port_a == port_b;
}
}  // namespace

RequestParser::RequestParser(const Limits& limits, const Scanner& scan)
    : scan_(&scan), lines_(limits, /*request=*/true, scan) {}

ParseStatus RequestParser::fail(uint16_t status, std::string_view reason) {
  error_status_ = status;
  error_reason_ = reason;
  return state_ = ParseStatus::kError;
}

ParseStatus RequestParser::parse(const char* data, size_t len, RequestHead& out) {
  if (state_ != ParseStatus::kIncomplete) return state_;
  // Fast path: a request line that has arrived whole is parsed without first being searched for
  // its LF, and HeadLines takes it as next() would have, with the field lines after it; a head
  // that has arrived whole in its common form is then complete. Anything else (a malformed or
  // partial line, one beyond the limits, leading empty lines) is left to next(), on the first
  // call only, so that no byte is searched more than twice however the head arrives.
  if (lines_.untouched()) {
    LineError ignored;
    const size_t cr = parse_request_line(data, len, 0, kEndUnknown, out, ignored);
    if (cr != kEndUnknown && lines_.take_head(data, len, cr, out.headers)) {
      out.head_size = static_cast<uint32_t>(lines_.head_size());
      return finish(data, out);
    }
  } else {
    lines_.take_fields(data, len, out.headers);
  }
  Line line;
  for (;;) {
    switch (lines_.next(data, len, line)) {
      case HeadLines::Event::kIncomplete:
        return ParseStatus::kIncomplete;
      case HeadLines::Event::kError:
        return fail(lines_.error_status(), lines_.error_reason());
      case HeadLines::Event::kStartLine: {
        LineError error;
        if (parse_request_line(data, len, line.begin, line.end, out, error) == kEndUnknown) {
          return fail(error.status, error.reason);
        }
        break;
      }
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
    lines_.take_fields(data, len, out.headers);
  }
}

// request-line = method SP request-target SP HTTP-version, each separated by exactly one SP.
// Starts a new head in `out`, since the start line is the first line of every message.
size_t RequestParser::parse_request_line(const char* data, size_t len, size_t begin, size_t cr,
                                         RequestHead& out, LineError& error) const {
  out.headers.clear();
  // When the line's end is known, data[cr] is a CR, which stops every scan within the line;
  // otherwise a scan may reach len. GET and POST, the most common methods by far, are matched
  // with the SP after them by a compare or two, without a scan.
  size_t method_end;
  if (len - begin >= 4 && starts_with_word(data + begin, "GET ")) {
    method_end = begin + 3;
    out.method = Method::kGet;
  } else if (len - begin >= 5 && starts_with_word(data + begin, "POST") && data[begin + 4] == ' ') {
    method_end = begin + 4;
    out.method = Method::kPost;
  } else {
    method_end = begin + scan_->span_token(data + begin, len - begin);
    if (method_end == begin || method_end == len || data[method_end] != ' ') {
      error = {400, "malformed method"};
      return kEndUnknown;
    }
    out.method = method_from_name({data + begin, method_end - begin});
  }
  const size_t target = method_end + 1;
  const size_t target_end = target + scan_->span_target(data + target, len - target);
  if (target_end == target || target_end == len || data[target_end] != ' ') {
    error = {400, "malformed target"};
    return kEndUnknown;
  }
  const size_t version = target_end + 1;
  const char* v = data + version;
  const bool whole =
      cr == kEndUnknown ? len - version >= 10 && v[8] == '\r' && v[9] == '\n' : cr - version == 8;
  if (!whole) {
    error = {400, "malformed version"};
    return kEndUnknown;
  }
  // Nearly always HTTP/1.1, in one compare.
  out.version_minor = 1;
  if (!starts_with_word(v, "HTTP/1.1")) {
    if (!is(std::string_view(v, 5), "HTTP/") || v[5] < '0' || v[5] > '9' || v[6] != '.' ||
        v[7] < '0' || v[7] > '9') {
      error = {400, "malformed version"};
      return kEndUnknown;
    }
    if (v[5] != '1') {
      error = {505, "unsupported HTTP version"};
      return kEndUnknown;
    }
    out.version_minor = v[7] == '0' ? 0 : 1;
  }
  out.method_name = slice(begin, method_end);
  out.target = slice(target, target_end);
  return version + 8;
}

// Decides framing and persistence once all fields are known (RFC 9112 §6.3, §9.3).
ParseStatus RequestParser::finish(const char* data, RequestHead& out) {
  ContentLength content_length;
  TransferEncoding transfer_encoding;
  uint32_t hosts = 0;
  ConnectionField connection;
  bool upgrade_field = false;
  bool upgrade_h2c = false;
  out.expect_continue = false;
  out.host = {};
  for (const HeaderField& field : out.headers) {
    const FramingField which = framing_field(field.name.in(data));
    if (which == FramingField::kOther) continue;  // most fields
    const std::string_view value = field.value.in(data);
    switch (which) {
      case FramingField::kOther:
        break;
      case FramingField::kContentLength:
        content_length.add(value);
        break;
      case FramingField::kTransferEncoding:
        transfer_encoding.add(value);
        break;
      case FramingField::kHost:
        if (hosts++ == 0) out.host = field.value;
        break;
      case FramingField::kConnection:
        connection.add(value);
        break;
      case FramingField::kUpgrade:
        upgrade_field = true;
        upgrade_h2c = upgrade_h2c || list_has_token(value, "h2c");
        break;
      case FramingField::kExpect:
        // HTTP/1.0 has no 100 Continue, so its Expect is ignored (RFC 9110 §10.1.1).
        out.expect_continue =
            out.expect_continue || (out.version_minor >= 1 && equals_lower(value, "100-continue"));
        break;
    }
  }

  if (hosts > 1) return fail(400, "more than one Host");
  if (hosts == 0 && out.version_minor >= 1) return fail(400, "missing Host");
  if (hosts == 1 && !valid_host(out.host.in(data))) return fail(400, "invalid Host");
  // An absolute-form target names its host itself, and a backend may follow it rather than the
  // Host field (RFC 9112 §3.2.2) while routing here reads the field: the two must agree.
  // Userinfo is refused as RFC 9110 §4.2.4 advises.
  const std::string_view target = out.target.in(data);
  if (auto absolute = absolute_form_authority(target)) {
    if (absolute->authority.find('@') != std::string_view::npos) {
      return fail(400, "userinfo in the target");
    }
    if (hosts == 0 || !same_authority(absolute->scheme, absolute->authority, out.host.in(data))) {
      return fail(400, "Host differs from the target's authority");
    }
  } else if (!target.starts_with('/') && !(target == "*" && out.method == Method::kOptions) &&
             out.method != Method::kConnect) {
    // Neither origin form nor absolute form: "*" is for OPTIONS, authority form for CONNECT
    // (RFC 9112 §3.2), and a backend would read anything else its own way.
    return fail(400, "target in no form the method allows");
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
  out.keep_alive = connection.persists(out.version_minor);
  // Never to h2c: HTTP/2 in the tunnel would carry requests that no route or header rule sees to
  // whichever backend took the first one (h2c smuggling). Its Upgrade is then stripped, as Envoy,
  // Traefik and Go's ReverseProxy do, and the request goes as a plain one.
  out.upgrade = connection.upgrade && upgrade_field && !upgrade_h2c;
  return state_ = ParseStatus::kComplete;
}

}  // namespace fulcrum::http

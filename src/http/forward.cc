#include "http/forward.h"

#include <algorithm>
#include <vector>

#include "http/header_values.h"

namespace fulcrum::http {

namespace {
constexpr std::string_view kPseudonym = "fulcrum";

bool is(std::string_view name, std::string_view lower_case_name) {
  return equals_ignore_case(name, lower_case_name);
}

// The field names the proxy acts on.
enum class Name : uint8_t {
  kOther,
  kConnection,
  kKeepAlive,
  kProxyConnection,
  kTe,
  kTrailer,
  kUpgrade,
  kTransferEncoding,
  kContentLength,
  kExpect,
  kHost,
  kVia,
  kXForwardedFor,
  kXForwardedProto,
  kXForwardedHost,
};

// Which of them `name` (a token) is, in any case. The length and first letter rule out nearly
// every other name in a branch or two.
Name classify(std::string_view name) {
  const char first = static_cast<char>(name.empty() ? 0 : name[0] | 0x20);
  switch (name.size()) {
    case 2:
      return equals_lower(name, "te") ? Name::kTe : Name::kOther;
    case 3:
      return equals_lower(name, "via") ? Name::kVia : Name::kOther;
    case 4:
      return equals_lower(name, "host") ? Name::kHost : Name::kOther;
    case 6:
      return equals_lower(name, "expect") ? Name::kExpect : Name::kOther;
    case 7:
      if (first == 't') return equals_lower(name, "trailer") ? Name::kTrailer : Name::kOther;
      return equals_lower(name, "upgrade") ? Name::kUpgrade : Name::kOther;
    case 10:
      if (first == 'c') return equals_lower(name, "connection") ? Name::kConnection : Name::kOther;
      return equals_lower(name, "keep-alive") ? Name::kKeepAlive : Name::kOther;
    case 14:
      return equals_lower(name, "content-length") ? Name::kContentLength : Name::kOther;
    case 15:
      return equals_lower(name, "x-forwarded-for") ? Name::kXForwardedFor : Name::kOther;
    case 16:
      if (first == 'p') {
        return equals_lower(name, "proxy-connection") ? Name::kProxyConnection : Name::kOther;
      }
      return equals_lower(name, "x-forwarded-host") ? Name::kXForwardedHost : Name::kOther;
    case 17:
      if (first == 't') {
        return equals_lower(name, "transfer-encoding") ? Name::kTransferEncoding : Name::kOther;
      }
      return equals_lower(name, "x-forwarded-proto") ? Name::kXForwardedProto : Name::kOther;
  }
  return Name::kOther;
}

// Hop-by-hop in both directions (RFC 9110 §7.6.1), beside what Connection names. (Trailer is
// not: it announces the trailer fields of a chunked body, which go on with it.)
bool is_always_hop_by_hop(Name name) {
  return name == Name::kConnection || name == Name::kKeepAlive || name == Name::kProxyConnection ||
         name == Name::kTe;
}

// The options that a head's Connection fields list. Their lengths are kept as a set, so that a
// field whose name has none of them (nearly every field: the options are mostly "keep-alive" or
// "close") is settled without reading the lists.
class ConnectionOptions {
 public:
  ConnectionOptions(const char* base, const std::vector<HeaderField>& headers)
      : base_(base), headers_(headers) {
    for (const HeaderField& f : headers) {
      if (!equals_lower(f.name.in(base), "connection")) continue;
      if (first_ == nullptr) first_ = &f;
      for_each_list_element(f.value.in(base),
                            [&](std::string_view option) { lengths_ |= bit(option.size()); });
    }
  }

  // Whether an option names the field `name`; Content-Length, Transfer-Encoding and Host are
  // never taken as named (see forward.h).
  bool name(std::string_view name, Name kind) const {
    if ((lengths_ & bit(name.size())) == 0 || kind == Name::kContentLength ||
        kind == Name::kTransferEncoding || kind == Name::kHost) {
      return false;
    }
    for (const HeaderField* f = first_; f != headers_.data() + headers_.size(); ++f) {
      if (is(f->name.in(base_), "connection") && list_has_token(f->value.in(base_), name)) {
        return true;
      }
    }
    return false;
  }

 private:
  // Lengths from 63 on share a bit.
  static uint64_t bit(size_t length) { return uint64_t{1} << std::min<size_t>(length, 63); }

  const char* base_;
  const std::vector<HeaderField>& headers_;
  const HeaderField* first_ = nullptr;
  uint64_t lengths_ = 0;
};

// Appends a head's lines to `out`. Lines that read in the head already as they are to be
// written ("name: value" and CRLF, for a field) are copied from it, a run of consecutive ones
// at a time, which for most heads is nearly all of them in a few copies.
class HeadWriter {
 public:
  HeadWriter(const char* base, base::Buffer& out) : base_(base), out_(out) {}

  base::Buffer& out() {
    flush();
    return out_;
  }

  // The head's bytes [from, to), when they are what is to be written.
  void copy(uint32_t from, uint32_t to) {
    if (run_end_ != from) {
      flush();
      run_start_ = from;
    }
    run_end_ = to;
  }

  // Writes "name: value" and CRLF, copying the field's line if it reads so already.
  void field(const HeaderField& f) {
    const uint32_t name_end = f.name.off + f.name.len;
    const uint32_t end = f.value.off + f.value.len;
    if (f.value.off == name_end + 2 && base_[name_end] == ':' && base_[name_end + 1] == ' ' &&
        base_[end] == '\r' && base_[end + 1] == '\n') {
      copy(f.name.off, end + 2);
    } else {
      field(f.name.in(base_), f.value.in(base_));
    }
  }

  void field(std::string_view name, std::string_view value) {
    flush();
    out_.append(name);
    out_.append(": ");
    out_.append(value);
    out_.append("\r\n");
  }

  // Appends `element` to a list field, or starts the list if the field is empty.
  void list_field(std::string_view name, std::string_view value, std::string_view element,
                  std::string_view element_rest = {}) {
    flush();
    out_.append(name);
    out_.append(": ");
    if (!value.empty()) {
      out_.append(value);
      out_.append(", ");
    }
    out_.append(element);
    // An empty view may have no data pointer, which memcpy must not be given even for 0 bytes.
    if (!element_rest.empty()) out_.append(element_rest);
    out_.append("\r\n");
  }

  // Writes the message's Content-Length as one field in place of the first of its Content-Length
  // fields, and drops the others: duplicates ("5, 5", or two "5" fields) are accepted on the way
  // in (RFC 9110 §8.6) but are not passed on, since the next recipient might read them
  // differently; that holds in a response without a body (to HEAD, a 304) too.
  void content_length(uint64_t length) {
    if (length_written_) return;
    flush();
    out_.append("Content-Length: ");
    out_.append_decimal(length);
    out_.append("\r\n");
    length_written_ = true;
  }

 private:
  void flush() {
    if (run_end_ > run_start_) out_.append(base_ + run_start_, run_end_ - run_start_);
    run_start_ = run_end_ = 0;
  }

  const char* base_;
  base::Buffer& out_;
  // The run of the head's bytes still to be copied. Nothing starts at 0 but the start line.
  uint32_t run_start_ = 0;
  uint32_t run_end_ = 0;
  bool length_written_ = false;
};

// Whether the edits drop a field of this name: it is removed, or set to a new value.
bool edited_away(const HeaderEdits* edits, std::string_view name) {
  if (edits == nullptr) return false;
  for (const std::string& r : edits->remove) {
    if (is(name, r)) return true;
  }
  for (const HeaderEdit& e : edits->set) {
    if (is(name, e.name)) return true;
  }
  return false;
}

// Whether the edits name this field at all: then the proxy leaves it to them.
bool touched(const HeaderEdits* edits, std::string_view name) {
  if (edits == nullptr) return false;
  for (const HeaderEdit& e : edits->add) {
    if (is(name, e.name)) return true;
  }
  return edited_away(edits, name);
}

void append_edits(const HeaderEdits* edits, HeadWriter& w) {
  if (edits == nullptr) return;
  for (const HeaderEdit& e : edits->set) w.field(e.name, e.value);
  for (const HeaderEdit& e : edits->add) w.field(e.name, e.value);
}

// No edits at all, as most routes have: then no name need be looked for among them.
const HeaderEdits* if_any(const HeaderEdits* edits) {
  return edits != nullptr && !edits->empty() ? edits : nullptr;
}

struct RequestRules {
  const RequestHead& req;
  const ForwardInfo& info;
  const HeaderEdits* edits;
  ConnectionOptions connection;

  bool keeps_upgrade() const { return info.forward_upgrade && req.upgrade; }

  bool keep(std::string_view name, Name kind) const {
    if (is_always_hop_by_hop(kind) || kind == Name::kExpect) return false;
    if (kind == Name::kUpgrade) return keeps_upgrade();
    if (kind == Name::kTransferEncoding) return req.framing == Framing::kChunked;
    return !connection.name(name, kind) && !edited_away(edits, name);
  }
};
}  // namespace

void write_request_head(const char* base, const RequestHead& req, const ForwardInfo& info,
                        base::Buffer& out) {
  const HeaderEdits* edits = if_any(info.edits);
  const RequestRules rules{req, info, edits, ConnectionOptions(base, req.headers)};
  // Forwarding fields are extended in their last kept occurrence, so find those first.
  const HeaderField* last_forwarded_for = nullptr;
  const HeaderField* last_via = nullptr;
  // Forwarding fields that are off, or that the edits take care of, count as present.
  const bool add_for = info.forwarded && !touched(edits, "x-forwarded-for");
  const bool add_via = !touched(edits, "via");
  bool has_host = false;
  bool has_proto = !info.forwarded || touched(edits, "x-forwarded-proto");
  bool has_forwarded_host = !info.forwarded || touched(edits, "x-forwarded-host");
  for (const HeaderField& field : req.headers) {
    const std::string_view name = field.name.in(base);
    const Name kind = classify(name);
    if (!rules.keep(name, kind)) continue;
    if (kind == Name::kXForwardedFor) {
      if (add_for) last_forwarded_for = &field;
    } else if (kind == Name::kVia) {
      if (add_via) last_via = &field;
    } else if (kind == Name::kHost) {
      has_host = true;
    } else if (kind == Name::kXForwardedProto) {
      has_proto = true;
    } else if (kind == Name::kXForwardedHost) {
      has_forwarded_host = true;
    }
  }
  const std::string_view via_version = req.version_minor == 0 ? "1.0 " : "1.1 ";

  HeadWriter w(base, out);
  const std::string_view method = req.method_name.in(base);
  const std::string_view target = req.target.in(base);
  constexpr std::string_view kVersion = " HTTP/1.1\r\n";
  const uint32_t target_end = req.target.off + req.target.len;
  if (req.method_name.off == 0 && req.target.off == method.size() + 1 &&
      base[method.size()] == ' ' &&
      std::string_view(base + target_end, kVersion.size()) == kVersion) {
    w.copy(0, target_end + static_cast<uint32_t>(kVersion.size()));
  } else {
    base::Buffer& o = w.out();
    o.append(method);
    o.append(' ');
    o.append(target);
    o.append(kVersion);
  }
  for (const HeaderField& field : req.headers) {
    const std::string_view name = field.name.in(base);
    const Name kind = classify(name);
    if (!rules.keep(name, kind)) continue;
    if (req.framing == Framing::kContentLength && kind == Name::kContentLength) {
      w.content_length(req.content_length);
    } else if (&field == last_forwarded_for && !info.client_ip.empty()) {
      w.list_field(name, field.value.in(base), info.client_ip);
    } else if (&field == last_via) {
      w.list_field(name, field.value.in(base), via_version, kPseudonym);
    } else {
      w.field(field);
    }
  }
  if (!has_host && !info.default_host.empty()) w.field("Host", info.default_host);
  if (add_for && last_forwarded_for == nullptr && !info.client_ip.empty()) {
    w.field("X-Forwarded-For", info.client_ip);
  }
  if (!has_proto) w.field("X-Forwarded-Proto", info.proto);
  if (!has_forwarded_host && has_host) w.field("X-Forwarded-Host", req.host.in(base));
  if (add_via && last_via == nullptr) w.list_field("Via", {}, via_version, kPseudonym);
  append_edits(edits, w);
  if (!info.request_id.empty() && !touched(edits, "x-request-id")) {
    w.field("X-Request-ID", info.request_id);
  }
  if (rules.keeps_upgrade()) w.field("Connection", "upgrade");
  w.out().append("\r\n");
}

void write_response_head(const char* base, const ResponseHead& resp, bool close,
                         uint8_t client_version_minor, base::Buffer& out,
                         const HeaderEdits& all_edits) {
  const HeaderEdits* edits = if_any(&all_edits);
  const bool switching = resp.status == 101;
  const bool chunked_to_client = resp.framing == Framing::kChunked && client_version_minor >= 1;
  // The body goes on as it came, so its codings stay named: chunked, or another one until the
  // connection's end (never to an HTTP/1.0 client, which the proxy answers 502 instead).
  const bool keeps_transfer_encoding =
      chunked_to_client ||
      (resp.framing == Framing::kUntilClose && resp.transfer_coded && client_version_minor >= 1);
  // Only the payload of a chunked body goes to an HTTP/1.0 client: its trailer fields do not.
  const bool dechunked = resp.framing == Framing::kChunked && !chunked_to_client;
  close = close || resp.framing == Framing::kUntilClose || dechunked;
  const ConnectionOptions connection(base, resp.headers);
  // A 1xx or 204 never has a body, and a sender must not say it has a length (RFC 9110 §8.6): a
  // recipient that took one would read the next response's bytes as its body. A 304 or a
  // response to HEAD keeps its length, that of the body it stands for.
  const bool length_forbidden = resp.status < 200 || resp.status == 204;

  HeadWriter w(base, out);
  // "HTTP/1.1 ", the three digits of the status and a space, then the reason.
  constexpr std::string_view kVersion = "HTTP/1.1 ";
  const uint32_t reason_end = resp.reason.off + resp.reason.len;
  if (std::string_view(base, kVersion.size()) == kVersion && resp.reason.off == 13 &&
      base[12] == ' ' && base[reason_end] == '\r' && base[reason_end + 1] == '\n') {
    w.copy(0, reason_end + 2);
  } else {
    base::Buffer& o = w.out();
    o.append(kVersion);
    o.append_decimal(resp.status);
    o.append(' ');
    o.append(resp.reason.in(base));
    o.append("\r\n");
  }
  for (const HeaderField& field : resp.headers) {
    const std::string_view name = field.name.in(base);
    const Name kind = classify(name);
    if (is_always_hop_by_hop(kind)) continue;
    // The parser took the response only if its Content-Length fields agree on one number.
    if (kind == Name::kContentLength) {
      if (!length_forbidden) w.content_length(resp.content_length);
      continue;
    }
    if (kind == Name::kUpgrade) {
      if (!switching) continue;
    } else if (kind == Name::kTransferEncoding) {
      if (!keeps_transfer_encoding) continue;
    } else if ((kind == Name::kTrailer && dechunked) || connection.name(name, kind) ||
               edited_away(edits, name)) {
      continue;
    }
    w.field(field);
  }
  append_edits(edits, w);
  if (switching) {
    w.field("Connection", "upgrade");
  } else if (close) {
    w.field("Connection", "close");
  } else if (client_version_minor == 0) {
    w.field("Connection", "keep-alive");
  }
  w.out().append("\r\n");
}

}  // namespace fulcrum::http

#include "http/forward.h"

#include <vector>

#include "http/header_values.h"

namespace fulcrum::http {

namespace {
constexpr std::string_view kPseudonym = "fulcrum";

bool is(std::string_view name, std::string_view lower_case_name) {
  return equals_ignore_case(name, lower_case_name);
}

// Hop-by-hop in both directions (RFC 9110 §7.6.1), beside what Connection names.
bool is_always_hop_by_hop(std::string_view name) {
  return is(name, "connection") || is(name, "keep-alive") || is(name, "proxy-connection") ||
         is(name, "te") || is(name, "trailer");
}

// Whether a Connection field, from `connection` on, names `name`; Content-Length,
// Transfer-Encoding and Host are never taken as named (see forward.h).
bool named_by_connection(const char* base, const std::vector<HeaderField>& headers,
                         const HeaderField* connection, std::string_view name) {
  if (connection == nullptr || is(name, "content-length") || is(name, "transfer-encoding") ||
      is(name, "host")) {
    return false;
  }
  for (const HeaderField* f = connection; f != headers.data() + headers.size(); ++f) {
    if (is(f->name.in(base), "connection") && list_has_token(f->value.in(base), name)) {
      return true;
    }
  }
  return false;
}

void append_field(base::Buffer& out, std::string_view name, std::string_view value) {
  out.append(name);
  out.append(": ");
  out.append(value);
  out.append("\r\n");
}

// Appends `element` to a list field, or starts the list if the field is empty.
void append_list_field(base::Buffer& out, std::string_view name, std::string_view value,
                       std::string_view element, std::string_view element_rest = {}) {
  out.append(name);
  out.append(": ");
  if (!value.empty()) {
    out.append(value);
    out.append(", ");
  }
  out.append(element);
  // An empty view may have no data pointer, which memcpy must not be given even for 0 bytes.
  if (!element_rest.empty()) out.append(element_rest);
  out.append("\r\n");
}

// Writes the body length as one Content-Length field in place of the first of the message's
// Content-Length fields, and drops the others: duplicates ("5, 5", or two "5" fields) are
// accepted on the way in (RFC 9110 §8.6) but are not passed on, since the next recipient might
// read them differently. Returns whether `field` was a Content-Length field.
bool rewrite_content_length(const char* base, const HeaderField& field, uint64_t length,
                            bool& written, base::Buffer& out) {
  if (!is(field.name.in(base), "content-length")) return false;
  if (!written) {
    out.append("Content-Length: ");
    out.append_decimal(length);
    out.append("\r\n");
    written = true;
  }
  return true;
}

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

void append_edits(const HeaderEdits* edits, base::Buffer& out) {
  if (edits == nullptr) return;
  for (const HeaderEdit& e : edits->set) append_field(out, e.name, e.value);
  for (const HeaderEdit& e : edits->add) append_field(out, e.name, e.value);
}

struct RequestRules {
  const char* base;
  const RequestHead& req;
  const ForwardInfo& info;
  const HeaderField* connection;

  bool keeps_upgrade() const { return info.forward_upgrade && req.upgrade; }

  bool keep(const HeaderField& field) const {
    const std::string_view name = field.name.in(base);
    if (is_always_hop_by_hop(name) || is(name, "expect")) return false;
    if (is(name, "upgrade")) return keeps_upgrade();
    if (is(name, "transfer-encoding")) return req.framing == Framing::kChunked;
    return !named_by_connection(base, req.headers, connection, name) &&
           !edited_away(info.edits, name);
  }
};
}  // namespace

void write_request_head(const char* base, const RequestHead& req, const ForwardInfo& info,
                        base::Buffer& out) {
  const RequestRules rules{base, req, info, find_header(base, req.headers, "connection")};
  // Forwarding fields are extended in their last kept occurrence, so find those first.
  const HeaderField* last_forwarded_for = nullptr;
  const HeaderField* last_via = nullptr;
  // Forwarding fields that are off, or that the edits take care of, count as present.
  const bool add_for = info.forwarded && !touched(info.edits, "x-forwarded-for");
  const bool add_via = !touched(info.edits, "via");
  bool has_host = false;
  bool has_proto = !info.forwarded || touched(info.edits, "x-forwarded-proto");
  bool has_forwarded_host = !info.forwarded || touched(info.edits, "x-forwarded-host");
  for (const HeaderField& field : req.headers) {
    if (!rules.keep(field)) continue;
    const std::string_view name = field.name.in(base);
    if (is(name, "x-forwarded-for")) {
      if (add_for) last_forwarded_for = &field;
    } else if (is(name, "via")) {
      if (!add_via) continue;
      last_via = &field;
    } else if (is(name, "host")) {
      has_host = true;
    } else if (is(name, "x-forwarded-proto")) {
      has_proto = true;
    } else if (is(name, "x-forwarded-host")) {
      has_forwarded_host = true;
    }
  }
  const std::string_view via_version = req.version_minor == 0 ? "1.0 " : "1.1 ";

  out.append(req.method_name.in(base));
  out.append(' ');
  out.append(req.target.in(base));
  out.append(" HTTP/1.1\r\n");
  bool length_written = false;
  for (const HeaderField& field : req.headers) {
    if (!rules.keep(field)) continue;
    if (req.framing == Framing::kContentLength &&
        rewrite_content_length(base, field, req.content_length, length_written, out)) {
      continue;
    }
    const std::string_view name = field.name.in(base);
    const std::string_view value = field.value.in(base);
    if (&field == last_forwarded_for && !info.client_ip.empty()) {
      append_list_field(out, name, value, info.client_ip);
    } else if (&field == last_via) {
      append_list_field(out, name, value, via_version, kPseudonym);
    } else {
      append_field(out, name, value);
    }
  }
  if (!has_host && !info.default_host.empty()) append_field(out, "Host", info.default_host);
  if (add_for && last_forwarded_for == nullptr && !info.client_ip.empty()) {
    append_field(out, "X-Forwarded-For", info.client_ip);
  }
  if (!has_proto) append_field(out, "X-Forwarded-Proto", info.proto);
  if (!has_forwarded_host && has_host) append_field(out, "X-Forwarded-Host", req.host.in(base));
  if (add_via && last_via == nullptr) append_list_field(out, "Via", {}, via_version, kPseudonym);
  append_edits(info.edits, out);
  if (!info.request_id.empty() && !touched(info.edits, "x-request-id")) {
    append_field(out, "X-Request-ID", info.request_id);
  }
  if (rules.keeps_upgrade()) append_field(out, "Connection", "upgrade");
  out.append("\r\n");
}

void write_response_head(const char* base, const ResponseHead& resp, bool close,
                         uint8_t client_version_minor, base::Buffer& out,
                         const HeaderEdits& edits) {
  const bool switching = resp.status == 101;
  const bool chunked_to_client = resp.framing == Framing::kChunked && client_version_minor >= 1;
  close = close || resp.framing == Framing::kUntilClose ||
          (resp.framing == Framing::kChunked && !chunked_to_client);
  const HeaderField* connection = find_header(base, resp.headers, "connection");

  out.append("HTTP/1.1 ");
  out.append_decimal(resp.status);
  out.append(' ');
  out.append(resp.reason.in(base));
  out.append("\r\n");
  bool length_written = false;
  for (const HeaderField& field : resp.headers) {
    const std::string_view name = field.name.in(base);
    if (is_always_hop_by_hop(name)) continue;
    if (resp.framing == Framing::kContentLength &&
        rewrite_content_length(base, field, resp.content_length, length_written, out)) {
      continue;
    }
    if (is(name, "upgrade")) {
      if (!switching) continue;
    } else if (is(name, "transfer-encoding")) {
      if (!chunked_to_client) continue;
    } else if (named_by_connection(base, resp.headers, connection, name) ||
               edited_away(&edits, name)) {
      continue;
    }
    append_field(out, name, field.value.in(base));
  }
  append_edits(&edits, out);
  if (switching) {
    append_field(out, "Connection", "upgrade");
  } else if (close) {
    append_field(out, "Connection", "close");
  } else if (client_version_minor == 0) {
    append_field(out, "Connection", "keep-alive");
  }
  out.append("\r\n");
}

}  // namespace fulcrum::http

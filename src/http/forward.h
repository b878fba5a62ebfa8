#pragma once
// What the proxy changes in a head as it passes through (RFC 9110 §7.6): hop-by-hop fields are
// removed, forwarding fields are added, and the result is serialized into a base::Buffer.
//
// Fields that a Connection option names are hop-by-hop too, except Content-Length,
// Transfer-Encoding and Host: a client that lists those in Connection must not make the proxy
// and the backend frame or route the message differently. For the same reason a body length
// given by duplicate Content-Length values ("5, 5") is passed on as a single "Content-Length: 5".
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/buffer.h"
#include "http/message.h"

namespace fulcrum::http {

// One header edit; `value` is empty for removals.
struct HeaderEdit {
  std::string name;
  std::string value;
};

// Changes to the fields of a forwarded head, from the configuration. Names are never framing
// or hop-by-hop fields (the configuration rejects those), so edits cannot desynchronise.
struct HeaderEdits {
  std::vector<HeaderEdit> add;  // appended, even if the message has the field already
  std::vector<HeaderEdit> set;  // replaces every field of that name
  std::vector<std::string> remove;
  bool empty() const { return add.empty() && set.empty() && remove.empty(); }
};

struct ForwardInfo {
  std::string_view client_ip;  // appended to X-Forwarded-For; nothing is added if empty
  std::string_view proto = "http";
  // The backend's host:port, sent as Host only when an HTTP/1.0 request had none.
  std::string_view default_host;
  // The route's edits: fields they remove or set are dropped, then set and add are appended. A
  // field the proxy would add or extend (X-Forwarded-For, -Proto, -Host, Via, X-Request-ID) that
  // the edits name at all is left to them.
  const HeaderEdits* edits = nullptr;
  // Whether X-Forwarded-For, -Proto and -Host are added (or extended); when not, the client's
  // own pass through unchanged.
  bool forwarded = true;
  // Sent as X-Request-ID when not empty (the caller checks the request has none).
  std::string_view request_id;
  // Whether the proxy tunnels protocol upgrades: if so, a request with req.upgrade keeps its
  // Upgrade field and is sent with "Connection: upgrade"; if not, the upgrade is stripped.
  bool forward_upgrade = false;
};

// Appends to `out` the head to send to a backend: "<method> <target> HTTP/1.1" (always 1.1 so
// that the backend connection can be kept alive), then every field except the hop-by-hop ones
// (Connection and the fields it names, Keep-Alive, Proxy-Connection, TE, Upgrade,
// Expect, which the proxy answers itself, and Transfer-Encoding unless the body is chunked, in
// which case the body is forwarded chunked). Appends the client to X-Forwarded-For (", ip" after
// the last existing one, or a new field), adds X-Forwarded-Proto and X-Forwarded-Host (the
// original Host) if absent (unless !info.forwarded), appends "1.x fulcrum" to Via (x the
// client's version), adds Host from info.default_host if the request had none, applies
// info.edits and adds info.request_id. Cannot fail.
void write_request_head(const char* base, const RequestHead& req, const ForwardInfo& info,
                        base::Buffer& out);

// Appends to `out` the head to send to the client: "HTTP/1.1 <status> <reason>" (right for 1.0
// clients too, RFC 9110 §6.2), every field except the hop-by-hop ones (Connection and the fields
// it names, Keep-Alive, Proxy-Connection, TE, Upgrade; Trailer when a chunked body goes to an
// HTTP/1.0 client without its trailer fields) and Transfer-Encoding unless the
// body goes on as it came to a 1.1 client: chunked (framing kChunked), or under another coding
// until the connection's end (kUntilClose with resp.transfer_coded), and Content-Length in a 1xx
// or 204, which must not have one (RFC 9110 §8.6). Then
// "Connection: close" if `close`, or "Connection: keep-alive" for a kept HTTP/1.0 client.
// A body whose end the client can only learn from the connection closing forces
// "Connection: close" whatever `close` says: kUntilClose, and kChunked to an HTTP/1.0 client
// (the proxy then sends only the payload and closes). A 101 keeps its Upgrade field and gets
// "Connection: upgrade". The edits apply as for requests. Cannot fail.
void write_response_head(const char* base, const ResponseHead& resp, bool close,
                         uint8_t client_version_minor, base::Buffer& out,
                         const HeaderEdits& edits = {});

}  // namespace fulcrum::http

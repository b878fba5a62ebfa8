#include "proxy/error_response.h"

#include "http/status.h"

namespace fulcrum::proxy {

void write_error_response(int status, base::Buffer& out) {
  std::string_view reason = http::reason_phrase(status);
  out.append("HTTP/1.1 ");
  out.append_decimal(static_cast<unsigned>(status));
  out.append(' ');
  out.append(reason);
  out.append("\r\nContent-Type: text/plain\r\nContent-Length: ");
  out.append_decimal(reason.size() + 1);
  // A client that hit 503 may come back; HAProxy and nginx leave the interval to the client, we
  // suggest one second so that a retry loop does not hammer a pool that has no backend up.
  if (status == 503) out.append("\r\nRetry-After: 1");
  // A 405 must say what is allowed (RFC 9110 §15.5.6); fulcrum answers one only on a metrics
  // route, which serves GET and HEAD.
  if (status == 405) out.append("\r\nAllow: GET, HEAD");
  out.append("\r\nConnection: close\r\n\r\n");
  out.append(reason);
  out.append('\n');
}

}  // namespace fulcrum::proxy

#include "echo.h"

#include "json.h"

namespace fulcrum::backend {

namespace {

bool same_name(const char* base, const http::HeaderField& a, const http::HeaderField& b) {
  return http::equals_ignore_case(a.name.in(base), b.name.in(base));
}

// Quadratic in the number of fields, but heads are small (the parser caps them at a hundred) and
// this needs no memory of its own.
void append_headers(base::Buffer& out, const std::vector<http::HeaderField>& fields,
                    const char* base) {
  out.append('{');
  bool first = true;
  for (size_t i = 0; i < fields.size(); ++i) {
    bool seen = false;
    for (size_t j = 0; j < i && !seen; ++j) seen = same_name(base, fields[j], fields[i]);
    if (seen) continue;
    if (!first) out.append(", ");
    first = false;
    append_json_string(out, fields[i].name.in(base), /*lower_ascii=*/true);
    out.append(": \"");
    append_json_escaped(out, fields[i].value.in(base));
    for (size_t k = i + 1; k < fields.size(); ++k) {
      if (!same_name(base, fields[i], fields[k])) continue;
      out.append(", ");
      append_json_escaped(out, fields[k].value.in(base));
    }
    out.append('"');
  }
  out.append('}');
}

}  // namespace

void begin_echo(base::Buffer& out, std::string_view server_json, const http::RequestHead& head,
                const char* base) {
  out.clear();
  out.append("{\"server\": ");
  out.append(server_json);
  out.append(", \"method\": ");
  append_json_string(out, head.method_name.in(base));
  out.append(", \"uri\": ");
  append_json_string(out, head.target.in(base));
  out.append(", \"headers\": ");
  append_headers(out, head.headers, base);
  out.append(", \"body_length\": ");
}

void finish_echo(base::Buffer& out, uint64_t body_length, std::optional<std::string_view> body) {
  out.append_decimal(body_length);
  out.append(", \"body\": ");
  if (body && is_valid_utf8(*body)) {
    append_json_string(out, *body);
  } else {
    out.append("null");
  }
  out.append('}');
}

}  // namespace fulcrum::backend

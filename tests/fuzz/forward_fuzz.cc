// Fuzz target: the forwarding rules (http/forward.h), a property check of write_request_head and
// write_response_head against what forward.h documents.
//
// The input is parsed as a request and as a response (at most one of them completes: a method
// has no '/', a status line starts with "HTTP/"). A complete head is forwarded a few times, each
// time with fuzzer-chosen ForwardInfo or response flags and HeaderEdits, after whatever bytes the
// output buffer already held; those must stay, and what was appended must be one head that the
// same parser accepts whole, exactly as long as what was appended, with:
//  - the same method and target (requests) or status and reason (responses), in HTTP/1.1;
//  - the same framing: Content-Length as one field with the same value (none in a 1xx or 204
//    response), chunked requests still chunked; responses chunked to HTTP/1.1 clients, else
//    (chunked to 1.0, or until close) with "Connection: close", and without Transfer-Encoding
//    unless a body under another coding goes to a 1.1 client until close;
//  - no hop-by-hop field (Keep-Alive, Proxy-Connection, TE; Expect in requests) and
//    Connection, Upgrade, Transfer-Encoding and Trailer only as documented; no field that the
//    output's own Connection names but the documented Upgrade;
//  - every other field of the input that is kept, in the same order with the same name and value,
//    and nothing else but what the rules add: the fields the proxy extends or adds (Host,
//    X-Forwarded-For, -Proto, -Host, Via, X-Request-ID, Connection, Content-Length) and those the
//    edits name, which are compared name by name, value by value.
// Where forward.h leaves a detail open, forward.cc's own comments decide: an edit that names a
// forwarding field takes it over (the proxy neither adds nor extends it), X-Forwarded-For and Via
// are extended in their last kept field, a value that was empty gets the new element alone.
//
// (Which head the input holds is not read from its first byte, so that the seeds stay byte-exact
// messages; the choices come from its last bytes, as in the other targets.)
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <initializer_list>
#include <iterator>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/buffer.h"
#include "fuzz_target.h"
#include "http/forward.h"
#include "http/message.h"
#include "http/request_parser.h"
#include "http/response_parser.h"

namespace fulcrum::http {
namespace {

using fuzz::Choices;
using fuzz::FreshCopy;

constexpr int kRounds = 4;  // forwardings of each complete head, each with its own choices

// Limits that the output never meets: it may be longer than the input, which met the defaults.
constexpr Limits kRoomy{1u << 20, 1u << 24, 1u << 16};

struct Field {
  std::string_view name;
  std::string_view value;
};

std::vector<Field> fields_of(const char* base, const std::vector<HeaderField>& headers) {
  std::vector<Field> out;
  out.reserve(headers.size());
  for (const HeaderField& f : headers) out.push_back({f.name.in(base), f.value.in(base)});
  return out;
}

bool is(std::string_view name, std::string_view other) { return equals_ignore_case(name, other); }

std::string_view trim(std::string_view s) {
  while (!s.empty() && fuzz::is_ows(s.front())) s.remove_prefix(1);
  while (!s.empty() && fuzz::is_ows(s.back())) s.remove_suffix(1);
  return s;
}

// Calls f(element) for each element of a comma-separated list, trimmed.
template <class F>
void for_each_element(std::string_view list, F&& f) {
  for (;;) {
    const size_t comma = list.find(',');
    f(trim(list.substr(0, comma)));
    if (comma == std::string_view::npos) return;
    list.remove_prefix(comma + 1);
  }
}

bool lists(std::string_view list, std::string_view token) {
  bool found = false;
  for_each_element(list, [&](std::string_view e) { found = found || is(e, token); });
  return found;
}

// Whether any Connection field of `fields` names `name`.
bool named_by_connection(const std::vector<Field>& fields, std::string_view name) {
  for (const Field& f : fields) {
    if (is(f.name, "connection") && lists(f.value, name)) return true;
  }
  return false;
}

bool has(const std::vector<Field>& fields, std::string_view name) {
  for (const Field& f : fields) {
    if (is(f.name, name)) return true;
  }
  return false;
}

std::vector<std::string> values_of(const std::vector<Field>& fields, std::string_view name) {
  std::vector<std::string> out;
  for (const Field& f : fields) {
    if (is(f.name, name)) out.emplace_back(f.value);
  }
  return out;
}

// The value of a list of Content-Length values that are all the same decimal number, if they are.
std::optional<uint64_t> length_of(const std::vector<std::string>& values) {
  std::optional<uint64_t> length;
  bool ok = !values.empty();
  for (const std::string& v : values) {
    for_each_element(v, [&](std::string_view e) {
      uint64_t n = 0;
      if (e.empty()) ok = false;
      while (e.size() > 1 && e.front() == '0') e.remove_prefix(1);  // "007" is 7
      if (e.size() > 19) ok = false;  // more digits than any length below 2^63
      for (char c : e) {
        if (c < '0' || c > '9') ok = false;
        n = n * 10 + static_cast<uint64_t>(c - '0');
      }
      if (length && *length != n) ok = false;
      length = n;
    });
  }
  return ok ? length : std::nullopt;
}

// Fields that are hop-by-hop whatever Connection says (forward.h).
bool always_hop_by_hop(std::string_view name) {
  return is(name, "connection") || is(name, "keep-alive") || is(name, "proxy-connection") ||
         is(name, "te");
}

// Fields that a Connection option never makes hop-by-hop (forward.h).
bool never_named(std::string_view name) {
  return is(name, "content-length") || is(name, "transfer-encoding") || is(name, "host");
}

template <class T>
T pick(Choices& choices, std::initializer_list<T> options) {
  return options.begin()[choices.below(options.size())];
}

// Edits as a route's configuration may hold them: ordinary names only, in any case, some naming
// forwarding fields, some fields of the shared corpus.
HeaderEdits choose_edits(Choices& choices) {
  static constexpr std::string_view kNames[] = {
      "x-a",          "X-A",    "X-Trace",       "via",    "x-forwarded-for", "X-Forwarded-Proto",
      "X-Request-ID", "accept", "cache-control", "Server", "x-forwarded-host"};
  static constexpr std::string_view kValues[] = {"1", "", "a, b", "1.1 edge"};
  HeaderEdits edits;
  for (size_t n = choices.below(5); n > 0; --n) {
    const std::string name(kNames[choices.below(std::size(kNames))]);
    const std::string value(kValues[choices.below(std::size(kValues))]);
    switch (choices.below(3)) {
      case 0:
        edits.add.push_back({name, value});
        break;
      case 1:
        edits.set.push_back({name, value});
        break;
      default:
        edits.remove.push_back(name);
        break;
    }
  }
  return edits;
}

// Whether the edits drop the message's own fields of this name: they remove or set it.
bool edited_away(const HeaderEdits* edits, std::string_view name) {
  if (edits == nullptr) return false;
  for (const HeaderEdit& e : edits->set) {
    if (is(name, e.name)) return true;
  }
  for (const std::string& r : edits->remove) {
    if (is(name, r)) return true;
  }
  return false;
}

// What the edits leave of a name: the message's kept values, then set's, then add's.
std::vector<std::string> edited_values(const HeaderEdits& edits, std::string_view name,
                                       std::vector<std::string> kept) {
  for (const HeaderEdit& e : edits.set) {
    if (is(name, e.name)) kept.push_back(e.value);
  }
  for (const HeaderEdit& e : edits.add) {
    if (is(name, e.name)) kept.push_back(e.value);
  }
  return kept;
}

// A list value with `element` appended to its last field, or a new one.
std::vector<std::string> extended(std::vector<std::string> values, const std::string& element) {
  if (values.empty()) {
    values.push_back(element);
  } else if (values.back().empty()) {
    values.back() = element;
  } else {
    values.back() += ", " + element;
  }
  return values;
}

void print_fields(const char* label, const std::vector<Field>& fields) {
  std::fprintf(stderr, "  %s:\n", label);
  for (const Field& f : fields) {
    std::fprintf(stderr, "    %.*s: %.*s\n", static_cast<int>(f.name.size()), f.name.data(),
                 static_cast<int>(f.value.size()), f.value.data());
  }
}

void print_edits(const HeaderEdits* edits) {
  if (edits == nullptr) {
    std::fprintf(stderr, "  edits: none\n");
    return;
  }
  for (const HeaderEdit& e : edits->set) {
    std::fprintf(stderr, "  edit: set %s: %s\n", e.name.c_str(), e.value.c_str());
  }
  for (const HeaderEdit& e : edits->add) {
    std::fprintf(stderr, "  edit: add %s: %s\n", e.name.c_str(), e.value.c_str());
  }
  for (const std::string& r : edits->remove) std::fprintf(stderr, "  edit: remove %s\n", r.c_str());
}

// The names whose output the rules decide (each mapped to its expected values, in order), and
// which input fields go through unchanged: together, what the output's fields must be.
struct Expectation {
  std::vector<std::pair<std::string, std::vector<std::string>>> managed;
  std::vector<Field> kept;  // input fields of other names that pass unchanged, in order

  const std::vector<std::string>* managed_values(std::string_view name) const {
    for (const auto& [n, values] : managed) {
      if (is(n, name)) return &values;
    }
    return nullptr;
  }
  void manage(std::string_view name, std::vector<std::string> values) {
    if (managed_values(name) == nullptr) managed.emplace_back(std::string(name), std::move(values));
  }
};

// Checks the output's fields against the expectation, printing both when they differ.
void expect_fields(const char* what, const std::vector<Field>& in, const std::vector<Field>& out,
                   const Expectation& want, const HeaderEdits* edits) {
  bool ok = true;
  for (const auto& [name, values] : want.managed) {
    if (values_of(out, name) != values) {
      std::fprintf(stderr, "%s: the output's %s fields are not the %zu expected:\n", what,
                   name.c_str(), values.size());
      for (const std::string& v : values) std::fprintf(stderr, "    want %s\n", v.c_str());
      ok = false;
    }
  }
  std::vector<Field> passed;
  for (const Field& f : out) {
    if (want.managed_values(f.name) == nullptr) passed.push_back(f);
  }
  bool same = passed.size() == want.kept.size();
  for (size_t i = 0; same && i < passed.size(); ++i) {
    same = passed[i].name == want.kept[i].name && passed[i].value == want.kept[i].value;
  }
  if (!same) {
    std::fprintf(stderr, "%s: the fields passed unchanged differ from the input's kept ones\n",
                 what);
    print_fields("kept (want)", want.kept);
    print_fields("passed (got)", passed);
    ok = false;
  }
  if (!ok) {
    print_fields("input", in);
    print_fields("output", out);
    print_edits(edits);
  }
  FUZZ_CHECK(ok);
}

// Appends some bytes to `out`, which forwarding must leave as they are.
std::string_view choose_prefix(Choices& choices) {
  return pick<std::string_view>(choices, {"", "", "x", "HTTP/1.1 100 Continue\r\n\r\n"});
}

// The head appended to `out` after `prefix`, in an allocation of exactly its size.
FreshCopy appended(const base::Buffer& out, std::string_view prefix) {
  const std::string_view all = out.view();
  FUZZ_CHECK(all.size() >= prefix.size() && all.substr(0, prefix.size()) == prefix);
  const std::string_view head = all.substr(prefix.size());
  return FreshCopy(head, head.size());
}

// A forwarded head must parse whole, to exactly the bytes the writer appended; when it does not,
// the parser's reason and the head are printed first.
void expect_parsed_whole(const char* what, ParseStatus status, std::string_view reason,
                         const FreshCopy& head, uint32_t head_size) {
  if (status != ParseStatus::kComplete) {
    std::fprintf(stderr, "%s does not parse: %.*s\n%.*s", what, static_cast<int>(reason.size()),
                 reason.data(), static_cast<int>(head.size()), head.data());
  }
  FUZZ_CHECK(status == ParseStatus::kComplete);
  FUZZ_CHECK(head_size == head.size());
}

void check_request(std::string_view input, const RequestHead& req, Choices& choices) {
  const char* base = input.data();
  const std::vector<Field> in = fields_of(base, req.headers);

  const HeaderEdits edits = choose_edits(choices);
  ForwardInfo info;
  info.client_ip = pick<std::string_view>(choices, {"", "192.0.2.1", "2001:db8::7"});
  info.proto = pick<std::string_view>(choices, {"http", "https"});
  // Never empty in the proxy (a backend's name), which HTTP/1.0 requests without Host need.
  info.default_host = pick<std::string_view>(choices, {"backend:8080", "[::1]:9000"});
  info.edits = choices.flip() ? &edits : nullptr;
  info.forwarded = choices.flip();
  // The caller gives one only to a request that has none.
  if (choices.flip() && !has(in, "x-request-id")) info.request_id = "req-42";
  info.forward_upgrade = choices.flip();
  const bool keeps_upgrade = info.forward_upgrade && req.upgrade;

  base::Buffer out;
  const std::string_view prefix = choose_prefix(choices);
  out.append(prefix);
  write_request_head(base, req, info, out);
  const FreshCopy head = appended(out, prefix);

  RequestParser parser(kRoomy);
  RequestHead got;
  const ParseStatus status = parser.parse(head.data(), head.size(), got);
  expect_parsed_whole("forwarded request", status, parser.error_reason(), head, got.head_size);
  const std::vector<Field> outf = fields_of(head.data(), got.headers);

  // The request line, always in HTTP/1.1.
  FUZZ_CHECK(got.method == req.method);
  FUZZ_CHECK(got.method_name.in(head.data()) == req.method_name.in(base));
  FUZZ_CHECK(got.target.in(head.data()) == req.target.in(base));
  FUZZ_CHECK(got.version_minor == 1);
  FUZZ_CHECK(std::string_view(head.data(), head.size()).find(" HTTP/1.1\r\n") ==
             uint64_t{got.target.off} + got.target.len);

  // Framing, persistence and routing.
  FUZZ_CHECK(got.framing == req.framing);
  FUZZ_CHECK(got.content_length == req.content_length);
  FUZZ_CHECK(got.keep_alive);
  FUZZ_CHECK(!got.expect_continue);
  FUZZ_CHECK(got.upgrade == keeps_upgrade);
  const std::string_view host = has(in, "host") ? req.host.in(base) : info.default_host;
  FUZZ_CHECK(got.host.in(head.data()) == host);

  // No hop-by-hop field but the documented ones.
  for (const Field& f : outf) {
    FUZZ_CHECK(!is(f.name, "keep-alive") && !is(f.name, "proxy-connection") && !is(f.name, "te") &&
               !is(f.name, "expect"));
    if (is(f.name, "upgrade")) FUZZ_CHECK(keeps_upgrade);
    if (is(f.name, "connection")) FUZZ_CHECK(keeps_upgrade && f.value == "upgrade");
    if (is(f.name, "transfer-encoding")) FUZZ_CHECK(req.framing == Framing::kChunked);
    if (!is(f.name, "upgrade")) FUZZ_CHECK(!named_by_connection(outf, f.name));
  }
  if (req.framing == Framing::kContentLength) {
    FUZZ_CHECK(values_of(outf, "content-length").size() == 1);
  }

  // Which input fields are kept (forward.h), and the values of the fields the rules change.
  const auto kept = [&](std::string_view name) {
    if (always_hop_by_hop(name) || is(name, "expect")) return false;
    if (is(name, "upgrade")) return keeps_upgrade;
    if (is(name, "transfer-encoding")) return req.framing == Framing::kChunked;
    if (!never_named(name) && named_by_connection(in, name)) return false;
    return !edited_away(info.edits, name);
  };
  std::vector<Field> kept_fields;
  for (const Field& f : in) {
    if (kept(f.name)) kept_fields.push_back(f);
  }
  Expectation want;
  if (info.edits != nullptr) {
    // An edit takes the field it names over: the proxy neither adds nor extends it.
    for (const auto& list : {edits.add, edits.set}) {
      for (const HeaderEdit& e : list) {
        want.manage(e.name, edited_values(edits, e.name, values_of(kept_fields, e.name)));
      }
    }
    for (const std::string& r : edits.remove) {
      want.manage(r, edited_values(edits, r, values_of(kept_fields, r)));
    }
  }
  want.manage("connection",
              keeps_upgrade ? std::vector<std::string>{"upgrade"} : std::vector<std::string>{});
  if (req.framing == Framing::kContentLength) {
    want.manage("content-length", {std::to_string(req.content_length)});
  }
  if (!has(kept_fields, "host")) want.manage("host", {std::string(info.default_host)});
  if (info.forwarded && !info.client_ip.empty()) {
    want.manage("x-forwarded-for",
                extended(values_of(kept_fields, "x-forwarded-for"), std::string(info.client_ip)));
  }
  if (info.forwarded && !has(kept_fields, "x-forwarded-proto")) {
    want.manage("x-forwarded-proto", {std::string(info.proto)});
  }
  if (info.forwarded && !has(kept_fields, "x-forwarded-host") && has(kept_fields, "host")) {
    want.manage("x-forwarded-host", {std::string(req.host.in(base))});
  }
  want.manage("via", extended(values_of(kept_fields, "via"),
                              req.version_minor == 0 ? "1.0 fulcrum" : "1.1 fulcrum"));
  if (!info.request_id.empty()) {
    want.manage("x-request-id", extended({}, std::string(info.request_id)));
  }
  for (const Field& f : kept_fields) {
    if (want.managed_values(f.name) == nullptr) want.kept.push_back(f);
  }
  expect_fields("forwarded request", in, outf, want, info.edits);
}

void check_response(std::string_view input, const ResponseHead& resp, bool head_request,
                    Choices& choices) {
  const char* base = input.data();
  const std::vector<Field> in = fields_of(base, resp.headers);

  const HeaderEdits edits = choose_edits(choices);
  const bool close = choices.flip();
  const uint8_t client_minor = static_cast<uint8_t>(choices.below(2));
  const bool switching = resp.status == 101;
  const bool chunked_to_client = resp.framing == Framing::kChunked && client_minor >= 1;
  const bool keeps_transfer_encoding =
      chunked_to_client ||
      (resp.framing == Framing::kUntilClose && resp.transfer_coded && client_minor >= 1);
  // The payload alone, without trailer fields (and so without Trailer).
  const bool dechunked = resp.framing == Framing::kChunked && !chunked_to_client;
  // A body whose end only the connection's close tells forces it (forward.h).
  const bool closes = close || resp.framing == Framing::kUntilClose || dechunked;

  base::Buffer out;
  const std::string_view prefix = choose_prefix(choices);
  out.append(prefix);
  write_response_head(base, resp, close, client_minor, out, edits);
  const FreshCopy head = appended(out, prefix);

  ResponseParser parser(kRoomy);
  ResponseHead got;
  const ParseStatus status = parser.parse(head.data(), head.size(), got, head_request);
  expect_parsed_whole("forwarded response", status, parser.error_reason(), head, got.head_size);
  const std::vector<Field> outf = fields_of(head.data(), got.headers);

  // The status line, always in HTTP/1.1.
  FUZZ_CHECK(got.status == resp.status);
  FUZZ_CHECK(got.reason.in(head.data()) == resp.reason.in(base));
  FUZZ_CHECK(got.version_minor == 1);
  FUZZ_CHECK(std::string_view(head.data(), 9) == "HTTP/1.1 ");

  // Framing and persistence.
  switch (resp.framing) {
    case Framing::kNone:
    case Framing::kUntilClose:
      FUZZ_CHECK(got.framing == resp.framing);
      break;
    case Framing::kContentLength:
      FUZZ_CHECK(got.framing == Framing::kContentLength);
      FUZZ_CHECK(got.content_length == resp.content_length);
      break;
    case Framing::kChunked:
      FUZZ_CHECK(got.framing == (chunked_to_client ? Framing::kChunked : Framing::kUntilClose));
      break;
  }
  FUZZ_CHECK(got.keep_alive == (!closes && !switching));

  // No hop-by-hop field but the documented ones. A field named "close" is left alone: the proxy's
  // "Connection: close" names it, but it is no field of the proxy's (RFC 9110 §18.4 reserves it).
  for (const Field& f : outf) {
    FUZZ_CHECK(!is(f.name, "keep-alive") && !is(f.name, "proxy-connection") && !is(f.name, "te"));
    if (is(f.name, "trailer")) FUZZ_CHECK(!dechunked);
    if (is(f.name, "upgrade")) FUZZ_CHECK(switching);
    if (is(f.name, "transfer-encoding")) FUZZ_CHECK(keeps_transfer_encoding);
    if (!is(f.name, "upgrade") && !is(f.name, "close")) {
      FUZZ_CHECK(!named_by_connection(outf, f.name));
    }
  }
  if (resp.framing == Framing::kContentLength) {
    FUZZ_CHECK(values_of(outf, "content-length").size() == 1);
  }

  const auto kept = [&](std::string_view name) {
    if (always_hop_by_hop(name) || (is(name, "trailer") && dechunked)) return false;
    if (is(name, "upgrade")) return switching;
    if (is(name, "transfer-encoding")) return keeps_transfer_encoding;
    if (!never_named(name) && named_by_connection(in, name)) return false;
    return !edited_away(&edits, name);
  };
  std::vector<Field> kept_fields;
  for (const Field& f : in) {
    if (kept(f.name)) kept_fields.push_back(f);
  }
  Expectation want;
  for (const auto& list : {edits.add, edits.set}) {
    for (const HeaderEdit& e : list) {
      want.manage(e.name, edited_values(edits, e.name, values_of(kept_fields, e.name)));
    }
  }
  for (const std::string& r : edits.remove) {
    want.manage(r, edited_values(edits, r, values_of(kept_fields, r)));
  }
  std::vector<std::string> connection;
  if (switching) {
    connection = {"upgrade"};
  } else if (closes) {
    connection = {"close"};
  } else if (client_minor == 0) {
    connection = {"keep-alive"};
  }
  want.manage("connection", connection);
  // One field with the number, whether it frames the body or not (HEAD, 304); none in a 1xx or
  // 204, which must not have one (RFC 9110 §8.6).
  const std::vector<std::string> lengths = values_of(kept_fields, "content-length");
  const bool length_forbidden = resp.status < 200 || resp.status == 204;
  if (lengths.empty() || length_forbidden) {
    FUZZ_CHECK(resp.framing != Framing::kContentLength);
    want.manage("content-length", {});
  } else {
    FUZZ_CHECK(length_of(lengths) == resp.content_length);
    want.manage("content-length", {std::to_string(resp.content_length)});
  }
  for (const Field& f : kept_fields) {
    if (want.managed_values(f.name) == nullptr) want.kept.push_back(f);
  }
  expect_fields("forwarded response", in, outf, want, &edits);
}

}  // namespace
}  // namespace fulcrum::http

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace fulcrum::http;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  fulcrum::fuzz::Choices choices(data, size);
  RequestParser request_parser;
  RequestHead req;
  if (request_parser.parse(input.data(), input.size(), req) == ParseStatus::kComplete) {
    for (int i = 0; i < kRounds; ++i) check_request(input, req, choices);
  }
  // Parsed per round, as the answer to a HEAD request or not.
  for (int i = 0; i < kRounds; ++i) {
    const bool head_request = choices.flip();
    ResponseParser response_parser;
    ResponseHead resp;
    if (response_parser.parse(input.data(), input.size(), resp, head_request) !=
        ParseStatus::kComplete) {
      break;
    }
    check_response(input, resp, head_request, choices);
  }
  return 0;
}

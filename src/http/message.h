#pragma once
// The model of an HTTP/1.x message head, as the parsers leave it.
//
// Every string in a head is a Slice: an offset and a length into the buffer the head was parsed
// from (DESIGN principle 4). Parsing copies nothing, and a head stays meaningful when its buffer is
// moved or compacted, as long as the message still starts at the same place. The header vectors
// are meant to be reused from one message to the next: the parsers clear() them, which keeps their
// capacity, so a connection stops allocating once it has seen its largest head.
#include <cstdint>
#include <cstring>
#include <string_view>
#include <utility>
#include <vector>

namespace fulcrum::http {

struct Slice {
  uint32_t off = 0;
  uint32_t len = 0;

  std::string_view in(const char* base) const { return {base + off, len}; }
};

struct HeaderField {
  Slice name;
  Slice value;  // without leading or trailing whitespace (OWS)
};

// How the end of a message body is found (RFC 9112 §6.3). The parsers decide it, so that no
// caller has to interpret Content-Length or Transfer-Encoding itself.
enum class Framing : uint8_t {
  kNone,           // no body
  kContentLength,  // exactly content_length bytes, which may be 0
  kChunked,        // the chunked coding (see ChunkedDecoder)
  kUntilClose,     // responses only: the body ends when the server closes the connection
};

struct Limits {
  uint32_t max_request_line = 8192;   // bytes of the request line without its CRLF; more is 414
  uint32_t max_header_bytes = 32768;  // bytes of the whole head, final empty line included; 431
  uint32_t max_headers = 100;         // header fields; more is 431
  friend bool operator==(const Limits&, const Limits&) = default;
};

enum class Method : uint8_t {
  kGet,
  kHead,
  kPost,
  kPut,
  kDelete,
  kConnect,
  kOptions,
  kTrace,
  kPatch,
  kOther,  // any other token: method_name says which
};

enum class ParseStatus : uint8_t { kIncomplete, kComplete, kError };

struct RequestHead {
  Method method = Method::kOther;
  Slice method_name;
  Slice target;
  uint8_t version_minor = 1;  // HTTP/1.x; 1.2 and later are read as 1.1 (RFC 9110 §2.5)
  std::vector<HeaderField> headers;
  Framing framing = Framing::kNone;  // kNone, kContentLength or kChunked, never kUntilClose
  uint64_t content_length = 0;       // meaningful when framing is kContentLength
  bool keep_alive = false;           // 1.1 unless "Connection: close"; 1.0 only with "keep-alive"
  bool expect_continue = false;      // HTTP/1.1 "Expect: 100-continue"
  bool upgrade = false;              // Connection lists "upgrade"; Upgrade, not h2c, is present
  Slice host;                        // the Host value; len 0 if absent (allowed only in HTTP/1.0)
  uint32_t head_size = 0;            // bytes of the head, final empty line included
};

struct ResponseHead {
  uint16_t status = 0;
  Slice reason;
  uint8_t version_minor = 1;
  std::vector<HeaderField> headers;
  // kNone for responses to HEAD, 1xx, 204 and 304; else kChunked, kContentLength or kUntilClose.
  Framing framing = Framing::kNone;
  // The Content-Length field's value, when there is one (0 otherwise): the body's length when
  // framing is kContentLength; in a response without a body (to HEAD, 1xx, 204, 304), the length
  // it would have had.
  uint64_t content_length = 0;
  bool keep_alive = false;  // false whenever the body ends with the connection (kUntilClose)
  // Transfer-Encoding lists a coding other than chunked (gzip, say): only an HTTP/1.1 recipient
  // can be told it, so only one can be sent the body (RFC 9112 §6.1).
  bool transfer_coded = false;
  uint32_t head_size = 0;
};

// ASCII case-insensitive equality, as header names and most tokens compare (RFC 9110 §5.1).
// Inline, so that comparing a name with a literal of another length costs one compare: the
// parsers test every field name against each of the names that decide framing.
inline bool equals_ignore_case(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x + ('a' - 'A'));
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y + ('a' - 'A'));
    if (x != y) return false;
  }
  return true;
}

// Whether `s` equals `lower` in any case, where `lower` is lower-case letters, digits and '-' (a
// literal such as "content-length") and `s` holds no control bytes (a token or a field value, as
// the parsers leave them). ORing 0x20 into a byte then lowers a letter and turns no other byte of
// `s` into one of `lower`'s (only controls would become digits or '-'), so whole words compare at
// once: 8 bytes at a time, the last word overlapping the one before it (4 bytes below 8), so that
// only literals under 4 bytes are compared byte by byte. `lower` being a literal, the compiler
// unrolls it all.
inline bool equals_lower(std::string_view s, std::string_view lower) {
  if (s.size() != lower.size()) return false;
  const auto word_equals = [&]<class Word>(Word, size_t at) {
    Word a, b;
    std::memcpy(&a, s.data() + at, sizeof a);
    std::memcpy(&b, lower.data() + at, sizeof b);
    return static_cast<Word>(a | static_cast<Word>(0x2020202020202020)) == b;
  };
  const size_t n = s.size();
  if (n >= 8) {
    for (size_t i = 0; i + 8 < n; i += 8) {
      if (!word_equals(uint64_t{}, i)) return false;
    }
    return word_equals(uint64_t{}, n - 8);
  }
  if (n >= 4) return word_equals(uint32_t{}, 0) && word_equals(uint32_t{}, n - 4);
  for (size_t i = 0; i < n; ++i) {
    if ((s[i] | 0x20) != lower[i]) return false;
  }
  return true;
}

// An authority ("host", "host:port", "[v6]:port", as in a Host field) as its host and its port,
// the port empty if there is none.
std::pair<std::string_view, std::string_view> split_authority(std::string_view authority);

// The path of a request target, with its query: origin-form as it is, absolute-form from the end
// of "scheme://authority" on, which is the first '/' or '?' after "://" (RFC 3986 §3.2; a target
// has no fragment, as the parser refuses a '#'). A
// path that is empty there ("http://h?q=/admin/") is "/" (RFC 9112 §3.2.1), as a backend reads
// it: the '/' of a query is not where a path starts. Other forms ("*", an authority) as they are.
std::string_view target_path(std::string_view target);

// The first header named `name` (in any case), or nullptr if there is none.
const HeaderField* find_header(const char* base, const std::vector<HeaderField>& headers,
                               std::string_view name);

}  // namespace fulcrum::http

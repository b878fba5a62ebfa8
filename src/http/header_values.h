#pragma once
// The header values that decide how a message is framed and whether its connection persists:
// comma-separated lists (RFC 9110 §5.6.1), Content-Length (RFC 9110 §8.6) and Transfer-Encoding
// (RFC 9112 §6.1). Strict where a lenient reading could let two parties disagree about where a
// message ends (request smuggling).
#include <cstdint>
#include <string_view>

#include "http/message.h"

namespace fulcrum::http {

// The fields that decide a message's framing and persistence, which the parsers look for among
// all the fields of every head.
enum class FramingField : uint8_t {
  kOther,
  kHost,
  kExpect,
  kUpgrade,
  kConnection,
  kContentLength,
  kTransferEncoding,
};

// Which of those fields `name` (a token) is, in any case. Each has a length of its own, so the
// length and the first letter rule out nearly every other name in one branch, which the CPU
// predicts well since most names are other names.
inline FramingField framing_field(std::string_view name) {
  // The first letter of the field with each length, or 0 (no name has it: tokens have no NUL).
  static constexpr char kFirst[] = {0, 0,   0, 0, 'h', 0,   'e', 'u', 0,
                                    0, 'c', 0, 0, 0,   'c', 0,   0,   't'};
  if (name.empty() || name.size() >= sizeof kFirst || (name[0] | 0x20) != kFirst[name.size()]) {
    return FramingField::kOther;
  }
  switch (name.size()) {
    case 4:
      return equals_lower(name, "host") ? FramingField::kHost : FramingField::kOther;
    case 6:
      return equals_lower(name, "expect") ? FramingField::kExpect : FramingField::kOther;
    case 7:
      return equals_lower(name, "upgrade") ? FramingField::kUpgrade : FramingField::kOther;
    case 10:
      return equals_lower(name, "connection") ? FramingField::kConnection : FramingField::kOther;
    case 14:
      return equals_lower(name, "content-length") ? FramingField::kContentLength
                                                  : FramingField::kOther;
    case 17:
      return equals_lower(name, "transfer-encoding") ? FramingField::kTransferEncoding
                                                     : FramingField::kOther;
  }
  return FramingField::kOther;
}

// Calls f(element) for each element of a comma-separated list, whitespace around it trimmed.
// Empty elements are passed too ("a,,b" gives "a", "", "b"; "" gives ""): the framing fields
// refuse them, other callers skip them.
template <class F>
void for_each_list_element(std::string_view list, F&& f) {
  for (;;) {
    // A loop rather than find(), whose call costs more than the few bytes of a typical list.
    size_t comma = 0;
    while (comma < list.size() && list[comma] != ',') ++comma;
    std::string_view element = list.substr(0, comma);
    while (!element.empty() && (element.front() == ' ' || element.front() == '\t')) {
      element.remove_prefix(1);
    }
    while (!element.empty() && (element.back() == ' ' || element.back() == '\t')) {
      element.remove_suffix(1);
    }
    f(element);
    if (comma == list.size()) return;
    list.remove_prefix(comma + 1);
  }
}

// All the Connection fields of a message, fed in order: which of the options that decide the
// connection's persistence and upgrade they list.
struct ConnectionField {
  bool close = false;
  bool keep_alive = false;
  bool upgrade = false;
  void add(std::string_view value);
  // Whether the connection persists after the message, of HTTP/1.<version_minor> (RFC 9112 §9.3).
  bool persists(uint8_t version_minor) const {
    return version_minor >= 1 ? !close : keep_alive && !close;
  }
};

// Whether a list (such as a Connection value) holds `token`, compared without case.
bool list_has_token(std::string_view list, std::string_view token);

// Whether `value` is a valid Host value (RFC 9110 §7.2): uri-host [":" port] (RFC 3986 §3.2.2),
// where uri-host is an IP literal in brackets or a registered name (of unreserved bytes,
// sub-delims and %XX; an IPv4 address is one too), possibly empty, and the port is digits.
// Anything else must be answered 400 (§7.2): the proxy routes by the host it splits from the
// value, and a backend that split "a:80:90", "a b" or "a/b" its own way would serve a host that
// was not the one routed.
bool valid_host(std::string_view value);

// All the Content-Length fields of a message, fed in order. Valid when every element of every
// field is a decimal number below 2^63 and all are the same number: duplicates such as
// "5, 5" or two "5" fields are tolerated (RFC 9110 §8.6), anything else is refused.
class ContentLength {
 public:
  void add(std::string_view value);
  bool present() const { return present_; }
  bool valid() const { return valid_; }
  uint64_t value() const { return value_; }

 private:
  bool present_ = false;
  bool valid_ = true;
  uint64_t value_ = 0;
};

// All the Transfer-Encoding fields of a message, fed in order. Valid when the codings are
// non-empty tokens and "chunked", if present, is the last one and appears only once (RFC 9112
// §6.1); chunked() says whether the final coding is chunked.
class TransferEncoding {
 public:
  void add(std::string_view value);
  bool present() const { return present_; }
  bool valid() const { return valid_; }
  bool chunked() const { return chunked_; }
  // Whether a coding other than chunked (gzip, say) applies.
  bool coded() const { return coded_; }

 private:
  bool present_ = false;
  bool valid_ = true;
  bool chunked_ = false;
  bool coded_ = false;
};

}  // namespace fulcrum::http

#include "http/header_values.h"

#include <array>
#include <limits>

#include "http/message.h"
#include "http/scan.h"

namespace fulcrum::http {

namespace {
bool is_token(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!is_token_char(c)) return false;
  }
  return true;
}

// Digits only: no sign, no whitespace inside, no hex, and at most 2^63 - 1 so that the value also
// fits every signed 64-bit offset downstream. Returns false if `s` is not such a number.
bool parse_decimal(std::string_view s, uint64_t& out) {
  constexpr uint64_t kMax = std::numeric_limits<int64_t>::max();
  if (s.empty()) return false;
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    const uint64_t digit = static_cast<uint64_t>(c - '0');
    if (v > (kMax - digit) / 10) return false;
    v = v * 10 + digit;
  }
  out = v;
  return true;
}

// unreserved and sub-delims (RFC 3986 §2.2, §2.3): the bytes of a registered name but for the
// '%' of its pct-encoded bytes.
constexpr std::array<bool, 256> kHostNameBytes = [] {
  std::array<bool, 256> bytes{};
  for (int c = 0; c < 256; ++c) {
    bytes[static_cast<size_t>(c)] =
        (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
        std::string_view("-._~!$&'()*+,;=").find(static_cast<char>(c)) != std::string_view::npos;
  }
  return bytes;
}();

bool is_host_name_byte(char c) { return kHostNameBytes[static_cast<uint8_t>(c)]; }

bool is_hex_digit(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}
}  // namespace

bool list_has_token(std::string_view list, std::string_view token) {
  bool found = false;
  for_each_list_element(
      list, [&](std::string_view element) { found = found || equals_ignore_case(element, token); });
  return found;
}

bool valid_host(std::string_view value) {
  size_t i = 0;
  if (!value.empty() && value[0] == '[') {
    // An IPv6 address or IPvFuture: hex digits, ':', '.', and for IPvFuture "v", unreserved
    // bytes and sub-delims; the bytes are looked at, not the address's form.
    const size_t close = value.find(']');
    if (close == std::string_view::npos || close == 1) return false;
    for (i = 1; i < close; ++i) {
      if (!is_host_name_byte(value[i]) && value[i] != ':') return false;
    }
    i = close + 1;
  } else {
    // Runs of name bytes, a table lookup each (every request has a Host), then what ends a run:
    // the end, a %XX, or the ':' before the port (anything else is refused below).
    for (;;) {
      while (i < value.size() && is_host_name_byte(value[i])) ++i;
      if (i == value.size() || value[i] != '%') break;
      if (value.size() - i < 3 || !is_hex_digit(value[i + 1]) || !is_hex_digit(value[i + 2])) {
        return false;
      }
      i += 3;
    }
  }
  if (i == value.size()) return true;
  if (value[i] != ':') return false;
  for (++i; i < value.size(); ++i) {
    if (value[i] < '0' || value[i] > '9') return false;
  }
  return true;
}

void ConnectionField::add(std::string_view value) {
  // Most often the one option that browsers and servers send, then no list to split.
  if (equals_lower(value, "keep-alive")) {
    keep_alive = true;
    return;
  }
  for_each_list_element(value, [&](std::string_view option) {
    close = close || equals_lower(option, "close");
    keep_alive = keep_alive || equals_lower(option, "keep-alive");
    upgrade = upgrade || equals_lower(option, "upgrade");
  });
}

void ContentLength::add(std::string_view value) {
  for_each_list_element(value, [&](std::string_view element) {
    uint64_t v = 0;
    if (!parse_decimal(element, v) || (present_ && v != value_)) valid_ = false;
    value_ = v;
    present_ = true;
  });
}

void TransferEncoding::add(std::string_view value) {
  present_ = true;
  // Most often the one coding, chunked, then no list to split.
  if (equals_lower(value, "chunked")) {
    if (chunked_) valid_ = false;
    chunked_ = true;
    return;
  }
  for_each_list_element(value, [&](std::string_view coding) {
    // Any coding after chunked, a second chunked included, leaves the body's end ambiguous.
    if (!is_token(coding) || chunked_) valid_ = false;
    chunked_ = equals_lower(coding, "chunked");
    coded_ = coded_ || !chunked_;
  });
}

}  // namespace fulcrum::http

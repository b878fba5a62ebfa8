#pragma once
// The header values that decide how a message is framed and whether its connection persists:
// comma-separated lists (RFC 9110 §5.6.1), Content-Length (RFC 9110 §8.6) and Transfer-Encoding
// (RFC 9112 §6.1). Strict where a lenient reading could let two parties disagree about where a
// message ends (request smuggling).
#include <cstdint>
#include <string_view>

namespace fulcrum::http {

// Calls f(element) for each element of a comma-separated list, whitespace around it trimmed.
// Empty elements are passed too ("a,,b" gives "a", "", "b"; "" gives ""): the framing fields
// refuse them, other callers skip them.
template <class F>
void for_each_list_element(std::string_view list, F&& f) {
  for (;;) {
    size_t comma = list.find(',');
    std::string_view element = list.substr(0, comma);
    while (!element.empty() && (element.front() == ' ' || element.front() == '\t')) {
      element.remove_prefix(1);
    }
    while (!element.empty() && (element.back() == ' ' || element.back() == '\t')) {
      element.remove_suffix(1);
    }
    f(element);
    if (comma == std::string_view::npos) return;
    list.remove_prefix(comma + 1);
  }
}

// Whether a list (such as a Connection value) holds `token`, compared without case.
bool list_has_token(std::string_view list, std::string_view token);

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

 private:
  bool present_ = false;
  bool valid_ = true;
  bool chunked_ = false;
};

}  // namespace fulcrum::http

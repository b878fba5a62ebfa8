#pragma once
// What the backend writes: response heads, and the deterministic bytes of /bytes and /chunked.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "base/buffer.h"

namespace fulcrum::backend {

enum class BodyFraming : uint8_t { kContentLength, kChunked, kNone };  // kNone: no length field
enum class Persistence : uint8_t {
  kKeepAlive,    // HTTP/1.1 default: no Connection field
  kKeepAlive10,  // an HTTP/1.0 client asked for it: "Connection: keep-alive"
  kClose,        // "Connection: close"
};

// Appends a status line and the head fields, through the empty line that ends the head.
// content_type may be empty (no field); length is used with kContentLength only.
void append_head(base::Buffer& out, int status, std::string_view content_type, BodyFraming framing,
                 uint64_t length, Persistence persistence);

// Byte i of every generated body is 'a' + i % 26, so that a client can check any range.
inline constexpr size_t kPatternRun = 64 * 1024;
// kPatternRun bytes of the pattern as they appear from body offset `offset` on: the same static
// memory serves every connection, so a body of any size is sent without allocating it.
const char* pattern_at(uint64_t offset);

}  // namespace fulcrum::backend

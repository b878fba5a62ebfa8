#pragma once
// The JSON echo of a request:
//   {"server": ID, "method": M, "uri": U, "headers": {NAME: VALUE, ...}, "body_length": N,
//    "body": B}
// written in two steps, because the head lives in the read buffer only until the body is read.
#include <cstdint>
#include <optional>
#include <string_view>

#include "base/buffer.h"
#include "http/message.h"

namespace fulcrum::backend {

// The most body bytes echoed; a longer body is echoed as null (its length still exact).
inline constexpr size_t kMaxEchoedBody = 64 * 1024;

// Starts the echo in `out` (cleared first) from `head`, whose slices point into `base`. Header
// names are lower-cased and the values of repeated names joined with ", ", in order of first
// appearance. server_json is the server's id as a JSON string literal.
void begin_echo(base::Buffer& out, std::string_view server_json, const http::RequestHead& head,
                const char* base);

// Completes it. body is the whole body when it was kept (at most kMaxEchoedBody bytes), else
// nullopt; a body that is not valid UTF-8 is echoed as null too.
void finish_echo(base::Buffer& out, uint64_t body_length, std::optional<std::string_view> body);

}  // namespace fulcrum::backend

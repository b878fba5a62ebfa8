#pragma once
// The JSON the backend echoes: string literals that are always valid JSON whatever bytes a
// client sent, and the UTF-8 check that decides whether a body can be echoed at all.
#include <string_view>

#include "base/buffer.h"

namespace fulcrum::backend {

bool is_valid_utf8(std::string_view s);

// Appends s as a quoted JSON string: quote and backslash escaped, control characters as \u00XX.
// Bytes that are not valid UTF-8 (header values may carry obs-text) become \ufffd, so that the
// output stays parseable. With lower_ascii, A-Z are lower-cased (header names).
void append_json_string(base::Buffer& out, std::string_view s, bool lower_ascii = false);
// The same without the quotes, for a string built from several pieces.
void append_json_escaped(base::Buffer& out, std::string_view s, bool lower_ascii = false);

}  // namespace fulcrum::backend

#pragma once
// Reason phrases for the status codes the proxy sends or passes on (RFC 9110 §15).
#include <string_view>

namespace fulcrum::http {

// The standard reason phrase of `status`, or "Unknown" for a code without one here.
std::string_view reason_phrase(int status);

}  // namespace fulcrum::http

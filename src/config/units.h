#pragma once
// The two units written by people in flags and configuration: durations ("500ms", "10s", "2m",
// "1h", or a bare number of seconds) and sizes ("32k", "1m", "1g", or a bare number of bytes;
// k = 1024).
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace fulcrum::config {

// Returns nullopt if text is not a duration (the caller names the flag or key in its message).
std::optional<std::chrono::milliseconds> parse_duration(std::string_view text);
std::optional<uint64_t> parse_size(std::string_view text);

// How messages write a duration: "10s" when whole seconds, else "1500ms".
std::string duration_text(std::chrono::milliseconds d);

}  // namespace fulcrum::config

#include "config/units.h"

#include <charconv>

namespace fulcrum::config {
namespace {

// Splits "123abc" into 123 and "abc"; nullopt if there is no number or it overflows.
std::optional<std::pair<uint64_t, std::string_view>> number_and_suffix(std::string_view text) {
  uint64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end == text.data()) return std::nullopt;
  return std::make_pair(value, text.substr(static_cast<size_t>(end - text.data())));
}

std::optional<uint64_t> times(uint64_t value, uint64_t factor) {
  if (value > UINT64_MAX / factor) return std::nullopt;
  return value * factor;
}

}  // namespace

std::optional<std::chrono::milliseconds> parse_duration(std::string_view text) {
  auto parsed = number_and_suffix(text);
  if (!parsed) return std::nullopt;
  auto [value, suffix] = *parsed;
  std::optional<uint64_t> ms;
  if (suffix == "ms") {
    ms = value;
  } else if (suffix.empty() || suffix == "s") {
    ms = times(value, 1000);
  } else if (suffix == "m") {
    ms = times(value, 60'000);
  } else if (suffix == "h") {
    ms = times(value, 3'600'000);
  }
  if (!ms || *ms > static_cast<uint64_t>(INT64_MAX)) return std::nullopt;
  return std::chrono::milliseconds(static_cast<int64_t>(*ms));
}

std::optional<uint64_t> parse_size(std::string_view text) {
  auto parsed = number_and_suffix(text);
  if (!parsed) return std::nullopt;
  auto [value, suffix] = *parsed;
  if (suffix.empty()) return value;
  if (suffix.size() != 1) return std::nullopt;
  switch (suffix[0]) {
    case 'k':
    case 'K':
      return times(value, 1ull << 10);
    case 'm':
    case 'M':
      return times(value, 1ull << 20);
    case 'g':
    case 'G':
      return times(value, 1ull << 30);
    default:
      return std::nullopt;
  }
}

std::string duration_text(std::chrono::milliseconds d) {
  if (d.count() % 1000 == 0) return std::to_string(d.count() / 1000) + "s";
  return std::to_string(d.count()) + "ms";
}

}  // namespace fulcrum::config

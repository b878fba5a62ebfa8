#include "config/config.h"

#include <unistd.h>

#include <algorithm>
#include <charconv>

#include "config/file_headers.h"
#include "http/scan.h"

namespace fulcrum::config {

std::optional<StatusRange> parse_status_range(std::string_view text) {
  auto status = [](std::string_view t) -> std::optional<uint16_t> {
    unsigned v = 0;
    auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
    if (t.empty() || ec != std::errc() || end != t.data() + t.size() || v < 100 || v > 599) {
      return std::nullopt;
    }
    return static_cast<uint16_t>(v);
  };
  size_t dash = text.find('-');
  auto first = status(text.substr(0, dash));
  auto last = dash == std::string_view::npos ? first : status(text.substr(dash + 1));
  if (!first || !last || *first > *last) return std::nullopt;
  return StatusRange{*first, *last};
}

std::string format_status_range(const StatusRange& range) {
  std::string text = std::to_string(range.first);
  if (range.last != range.first) text += "-" + std::to_string(range.last);
  return text;
}

bool in_ranges(const std::vector<StatusRange>& ranges, unsigned status) {
  for (const StatusRange& r : ranges) {
    if (r.contains(status)) return true;
  }
  return false;
}

bool is_probe_path(std::string_view text) {
  return text.starts_with('/') && std::all_of(text.begin(), text.end(), http::is_target_char);
}

bool check_access_log(const std::string& path, std::string* error) {
  const int fd = base::open_log_file(path, error);
  if (fd >= 0) ::close(fd);
  return fd >= 0;
}

bool fit_health_timeout(HealthCheck* h) {
  if (!h->timeout_given) h->timeout = std::min(kDefaultHealthTimeout, h->interval);
  return h->timeout <= h->interval;
}

std::optional<HashKey> parse_hash_key(std::string_view text) {
  if (text == "ip") return HashKey{HashKey::Source::kClientIp, {}};
  if (text == "path") return HashKey{HashKey::Source::kPath, {}};
  for (auto [prefix, source] : {std::pair{std::string_view("header:"), HashKey::Source::kHeader},
                                std::pair{std::string_view("cookie:"), HashKey::Source::kCookie}}) {
    if (text.starts_with(prefix) && is_field_name(text.substr(prefix.size()))) {
      return HashKey{source, std::string(text.substr(prefix.size()))};
    }
  }
  return std::nullopt;
}

}  // namespace fulcrum::config

#include "config/config.h"

#include "config/file_headers.h"

namespace fulcrum::config {

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

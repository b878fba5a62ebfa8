#include "http/message.h"

namespace fulcrum::http {

std::pair<std::string_view, std::string_view> split_authority(std::string_view authority) {
  const size_t colon = authority.rfind(':');
  if (colon == std::string_view::npos || authority.find(']', colon) != std::string_view::npos) {
    return {authority, {}};  // no colon, or only those of an IPv6 literal
  }
  return {authority.substr(0, colon), authority.substr(colon + 1)};
}

std::string_view target_path(std::string_view target) {
  if (target.starts_with('/')) return target;
  const size_t scheme_end = target.find("://");
  if (scheme_end == std::string_view::npos) return target;
  const size_t path = target.find_first_of("/?", scheme_end + 3);
  return path == std::string_view::npos || target[path] != '/' ? std::string_view("/")
                                                               : target.substr(path);
}

const HeaderField* find_header(const char* base, const std::vector<HeaderField>& headers,
                               std::string_view name) {
  for (const HeaderField& field : headers) {
    if (equals_ignore_case(field.name.in(base), name)) return &field;
  }
  return nullptr;
}

}  // namespace fulcrum::http

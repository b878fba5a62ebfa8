#include "http/message.h"

namespace fulcrum::http {

std::pair<std::string_view, std::string_view> split_authority(std::string_view authority) {
  const size_t colon = authority.rfind(':');
  if (colon == std::string_view::npos || authority.find(']', colon) != std::string_view::npos) {
    return {authority, {}};  // no colon, or only those of an IPv6 literal
  }
  return {authority.substr(0, colon), authority.substr(colon + 1)};
}

const HeaderField* find_header(const char* base, const std::vector<HeaderField>& headers,
                               std::string_view name) {
  for (const HeaderField& field : headers) {
    if (equals_ignore_case(field.name.in(base), name)) return &field;
  }
  return nullptr;
}

}  // namespace fulcrum::http

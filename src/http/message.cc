#include "http/message.h"

namespace fulcrum::http {

namespace {
char to_lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + ('a' - 'A')) : c; }
}  // namespace

bool equals_ignore_case(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (to_lower(a[i]) != to_lower(b[i])) return false;
  }
  return true;
}

const HeaderField* find_header(const char* base, const std::vector<HeaderField>& headers,
                               std::string_view name) {
  for (const HeaderField& field : headers) {
    if (equals_ignore_case(field.name.in(base), name)) return &field;
  }
  return nullptr;
}

}  // namespace fulcrum::http

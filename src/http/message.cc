#include "http/message.h"

namespace fulcrum::http {

const HeaderField* find_header(const char* base, const std::vector<HeaderField>& headers,
                               std::string_view name) {
  for (const HeaderField& field : headers) {
    if (equals_ignore_case(field.name.in(base), name)) return &field;
  }
  return nullptr;
}

}  // namespace fulcrum::http

#include "config/file_headers.h"

#include <algorithm>
#include <cctype>
#include <map>

namespace fulcrum::config {
namespace {

std::string lower_ascii(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Fields that frame the message or belong to one connection: the proxy writes them itself.
bool owned_by_proxy(std::string_view name) {
  static constexpr std::string_view kOwned[] = {
      "connection", "content-length", "keep-alive",        "proxy-connection",
      "te",         "trailer",        "transfer-encoding", "upgrade"};
  std::string lower = lower_ascii(name);
  return std::find(std::begin(kOwned), std::end(kOwned), lower) != std::end(kOwned);
}

bool is_field_value(std::string_view v) {
  return std::none_of(v.begin(), v.end(), [](char c) {
    auto u = static_cast<unsigned char>(c);
    return (u < 0x20 && c != '\t') || u == 0x7f;
  });
}

class EditsReader {
 public:
  EditsReader(YamlReader& reader, bool is_request, HeaderEdits* edits)
      : reader_(reader), is_request_(is_request), edits_(edits) {}

  void read(const Field& f) {
    *edits_ = {};
    reader_.each_field(f, "a map of add, set and remove", {"add", "set", "remove"},
                       [&](std::string_view key, const Field& v) {
                         if (key == "remove") return read_remove(v);
                         read_values(v, key == "add" ? &edits_->add : &edits_->set, key);
                       });
  }

 private:
  // Checks a name to add, set or remove; true if it may be used.
  bool check_name(const std::string& name, Position at, const std::string& path,
                  std::string_view verb) {
    Field where{YAML::Node(), path, at};
    if (!is_field_name(name)) {
      reader_.error(where,
                    "'" + name + "' is not a header name (letters, digits and !#$%&'*+-.^_`|~)");
      return false;
    }
    if (owned_by_proxy(name)) {
      reader_.error(where, "'" + name + "' cannot be " + std::string(verb) +
                               ": the proxy manages framing and connection fields itself");
      return false;
    }
    if (is_request_ && verb == "removed" && lower_ascii(name) == "host") {
      reader_.error(where, "'" + name + "' cannot be removed: HTTP/1.1 requests need it");
      return false;
    }
    auto [first, inserted] = seen_.emplace(lower_ascii(name), at);
    if (!inserted) {
      reader_.error(where, "'" + name + "' is already changed at " + position_text(first->second) +
                               "; a header may be added, set or removed, once");
      return false;
    }
    return true;
  }

  void read_values(const Field& f, std::vector<HeaderEdit>* out, std::string_view verb) {
    std::string done = verb == "add" ? "added" : "set";
    reader_.each_named(
        f, "a map of header names to values", "header", true,
        [&](const std::string& name, Position key_at, const Field& v) {
          auto value = reader_.text(v, "a header value", true);
          if (!check_name(name, key_at, v.path, done) || !value) return;
          if (!is_field_value(*value)) {
            reader_.error(v, "a header value cannot hold control characters (line breaks, NUL)");
            return;
          }
          out->push_back({name, *value});
        });
  }

  void read_remove(const Field& f) {
    auto one = [&](const Field& item) {
      if (auto name = reader_.text(item, "a header name")) {
        if (check_name(*name, item.at, item.path, "removed")) edits_->remove.push_back(*name);
      }
    };
    if (f.node.IsScalar()) return one(f);
    reader_.each_item(f, "a list of header names", [&](size_t, const Field& item) { one(item); });
  }

  YamlReader& reader_;
  bool is_request_;
  HeaderEdits* edits_;
  std::map<std::string, Position> seen_;  // lower-case name: where it was first changed
};

}  // namespace

bool is_field_name(std::string_view name) {
  static constexpr std::string_view kSpecials = "!#$%&'*+-.^_`|~";
  return !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || kSpecials.find(c) != kSpecials.npos;
  });
}

void read_header_rules(YamlReader& reader, const Field& headers, HeaderRules* rules) {
  reader.each_field(headers, "a map of header rules",
                    {"request", "response", "request_id", "forwarded"},
                    [&](std::string_view key, const Field& v) {
                      if (key == "request") {
                        EditsReader(reader, true, &rules->request).read(v);
                      } else if (key == "response") {
                        EditsReader(reader, false, &rules->response).read(v);
                      } else if (auto b = reader.flag(v)) {
                        (key == "request_id" ? rules->request_id : rules->forwarded) = *b;
                      }
                    });
}

}  // namespace fulcrum::config

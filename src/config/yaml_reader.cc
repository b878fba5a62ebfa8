#include "config/yaml_reader.h"

#include <cctype>
#include <charconv>
#include <map>

#include "config/suggest.h"
#include "config/units.h"

namespace fulcrum::config {
namespace {

// Quoted scalars, and those tagged !!str, are strings; plain ones may be numbers or booleans.
bool is_quoted(const YAML::Node& node) {
  return node.Tag() == "!" || node.Tag() == "tag:yaml.org,2002:str";
}

bool is_integer(std::string_view s) {
  if (!s.empty() && s.front() == '-') s.remove_prefix(1);
  return !s.empty() && s.find_first_not_of("0123456789") == std::string_view::npos;
}

std::string lower_ascii(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// The value's own position, except for an empty value, which yaml-cpp places at the next token.
Position value_position(const YAML::Node& key, const YAML::Node& value) {
  Position v = position_of(value);
  if (value.IsNull() && (v.line != position_of(key).line || v.line == 0)) return position_of(key);
  return v;
}

}  // namespace

Position position_of(const YAML::Node& node) {
  YAML::Mark m = node.Mark();
  if (m.is_null()) return {};
  return {m.line + 1, m.column + 1};
}

std::string describe(const YAML::Node& node) {
  if (node.IsSequence()) return "a list";
  if (node.IsMap()) return "a map";
  if (!node.IsScalar()) return "nothing";
  const std::string& s = node.Scalar();
  if (is_quoted(node)) return "\"" + s + "\"";
  if (is_integer(s)) return s;
  return "'" + s + "'";
}

bool YamlReader::each_field(const Field& f, std::string_view what,
                            const std::vector<std::string_view>& keys, const FieldVisitor& visit) {
  return each_named(
      f, what, "key", false, [&](const std::string& key, Position key_at, const Field& value) {
        for (std::string_view known : keys) {
          if (key == known) return visit(known, value);
        }
        if (auto near = closest_name(key, keys)) {
          suggested_.insert(f.path.empty() ? *near : f.path + "." + *near);
        }
        diagnostics_.add(key_at, value.path, "unknown key" + suggestion_or_choices(key, keys));
      });
}

bool YamlReader::each_named(const Field& f, std::string_view what, std::string_view kind,
                            bool ignore_case, const NamedVisitor& visit) {
  if (!f.node.IsMap()) {
    error(f, "expected " + std::string(what) + ", got " + describe(f.node));
    return false;
  }
  std::map<std::string, Position> seen;
  std::string prefix = f.path.empty() ? "" : f.path + ".";
  for (auto it = f.node.begin(); it != f.node.end(); ++it) {
    Position key_at = position_of(it->first);
    if (!it->first.IsScalar() || it->first.Scalar().empty()) {
      diagnostics_.add(key_at, f.path, "a key must be a name, not " + describe(it->first));
      continue;
    }
    const std::string& key = it->first.Scalar();
    Field value{it->second, prefix + key, value_position(it->first, it->second)};
    auto [first, inserted] = seen.emplace(ignore_case ? lower_ascii(key) : key, key_at);
    if (!inserted) {
      diagnostics_.add(
          key_at, value.path,
          "duplicate " + std::string(kind) + " (first at " + position_text(first->second) + ")");
      continue;
    }
    visit(key, key_at, value);
  }
  return true;
}

bool YamlReader::each_item(const Field& f, std::string_view what,
                           const std::function<void(size_t, const Field&)>& visit) {
  if (!f.node.IsSequence()) {
    error(f, "expected " + std::string(what) + ", got " + describe(f.node));
    return false;
  }
  for (size_t i = 0; i < f.node.size(); ++i) {
    YAML::Node item = f.node[i];
    Position at = position_of(item);
    if (at.line == 0) at = f.at;
    visit(i, Field{item, f.path + "[" + std::to_string(i) + "]", at});
  }
  return true;
}

bool YamlReader::expect_scalar(const Field& f, std::string_view what) {
  if (f.node.IsScalar()) return true;
  error(f, "expected " + std::string(what) + ", got " + describe(f.node));
  return false;
}

std::optional<std::string> YamlReader::text(const Field& f, std::string_view what,
                                            bool allow_empty) {
  if (!expect_scalar(f, what)) return std::nullopt;
  if (f.node.Scalar().empty() && !allow_empty) {
    error(f, "expected " + std::string(what) + ", got an empty string");
    return std::nullopt;
  }
  return f.node.Scalar();
}

std::optional<uint64_t> YamlReader::number(const Field& f, std::string_view what, uint64_t min,
                                           uint64_t max) {
  std::string range = " (" + std::to_string(min) + "-" + std::to_string(max) + ")";
  if (!expect_scalar(f, std::string(what) + range)) return std::nullopt;
  if (is_quoted(f.node)) {
    error(f, describe(f.node) + " is a string; expected " + std::string(what) + range);
    return std::nullopt;
  }
  const std::string& s = f.node.Scalar();
  uint64_t value = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  bool whole = ec == std::errc() && end == s.data() + s.size() && is_integer(s);
  if (!whole || value < min || value > max) {
    error(f, describe(f.node) + " is not " + std::string(what) + range);
    return std::nullopt;
  }
  return value;
}

std::optional<bool> YamlReader::flag(const Field& f) {
  if (!expect_scalar(f, "true or false")) return std::nullopt;
  const std::string& s = f.node.Scalar();
  if (!is_quoted(f.node)) {
    if (s == "true" || s == "True" || s == "TRUE") return true;
    if (s == "false" || s == "False" || s == "FALSE") return false;
  }
  error(f, describe(f.node) + " is not true or false");
  return std::nullopt;
}

std::optional<std::chrono::milliseconds> YamlReader::duration(const Field& f) {
  static constexpr std::string_view kAllowed = "a duration (e.g. 500ms, 10s, 2m, 1h, or seconds)";
  if (!expect_scalar(f, kAllowed)) return std::nullopt;
  auto d = parse_duration(f.node.Scalar());
  if (!d) error(f, describe(f.node) + " is not " + std::string(kAllowed));
  return d;
}

std::optional<uint64_t> YamlReader::size(const Field& f, uint64_t min, uint64_t max) {
  static constexpr std::string_view kAllowed = "a size (e.g. 32k, 1m, or bytes)";
  if (!expect_scalar(f, kAllowed)) return std::nullopt;
  auto s = parse_size(f.node.Scalar());
  if (!s) {
    error(f, describe(f.node) + " is not " + std::string(kAllowed));
  } else if (*s < min || *s > max) {
    error(f, describe(f.node) + " is out of range (" + std::to_string(min) + "-" +
                 std::to_string(max) + " bytes)");
    return std::nullopt;
  }
  return s;
}

std::optional<size_t> YamlReader::choice(const Field& f, std::string_view what,
                                         const std::vector<std::string_view>& names) {
  std::string expected = std::string(what) + " (one of: ";
  for (size_t i = 0; i < names.size(); ++i) expected += (i ? ", " : "") + std::string(names[i]);
  expected += ")";
  if (!expect_scalar(f, expected)) return std::nullopt;
  for (size_t i = 0; i < names.size(); ++i) {
    if (f.node.Scalar() == names[i]) return i;
  }
  error(f, describe(f.node) + " is not " + std::string(what) +
               suggestion_or_choices(f.node.Scalar(), names));
  return std::nullopt;
}

}  // namespace fulcrum::config

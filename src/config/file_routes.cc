#include "config/file_routes.h"

#include <algorithm>
#include <cctype>
#include <optional>

#include "config/file_headers.h"
#include "config/suggest.h"

namespace fulcrum::config {
namespace {

bool is_host_label_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '-'; }

// Reads "api.example.com" or "*.example.com" (no port) into the route, lower-cased.
void read_host(YamlReader& reader, const Field& f, RouteConfig* route) {
  static constexpr std::string_view kAllowed =
      "a host name (e.g. api.example.com or *.example.com, without a port)";
  auto text = reader.text(f, kAllowed);
  if (!text) return;
  std::string host = *text;
  for (char& c : host) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  bool wildcard = host.starts_with("*.");
  std::string_view name = std::string_view(host).substr(wildcard ? 2 : 0);
  bool ok = !name.empty() && name.front() != '.' && name.back() != '.' &&
            name.find("..") == name.npos && std::all_of(name.begin(), name.end(), [](char c) {
              return is_host_label_char(c) || c == '.';
            });
  if (!ok) {
    reader.error(f, describe(f.node) + " is not " + std::string(kAllowed));
    return;
  }
  route->host = std::string(name);
  route->host_wildcard = wildcard;
}

void read_path_prefix(YamlReader& reader, const Field& f, RouteConfig* route) {
  auto text = reader.text(f, "a path prefix (starting with '/')");
  if (!text) return;
  bool ok = text->front() == '/' && std::none_of(text->begin(), text->end(), [](char c) {
              auto u = static_cast<unsigned char>(c);
              return u <= 0x20 || u == 0x7f || c == '?' || c == '#';
            });
  if (!ok) {
    reader.error(f, describe(f.node) +
                        " is not a path prefix (starting with '/', without spaces, '?' or '#')");
    return;
  }
  route->path_prefix = *text;
}

// A method or a list of them; methods are case-sensitive tokens, in practice upper-case.
void read_methods(YamlReader& reader, const Field& f, RouteConfig* route) {
  auto one = [&](const Field& item) {
    auto text = reader.text(item, "a method (e.g. GET)");
    if (!text) return;
    std::string upper = *text;
    for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    if (!is_field_name(*text)) {
      reader.error(item, describe(item.node) + " is not a method (e.g. GET, POST)");
    } else if (upper != *text) {
      reader.error(item, describe(item.node) +
                             " is not a method: methods are case-sensitive (did you mean '" +
                             upper + "'?)");
    } else if (std::find(route->methods.begin(), route->methods.end(), upper) !=
               route->methods.end()) {
      reader.error(item, "duplicate method '" + upper + "'");
    } else {
      route->methods.push_back(upper);
    }
  };
  if (f.node.IsSequence()) {
    reader.each_item(f, "a list of methods", [&](size_t, const Field& item) { one(item); });
    if (f.node.size() == 0) reader.error(f, "empty; give a method or leave the key out");
  } else {
    one(f);
  }
}

void read_header_match(YamlReader& reader, const Field& f, RouteConfig* route) {
  bool has_name = false, has_value = false;
  bool is_map = reader.each_field(
      f, "a map of name and value", {"name", "value"}, [&](std::string_view key, const Field& v) {
        if (key == "name") {
          has_name = true;
          auto name = reader.text(v, "a header name");
          if (name && !is_field_name(*name)) {
            reader.error(v, describe(v.node) +
                                " is not a header name (letters, digits and !#$%&'*+-.^_`|~)");
          } else if (name) {
            route->header_name = *name;
          }
        } else {
          has_value = true;
          if (auto value = reader.text(v, "a header value", true)) route->header_value = *value;
        }
      });
  if (!is_map) return;
  if (!has_name && !reader.suggested(f.path + ".name")) {
    reader.error({f.node, f.path + ".name", f.at}, "missing (required)");
  }
  if (!has_value && !reader.suggested(f.path + ".value")) {
    reader.error({f.node, f.path + ".value", f.at}, "missing (required)");
  }
}

// An address block or a list of them.
void read_sources(YamlReader& reader, const Field& f, RouteConfig* route) {
  auto one = [&](const Field& item) {
    auto text = reader.text(item, "an IP address or block");
    if (!text) return;
    if (auto block = net::parse_ip_block(*text)) {
      route->sources.push_back(*block);
    } else {
      reader.error(item, describe(item.node) +
                             " is not an IP address or block (e.g. 10.0.0.0/8, 192.168.1.7, "
                             "fd00::/8, ::1)");
    }
  };
  if (f.node.IsSequence()) {
    reader.each_item(f, "a list of IP addresses or blocks",
                     [&](size_t, const Field& item) { one(item); });
    if (f.node.size() == 0) reader.error(f, "empty; give an address or leave the key out");
  } else {
    one(f);
  }
}

}  // namespace

std::optional<size_t> read_pool_name(YamlReader& reader, const Field& f,
                                     const std::vector<std::string>& pools) {
  auto name = reader.text(f, "a pool name");
  if (!name) return std::nullopt;
  auto it = std::find(pools.begin(), pools.end(), *name);
  if (it != pools.end()) return static_cast<size_t>(it - pools.begin());
  std::vector<std::string_view> names(pools.begin(), pools.end());
  std::string tail =
      names.empty() ? " (no pools are defined)" : suggestion_or_choices(*name, names);
  reader.error(f, "no pool named '" + *name + "'" + tail);
  return std::nullopt;
}

void read_routes(YamlReader& reader, const Field& routes, const std::vector<std::string>& pools,
                 const HeaderRules& defaults, std::vector<RouteConfig>* out) {
  reader.each_item(routes, "a list of routes", [&](size_t, const Field& item) {
    RouteConfig route;
    route.headers = defaults;
    bool has_pool = false, has_condition = false, pool_ok = false;
    std::optional<bool> metrics;  // as written; nullopt when absent or not a flag
    std::optional<Field> metrics_field;
    bool is_map = reader.each_field(
        item, "a route (a map of conditions and a pool)",
        {"host", "path_prefix", "method", "header", "source", "pool", "metrics", "headers"},
        [&](std::string_view key, const Field& v) {
          if (key == "metrics") {
            metrics_field.emplace(v);
            metrics = reader.flag(v);
            route.metrics = metrics.value_or(false);
            return;
          }
          if (key == "pool") {
            has_pool = true;
            if (auto index = read_pool_name(reader, v, pools)) {
              route.pool = pools[*index];
              route.pool_index = *index;
              pool_ok = true;
            }
            return;
          }
          if (key == "headers") {
            route.headers = HeaderRules{};
            return read_header_rules(reader, v, &route.headers);
          }
          has_condition = true;
          if (key == "host")
            read_host(reader, v, &route);
          else if (key == "path_prefix")
            read_path_prefix(reader, v, &route);
          else if (key == "method")
            read_methods(reader, v, &route);
          else if (key == "source")
            read_sources(reader, v, &route);
          else
            read_header_match(reader, v, &route);
        });
    if (!is_map) return;
    for (const char* key : {"host", "path_prefix", "method", "header", "source"}) {
      has_condition = has_condition || reader.suggested(item.path + "." + key);
    }
    if (has_pool && route.metrics) {
      reader.error(*metrics_field,
                   "a route sends its requests to a pool or answers them with the metrics, not "
                   "both");
    } else if (!has_pool && !metrics_field && !reader.suggested(item.path + ".pool")) {
      reader.error({item.node, item.path + ".pool", item.at},
                   "missing; a route needs the pool to send its requests to (or metrics: true)");
    } else if (!has_pool && metrics == false) {
      reader.error(*metrics_field,
                   "false; a route needs the pool to send its requests to (or metrics: true)");
    }
    if (!has_condition) {
      reader.error(item,
                   "matches every request; give it host, path_prefix, method, header or source "
                   "(default_pool takes the requests that match no route)");
    }
    if (pool_ok != route.metrics) out->push_back(std::move(route));
  });
}

}  // namespace fulcrum::config

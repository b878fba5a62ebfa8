#pragma once
// The `routes` section of the configuration file: an ordered list of rules, each sending the
// requests it matches to a pool.
#include <string>
#include <vector>

#include "config/config.h"
#include "config/yaml_reader.h"

namespace fulcrum::config {

// Reads `routes` into *out. `pools` are the pool names defined in the file (a route naming
// another is an error, with a near name suggested); `defaults` are the header rules of routes
// without a `headers` section.
void read_routes(YamlReader& reader, const Field& routes, const std::vector<std::string>& pools,
                 const HeaderRules& defaults, std::vector<RouteConfig>* out);

// Checks that `f` names one of `pools` and returns its index; reports it if not.
std::optional<size_t> read_pool_name(YamlReader& reader, const Field& f,
                                     const std::vector<std::string>& pools);

}  // namespace fulcrum::config

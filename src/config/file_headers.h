#pragma once
// The `headers` section of the configuration file, at the top level or in a route: fields to
// add, set or remove in requests and responses, X-Request-ID and X-Forwarded-*.
#include "config/config.h"
#include "config/yaml_reader.h"

namespace fulcrum::config {

// Reads `headers` into *rules, which holds the defaults for keys the section leaves out.
// Reports unknown keys, bad field names and values, fields that the proxy owns (framing and
// hop-by-hop ones), and a field named in more than one of add, set and remove.
void read_header_rules(YamlReader& reader, const Field& headers, HeaderRules* rules);

// Whether `name` is an HTTP field name (RFC 9110 token).
bool is_field_name(std::string_view name);

}  // namespace fulcrum::config

#pragma once
// The configuration file: YAML (and so JSON, which YAML 1.2 contains), read and validated into
// the one model, config::Config. docs/configuration.md describes every key.
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"

namespace fulcrum::config {

// Reads the file at `path`, validates it and resolves its host names. On success replaces *out
// with the configuration (defaults for every key the file leaves out; config_file = path) and
// returns true. On failure returns false, leaves *out as it was and appends to *errors one line
// per error found, every error in the file rather than the first, ordered by position:
//   fulcrum.yaml:12:15: pools.api.backends[2].port: 70000 is not a port (1-65535)
// (file, 1-based line and column, key path, what is wrong and what is allowed). Never throws.
bool load_config_file(const std::string& path, Config* out, std::vector<std::string>* errors);

// The same for text already read; `name` stands for the file in messages and in config_file.
bool load_config_text(std::string_view text, const std::string& name, Config* out,
                      std::vector<std::string>* errors);

}  // namespace fulcrum::config

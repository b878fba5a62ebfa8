#pragma once
#include "config/config.h"

namespace fulcrum::config {

// Fills config from the command line and resolves backend names. Returns -1 to go on, or the
// exit status to leave with: 0 after --help or --version, 2 after a bad argument (one line on
// stderr naming it).
int parse_command_line(int argc, char** argv, Config* config);

}  // namespace fulcrum::config

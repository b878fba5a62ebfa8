#pragma once
// The command line of fulcrum-backend.
#include <cstdint>
#include <string>

#include "io/loop.h"

namespace fulcrum::backend {

inline constexpr char kUsage[] =
    "usage: fulcrum-backend --port N [--host IP] [--id NAME] [--status NNN] "
    "[--io auto|uring|epoll] [--verbose]";

struct Options {
  std::string host = "127.0.0.1";
  uint16_t port = 0;      // 0: the kernel picks one (the startup line tells which)
  std::string id;         // empty: "backend-<port>"
  int forced_status = 0;  // non-zero: every answer but /stats carries this status
  io::Backend io = io::Backend::kAuto;
  bool verbose = false;
  bool help = false;
};

// Accepts "--name value" and "--name=value". Returns false with *error set (one line, naming
// the offending argument) when an argument is unknown, missing or malformed.
bool parse_options(int argc, const char* const* argv, Options* out, std::string* error);

}  // namespace fulcrum::backend

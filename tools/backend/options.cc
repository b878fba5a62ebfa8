#include "options.h"

#include <string_view>

namespace fulcrum::backend {

namespace {

bool parse_int(std::string_view s, long max, long* out) {
  if (s.empty() || s.size() > 9) return false;
  long v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  if (v > max) return false;
  *out = v;
  return true;
}

}  // namespace

bool parse_options(int argc, const char* const* argv, Options* out, std::string* error) {
  bool have_port = false;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      out->help = true;
      return true;
    }
    if (arg == "--verbose" || arg == "-v") {
      out->verbose = true;
      continue;
    }
    std::string_view name = arg;
    std::string_view value;
    bool has_value = false;
    if (size_t eq = arg.find('='); arg.starts_with("--") && eq != std::string_view::npos) {
      name = arg.substr(0, eq);
      value = arg.substr(eq + 1);
      has_value = true;
    }
    if (name != "--port" && name != "--host" && name != "--id" && name != "--status" &&
        name != "--io") {
      *error = "unknown argument '" + std::string(arg) + "'";
      return false;
    }
    if (!has_value) {
      if (i + 1 >= argc) {
        *error = std::string(name) + " needs a value";
        return false;
      }
      value = argv[++i];
    }
    long n = 0;
    if (name == "--port") {
      if (!parse_int(value, 65535, &n)) {
        *error = "--port: '" + std::string(value) + "' is not a port (0-65535)";
        return false;
      }
      out->port = static_cast<uint16_t>(n);
      have_port = true;
    } else if (name == "--host") {
      if (value.empty()) {
        *error = "--host: empty";
        return false;
      }
      out->host = value;
    } else if (name == "--id") {
      if (value.empty()) {
        *error = "--id: empty";
        return false;
      }
      out->id = value;
    } else if (name == "--status") {
      if (!parse_int(value, 599, &n) || n < 200) {
        *error = "--status: '" + std::string(value) + "' is not a status (200-599)";
        return false;
      }
      out->forced_status = static_cast<int>(n);
    } else if (value == "auto") {
      out->io = io::Backend::kAuto;
    } else if (value == "uring") {
      out->io = io::Backend::kUring;
    } else if (value == "epoll") {
      out->io = io::Backend::kEpoll;
    } else {
      *error = "--io: '" + std::string(value) + "' is not one of auto, uring, epoll";
      return false;
    }
  }
  if (!have_port) {
    *error = "--port is required";
    return false;
  }
  return true;
}

}  // namespace fulcrum::backend

#pragma once
// --watch: notices when the configuration file changes, with inotify. It watches the file's
// directory, not the file, so that an editor that saves by writing a new file and renaming it
// over the old one (vim, most deployment tools) is seen as well as one that writes in place.
#include <cstddef>
#include <string>

#include "config/config.h"

namespace fulcrum::server {

class ConfigWatcher {
 public:
  // Watches config.config_file when config.watch is set; otherwise fd() is -1.
  explicit ConfigWatcher(const config::Config& config);
  ~ConfigWatcher();
  ConfigWatcher(const ConfigWatcher&) = delete;
  ConfigWatcher& operator=(const ConfigWatcher&) = delete;

  // Non-blocking; readable when events are pending.
  int fd() const { return fd_; }
  // Whether the events read from fd() (n bytes) say the file was written or replaced.
  bool concerns_file(const char* events, size_t n) const;
  // Reads what is pending on fd(); true if the file was written or replaced.
  bool changed();

  // Enough for a burst of events with long names.
  static constexpr size_t kEventBufferSize = 16 * 1024;

 private:
  int fd_ = -1;
  std::string name_;  // the file's name in its directory
};

}  // namespace fulcrum::server

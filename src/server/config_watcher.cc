#include "server/config_watcher.h"

#include <sys/inotify.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "base/log.h"

namespace fulcrum::server {

ConfigWatcher::ConfigWatcher(const config::Config& config) {
  if (!config.watch || config.config_file.empty()) return;
  const std::string& path = config.config_file;
  size_t slash = path.rfind('/');
  std::string dir = slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
  name_ = slash == std::string::npos ? path : path.substr(slash + 1);
  fd_ = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (fd_ < 0 || ::inotify_add_watch(fd_, dir.c_str(), IN_CLOSE_WRITE | IN_MOVED_TO) < 0) {
    LOG_ERROR("--watch: cannot watch %s: %s; reload with SIGHUP instead", dir.c_str(),
              std::strerror(errno));
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
    return;
  }
  LOG_INFO("watching %s for changes", path.c_str());
}

ConfigWatcher::~ConfigWatcher() {
  if (fd_ >= 0) ::close(fd_);
}

bool ConfigWatcher::concerns_file(const char* events, size_t n) const {
  bool concerned = false;
  for (size_t at = 0; at + sizeof(inotify_event) <= n;) {
    inotify_event event;
    std::memcpy(&event, events + at, sizeof event);
    // The name is NUL-padded to the record's length.
    const char* name = events + at + sizeof event;
    if (event.len > 0 && std::strncmp(name, name_.c_str(), event.len) == 0 &&
        name_.size() < event.len) {
      // A file created in place is only complete at its IN_CLOSE_WRITE.
      concerned = concerned || (event.mask & (IN_CLOSE_WRITE | IN_MOVED_TO)) != 0;
    }
    at += sizeof event + event.len;
  }
  return concerned;
}

bool ConfigWatcher::changed() {
  alignas(inotify_event) char buf[kEventBufferSize];
  bool concerned = false;
  for (;;) {
    ssize_t n = ::read(fd_, buf, sizeof buf);
    if (n <= 0) return concerned;
    concerned = concerns_file(buf, static_cast<size_t>(n)) || concerned;
  }
}

}  // namespace fulcrum::server

#include "server/upgrade.h"

#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <string_view>

namespace fulcrum::server {
namespace {

constexpr const char* kListenFdsEnv = "FULCRUM_LISTEN_FDS";
constexpr const char* kReadyFdEnv = "FULCRUM_READY_FD";
constexpr const char* kSharedStateFdEnv = "FULCRUM_SHARED_STATE_FD";

int env_fd(const char* name) {
  const char* text = ::getenv(name);
  if (!text) return -1;
  int fd = -1;
  std::string_view s(text);
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), fd);
  return ec == std::errc() && end == s.data() + s.size() ? fd : -1;
}

}  // namespace

std::vector<int> inherited_listeners() {
  std::vector<int> fds;
  const char* text = ::getenv(kListenFdsEnv);
  if (!text) return fds;
  std::string_view rest(text);
  while (!rest.empty()) {
    size_t comma = rest.find(',');
    std::string_view item = rest.substr(0, comma);
    int fd = -1;
    auto [end, ec] = std::from_chars(item.data(), item.data() + item.size(), fd);
    if (ec == std::errc() && end == item.data() + item.size() && fd >= 0) {
      ::fcntl(fd, F_SETFD, FD_CLOEXEC);
      fds.push_back(fd);
    }
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
  }
  ::unsetenv(kListenFdsEnv);
  return fds;
}

bool started_by_upgrade() { return ::getenv(kReadyFdEnv) != nullptr; }

int inherited_shared_state() {
  const char* text = ::getenv(kSharedStateFdEnv);
  std::string_view s(text ? text : "");
  ::unsetenv(kSharedStateFdEnv);
  // "fd:pid", pid the master that handed fd down: a variable that an older build left unread in
  // its environment, passed on to its own successor, names no descriptor of this process.
  int fd = -1;
  pid_t from = 0;
  auto [colon, ec] = std::from_chars(s.data(), s.data() + s.size(), fd);
  if (ec != std::errc() || colon == s.data() + s.size() || *colon != ':') return -1;
  auto [end, ec2] = std::from_chars(colon + 1, s.data() + s.size(), from);
  if (ec2 != std::errc() || end != s.data() + s.size() || from != ::getppid()) return -1;
  return fd > STDERR_FILENO ? fd : -1;
}

int take_ready_fd() {
  int fd = env_fd(kReadyFdEnv);
  ::unsetenv(kReadyFdEnv);
  if (fd <= STDERR_FILENO) return -1;
  ::fcntl(fd, F_SETFD, FD_CLOEXEC);
  return fd;
}

void report_ready(int fd) {
  if (fd < 0) return;
  char byte = 1;
  ssize_t ignored = ::write(fd, &byte, 1);
  (void)ignored;
  ::close(fd);
}

int start_successor(const std::string& executable, char** argv, const std::vector<int>& fds,
                    int shared_fd, pid_t* pid, std::string* error) {
  int ready[2];
  if (::pipe2(ready, O_CLOEXEC) != 0) {
    *error = std::string("pipe: ") + std::strerror(errno);
    return -1;
  }
  std::string names;
  for (int fd : fds) names += (names.empty() ? "" : ",") + std::to_string(fd);
  const std::string shared = std::to_string(shared_fd) + ":" + std::to_string(::getpid());
  *pid = ::fork();
  if (*pid < 0) {
    *error = std::string("fork: ") + std::strerror(errno);
    ::close(ready[0]);
    ::close(ready[1]);
    return -1;
  }
  if (*pid == 0) {
    for (int fd : fds) ::fcntl(fd, F_SETFD, 0);
    ::fcntl(ready[1], F_SETFD, 0);
    ::setenv(kListenFdsEnv, names.c_str(), 1);
    ::setenv(kReadyFdEnv, std::to_string(ready[1]).c_str(), 1);
    if (shared_fd >= 0) {
      ::fcntl(shared_fd, F_SETFD, 0);
      ::setenv(kSharedStateFdEnv, shared.c_str(), 1);
    } else {
      ::unsetenv(kSharedStateFdEnv);
    }
    ::execv(executable.c_str(), argv);
    ::_exit(127);  // the pipe's end of file tells the old master
  }
  ::close(ready[1]);
  return ready[0];
}

std::string executable_path(const char* argv0) {
  char resolved[PATH_MAX];
  if (std::strchr(argv0, '/') && ::realpath(argv0, resolved)) return resolved;
  ssize_t n = ::readlink("/proc/self/exe", resolved, sizeof resolved - 1);
  return n > 0 ? std::string(resolved, static_cast<size_t>(n)) : std::string(argv0);
}

}  // namespace fulcrum::server

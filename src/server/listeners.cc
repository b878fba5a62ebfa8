#include "server/listeners.h"

#include <sys/socket.h>
#include <unistd.h>

#include "net/socket.h"

namespace fulcrum::server {

namespace {

// Removes from inherited and returns a socket bound to address, or -1.
int take_inherited(std::vector<int>* inherited, const net::Address& address) {
  if (inherited == nullptr) return -1;
  const std::string wanted = address.to_string();
  for (auto it = inherited->begin(); it != inherited->end(); ++it) {
    net::Address bound;
    bound.len = sizeof bound.storage;
    if (::getsockname(*it, reinterpret_cast<sockaddr*>(&bound.storage), &bound.len) == 0 &&
        bound.to_string() == wanted) {
      int fd = *it;
      inherited->erase(it);
      return fd;
    }
  }
  return -1;
}

}  // namespace

bool open_listeners(const config::Config& config, std::vector<int>* fds, std::string* error,
                    std::vector<int>* inherited) {
  std::vector<int> opened;
  for (const config::ListenConfig& l : config.listeners) {
    int fd = take_inherited(inherited, l.address);
    if (fd < 0) fd = net::listen_on(l.address, kListenBacklog, error);
    if (fd < 0) {
      for (int o : opened) ::close(o);
      return false;
    }
    opened.push_back(fd);
  }
  fds->insert(fds->end(), opened.begin(), opened.end());
  return true;
}

std::string listeners_text(const config::Config& config) {
  std::string text;
  for (const config::ListenConfig& l : config.listeners) {
    if (!text.empty()) text += ", ";
    text += l.address.to_string();
  }
  return text;
}

bool same_listeners(const config::Config& a, const config::Config& b) {
  return listeners_text(a) == listeners_text(b);
}

}  // namespace fulcrum::server

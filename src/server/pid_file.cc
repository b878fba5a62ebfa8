#include "server/pid_file.h"

#include <unistd.h>

#include <cstdio>

namespace fulcrum::server {

bool write_pid_file(const std::string& path) {
  if (path.empty()) return true;
  FILE* f = std::fopen(path.c_str(), "w");
  if (!f) return false;
  std::fprintf(f, "%d\n", static_cast<int>(getpid()));
  return std::fclose(f) == 0;
}

PidFile::~PidFile() {
  if (!written_) return;
  FILE* f = std::fopen(path_.c_str(), "r");
  int pid = 0;
  bool ours = f && std::fscanf(f, "%d", &pid) == 1 && pid == static_cast<int>(getpid());
  if (f) std::fclose(f);
  if (ours) ::unlink(path_.c_str());
}

bool PidFile::write() {
  written_ = !path_.empty() && write_pid_file(path_);
  return path_.empty() || written_;
}

}  // namespace fulcrum::server

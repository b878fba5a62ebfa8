#pragma once
// The pid file (--pid-file): written at start and removed at exit, unless a newer master (a binary
// upgrade) rewrote it meanwhile. A new master writes it as it starts; if it then fails, it removes
// it, and the old master, which stays, writes it again (`write_pid_file`), as nginx's puts its
// file back from nginx.pid.oldbin.
#include <string>
#include <utility>

namespace fulcrum::server {

// Writes this process's pid to path; true on success or when path is empty.
bool write_pid_file(const std::string& path);

class PidFile {
 public:
  explicit PidFile(std::string path) : path_(std::move(path)) {}
  ~PidFile();
  PidFile(const PidFile&) = delete;
  PidFile& operator=(const PidFile&) = delete;

  bool write();

 private:
  std::string path_;
  bool written_ = false;
};

}  // namespace fulcrum::server

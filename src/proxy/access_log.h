#pragma once
// The access log: a line per request, in the combined format of nginx and Apache (which log
// tools read) with the backend and the time taken after it:
//
//   127.0.0.1 - - [28/Nov/2026:08:15:05 +0000] "GET / HTTP/1.1" 200 612 "-" "curl/7.88.1"
//   "127.0.0.1:9001" 0.003
//
// Each loop keeps its own file descriptor and buffer, so no lock is taken; lines are written out
// when the buffer fills, within a second of being logged, and when the loop ends. Each write holds
// whole lines, and the file is opened for appending, so the lines of several workers never
// interleave (on a pipe, where the kernel keeps only PIPE_BUF bytes whole, writes are cut to that).
#include <cstdint>
#include <string>
#include <string_view>

#include "io/loop.h"

namespace fulcrum::proxy {

struct AccessEntry {
  std::string_view client_ip;
  std::string_view request;  // the request line as it came; empty: "-"
  int status = 0;
  uint64_t bytes = 0;  // sent to the client for this request, heads included
  std::string_view referer;
  std::string_view user_agent;
  std::string_view backend;  // the last one tried; empty: none was
  io::Duration took{};
};

class AccessLog {
 public:
  explicit AccessLog(io::Loop& loop);
  ~AccessLog();  // writes out what is left
  AccessLog(const AccessLog&) = delete;
  AccessLog& operator=(const AccessLog&) = delete;

  // Logs to path from now on, or to nothing when it is empty. The file is opened again even when
  // the path stays, so that a reload after a rotation writes to the new file. Returns false, with
  // *error, when it cannot be opened: the log goes on where it went.
  bool open(const std::string& path, std::string* error);
  bool enabled() const { return fd_ >= 0; }
  void log(const AccessEntry& e);
  void flush();

  // Appends e's line to out (exposed for tests); `now` is the wall-clock time it is logged at.
  static void format(const AccessEntry& e, time_t now, std::string& out);
  // The length of the first of `lines` (each ends with a newline) and of as many after it as
  // keep that length within limit: what one write to a pipe may take (exposed for tests).
  static size_t whole_lines(std::string_view lines, size_t limit);

 private:
  static void on_flush(io::Timer* t);

  io::Loop& loop_;
  int fd_ = -1;
  bool whole_writes_ = true;  // a regular file: any write keeps its lines whole
  bool failing_ = false;      // the last write failed (logged once until one succeeds)
  std::string pending_;
  io::Timer flush_timer_;
};

}  // namespace fulcrum::proxy

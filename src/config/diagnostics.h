#pragma once
// The errors found in one configuration file, each with the place it was found: collected while
// the whole file is read, so that a run reports every error at once.
#include <string>
#include <vector>

namespace fulcrum::config {

// A place in a file, 1-based. Line 0 means the file as a whole (it could not be read, say).
struct Position {
  int line = 0;
  int column = 0;
};

// "12:15", as messages name another place ("first at 12:15").
std::string position_text(Position at);

class Diagnostics {
 public:
  explicit Diagnostics(std::string file) : file_(std::move(file)) {}

  // `path` is the key path of the value at fault ("pools.api.backends[2].port"), or empty for
  // the document itself; `message` says what is wrong and what is allowed.
  void add(Position at, std::string path, std::string message);

  bool empty() const { return entries_.empty(); }
  const std::string& file() const { return file_; }

  // One "file:line:col: path: message" per error, ordered by position (errors without one
  // first); "file: path: message" without a position, and no "path: " when it is empty.
  std::vector<std::string> lines() const;

 private:
  struct Entry {
    Position at;
    std::string path;
    std::string message;
  };
  std::string file_;
  std::vector<Entry> entries_;
};

}  // namespace fulcrum::config

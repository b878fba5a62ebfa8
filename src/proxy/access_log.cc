#include "proxy/access_log.h"

#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <ctime>

#include "base/log.h"

namespace fulcrum::proxy {
namespace {

// Lines wait in the buffer until it holds this much, or for a second at most.
constexpr size_t kFlushAt = 32 * 1024;
constexpr auto kFlushDelay = std::chrono::seconds(1);

// A quoted field as nginx escapes it: a quote, a backslash and any byte that is not printable
// ASCII becomes \xHH, so that a line is one line and its fields can be split.
void append_quoted(std::string_view v, std::string& out) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  out += '"';
  if (v.empty()) out += '-';
  size_t plain = 0;  // where the bytes not yet appended start
  for (size_t i = 0; i < v.size(); ++i) {
    const auto b = static_cast<unsigned char>(v[i]);
    if (b >= 0x20 && b < 0x7F && b != '"' && b != '\\') continue;
    out.append(v.data() + plain, i - plain);
    const char escape[] = {'\\', 'x', kHex[b >> 4], kHex[b & 0xF]};
    out.append(escape, sizeof escape);
    plain = i + 1;
  }
  out.append(v.data() + plain, v.size() - plain);
  out += '"';
}

void append_number(uint64_t v, std::string& out) {
  char digits[20];
  out.append(digits, std::to_chars(digits, digits + sizeof digits, v).ptr);
}

// Writes all of data, retrying partial writes; false if a write failed.
bool write_all(int fd, const char* data, size_t size) {
  while (size > 0) {
    const ssize_t n = ::write(fd, data, size);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    data += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

}  // namespace

AccessLog::AccessLog(io::Loop& loop) : loop_(loop) {
  flush_timer_.fire = &AccessLog::on_flush;
  flush_timer_.owner = this;
}

AccessLog::~AccessLog() {
  flush();
  loop_.timers().disarm(flush_timer_);
  if (fd_ >= 0) ::close(fd_);
}

bool AccessLog::open(const std::string& path, std::string* error) {
  int fd = -1;
  if (!path.empty()) {
    fd = base::open_log_file(path, error);
    if (fd < 0) return false;
  }
  flush();
  if (fd_ >= 0) ::close(fd_);
  fd_ = fd;
  struct stat st {};
  whole_writes_ = fd_ < 0 || (::fstat(fd_, &st) == 0 && S_ISREG(st.st_mode));
  failing_ = false;
  return true;
}

void AccessLog::log(const AccessEntry& e) {
  if (fd_ < 0) return;  // turned off by a reload during the request
  format(e, ::time(nullptr), pending_);
  if (pending_.size() >= kFlushAt) {
    flush();
  } else if (!flush_timer_.armed()) {
    loop_.timers().arm(flush_timer_, loop_.now() + kFlushDelay);
  }
}

void AccessLog::on_flush(io::Timer* t) { static_cast<AccessLog*>(t->owner)->flush(); }

void AccessLog::flush() {
  if (pending_.empty() || fd_ < 0) return;
  bool ok = true;
  if (whole_writes_) {
    ok = write_all(fd_, pending_.data(), pending_.size());
  } else {
    std::string_view rest = pending_;
    while (ok && !rest.empty()) {
      const size_t n = whole_lines(rest, PIPE_BUF);
      ok = write_all(fd_, rest.data(), n);
      rest.remove_prefix(n);
    }
  }
  if (!ok && !failing_) LOG_ERROR("access log: %s; lines are lost", std::strerror(errno));
  failing_ = !ok;
  pending_.clear();
}

size_t AccessLog::whole_lines(std::string_view lines, size_t limit) {
  size_t end = lines.find('\n') + 1;
  for (size_t next; end < lines.size(); end = next) {
    next = lines.find('\n', end) + 1;
    if (next > limit) break;
  }
  return end;
}

void AccessLog::format(const AccessEntry& e, time_t now, std::string& out) {
  // The time's text changes once a second: made then, by each thread for itself.
  thread_local time_t shown = -1;
  thread_local char when[40];
  thread_local size_t when_size = 0;
  if (now != shown) {
    static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                              "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    tm t;
    gmtime_r(&now, &t);
    when_size = static_cast<size_t>(
        std::snprintf(when, sizeof when, " - - [%02d/%s/%04d:%02d:%02d:%02d +0000] ", t.tm_mday,
                      kMonths[t.tm_mon], t.tm_year + 1900, t.tm_hour, t.tm_min, t.tm_sec));
    shown = now;
  }
  out += e.client_ip.empty() ? std::string_view("-") : e.client_ip;
  out.append(when, when_size);
  append_quoted(e.request, out);
  out += ' ';
  append_number(static_cast<uint64_t>(e.status), out);
  out += ' ';
  append_number(e.bytes, out);
  out += ' ';
  append_quoted(e.referer, out);
  out += ' ';
  append_quoted(e.user_agent, out);
  out += ' ';
  append_quoted(e.backend, out);
  out += ' ';
  const auto ms =
      static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(e.took).count());
  append_number(ms / 1000, out);
  const char fraction[] = {'.', static_cast<char>('0' + ms / 100 % 10),
                           static_cast<char>('0' + ms / 10 % 10), static_cast<char>('0' + ms % 10),
                           '\n'};
  out.append(fraction, sizeof fraction);
}

}  // namespace fulcrum::proxy

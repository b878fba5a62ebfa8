#include "io/epoll_loop.h"

#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace fulcrum::io {

namespace {

// One non-blocking attempt at op; -EAGAIN when it must wait for readiness.
int attempt(Op& op) {
  for (;;) {
    ssize_t r = 0;
    switch (op.kind) {
      case OpKind::kAccept:
        r = ::accept4(op.fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
        break;
      case OpKind::kConnect:
        if (op.in_progress) {
          int err = 0;
          socklen_t len = sizeof err;
          if (::getsockopt(op.fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0) return -errno;
          return -err;
        }
        r = ::connect(op.fd, op.addr, op.addr_len);
        if (r < 0 && errno == EINPROGRESS) {
          op.in_progress = true;
          return -EAGAIN;
        }
        break;
      case OpKind::kRecv:
        r = ::recv(op.fd, op.buf, op.len, 0);
        break;
      case OpKind::kRecvStream: {
        // Space is made for the receive and given back if nothing came, so that a connection
        // that waits holds no buffer (with the block cache behind Buffer, this costs no malloc).
        base::Buffer& into = *op.into;
        const bool held = into.capacity() > 0;
        if (into.writable() < op.len) into.reserve(op.len);
        r = ::recv(op.fd, into.write_ptr(), into.writable(), 0);
        if (r > 0) {
          into.commit(static_cast<size_t>(r));
        } else if (!held && into.empty()) {
          const int saved = errno;
          into.release();
          errno = saved;
        }
        break;
      }
      case OpKind::kRead:
        r = ::read(op.fd, op.buf, op.len);
        break;
      case OpKind::kSend:
        r = ::send(op.fd, op.buf + op.done, op.len - op.done, send_flags(op));
        break;
      case OpKind::kSpliceIn:
      case OpKind::kSpliceOut:
        return try_splice(op);
    }
    if (r >= 0) return static_cast<int>(r);
    if (errno == EINTR) continue;
    return errno == EWOULDBLOCK ? -EAGAIN : -errno;
  }
}

bool is_write(OpKind kind) {
  return kind == OpKind::kConnect || kind == OpKind::kSend || kind == OpKind::kSpliceOut;
}

}  // namespace

std::unique_ptr<Loop> EpollLoop::create(std::string* error) {
  int epfd = ::epoll_create1(EPOLL_CLOEXEC);
  if (epfd < 0) {
    *error = std::string("epoll_create1: ") + std::strerror(errno);
    return nullptr;
  }
  return std::unique_ptr<Loop>(new EpollLoop(epfd));
}

EpollLoop::~EpollLoop() { ::close(epfd_); }

EpollLoop::FdState& EpollLoop::state(int fd) {
  if (static_cast<size_t>(fd) >= fds_.size()) fds_.resize(static_cast<size_t>(fd) + 64);
  return fds_[static_cast<size_t>(fd)];
}

Op*& EpollLoop::slot(Op& op) {
  FdState& s = state(op.fd);
  return is_write(op.kind) ? s.writer : s.reader;
}

bool EpollLoop::start(Op& op) {
  int r = attempt(op);
  if (r != -EAGAIN) {
    op.result = r;
    return false;
  }
  FdState& s = state(op.fd);
  if (!s.registered) {
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
    ev.data.u64 = static_cast<uint64_t>(static_cast<uint32_t>(op.fd)) |
                  static_cast<uint64_t>(s.generation) << 32;
    if (::epoll_ctl(epfd_, EPOLL_CTL_ADD, op.fd, &ev) < 0) {
      op.result = -errno;
      return false;
    }
    s.registered = true;
  }
  slot(op) = &op;
  return true;
}

void EpollLoop::cancel(Op& op) {
  Op*& parked = slot(op);
  if (parked != &op) return;  // already completed
  parked = nullptr;
  complete(op, -ECANCELED);
}

void EpollLoop::close(int fd) {
  FdState& s = state(fd);
  // A descriptor shared with another process (a listening socket inherited from the master)
  // stays registered after close() as long as the other copy lives: unregister it explicitly.
  if (s.registered) ::epoll_ctl(epfd_, EPOLL_CTL_DEL, fd, nullptr);
  s.generation++;
  s.registered = false;
  s.reader = s.writer = nullptr;
  ::close(fd);
}

void EpollLoop::retry(int fd, uint32_t generation, bool writer) {
  // Re-looked-up every time: a completion may have closed the fd or grown fds_.
  FdState& s = state(fd);
  if (s.generation != generation) return;
  Op*& parked = writer ? s.writer : s.reader;
  Op* op = parked;
  if (!op) return;
  int r = attempt(*op);
  if (r == -EAGAIN) return;
  parked = nullptr;
  complete(*op, r);
}

void EpollLoop::wait(Duration timeout) {
  epoll_event events[256];
  int ms = timeout < Duration::zero()
               ? -1
               : static_cast<int>(std::chrono::ceil<std::chrono::milliseconds>(timeout).count());
  int n = ::epoll_wait(epfd_, events, 256, ms);
  refresh_now();
  for (int i = 0; i < n; ++i) {
    int fd = static_cast<int>(events[i].data.u64 & 0xffffffffu);
    auto generation = static_cast<uint32_t>(events[i].data.u64 >> 32);
    uint32_t ev = events[i].events;
    if (ev & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) retry(fd, generation, false);
    if (ev & (EPOLLOUT | EPOLLHUP | EPOLLERR)) retry(fd, generation, true);
  }
}

}  // namespace fulcrum::io

#include "io/loop.h"

#include <fcntl.h>
#include <malloc.h>
#include <sys/socket.h>

#include <cerrno>
#include <mutex>
#include <utility>

#include "base/frame_pool.h"
#include "io/multishot.h"

namespace fulcrum::io {

bool OpAwaiter::await_suspend(std::coroutine_handle<> h) {
  op_.loop = &loop_;
  return loop_.suspend(op_, h, deadline_);
}

int OpAwaiter::await_resume() const noexcept {
  if (op_.timed_out && op_.result < 0) return -ETIMEDOUT;
  return op_.result;
}

bool SleepAwaiter::await_ready() const noexcept { return until_ <= loop_.now(); }

void SleepAwaiter::await_suspend(std::coroutine_handle<> h) {
  waiter_ = h;
  timer_.owner = this;
  timer_.fire = [](Timer* t) { static_cast<SleepAwaiter*>(t->owner)->waiter_.resume(); };
  loop_.timers().arm(timer_, until_);
}

Loop::Loop() : now_(Clock::now()) {
  trim_timer_.fire = &Loop::on_trim;
  trim_timer_.owner = this;
  timers_.arm(trim_timer_, now_ + kTrimPeriod);
}

void Loop::on_trim(Timer* t) {
  base::Buffer::trim_cache();
  base::trim_frame_cache();
  // What the caches give back stays in malloc's heap, in pages among blocks still in use (a burst
  // of 3,000 slow requests left 25 MiB of RSS behind that way): this hands the free pages back to
  // the kernel. With nothing to give it walks the free chunks only, every kTrimPeriod.
  // glibc sets its heap up on first use without holding off a concurrent malloc_trim: when no
  // malloc came first (a sanitizer's allocator replaces it), the first trims of two worker
  // threads at once walked a half-initialised arena and crashed (mt, ASan). The first call is
  // made once, the other threads waiting for it.
  static std::once_flag heap_ready;
  std::call_once(heap_ready, [] { malloc_trim(0); });
  malloc_trim(0);
  auto* loop = static_cast<Loop*>(t->owner);
  loop->timers_.arm(*t, loop->now_ + kTrimPeriod);
}

OpAwaiter Loop::connect(int fd, const sockaddr* addr, socklen_t len, TimePoint deadline) {
  OpAwaiter a(*this, OpKind::kConnect, fd, deadline);
  a.op().addr = addr;
  a.op().addr_len = len;
  return a;
}

OpAwaiter Loop::recv(int fd, char* buf, size_t len, TimePoint deadline) {
  OpAwaiter a(*this, OpKind::kRecv, fd, deadline);
  a.op().buf = buf;
  a.op().len = len;
  return a;
}

OpAwaiter Loop::read(int fd, char* buf, size_t len, TimePoint deadline) {
  OpAwaiter a(*this, OpKind::kRead, fd, deadline);
  a.op().buf = buf;
  a.op().len = len;
  return a;
}

OpAwaiter Loop::send(int fd, const char* buf, size_t len, TimePoint deadline, bool more) {
  OpAwaiter a(*this, OpKind::kSend, fd, deadline);
  a.op().buf = const_cast<char*>(buf);  // never written through for kSend
  a.op().len = len;
  a.op().more = more;
  return a;
}

namespace {
// Whether an op completes only once all of len is through (a partial result starts it again).
bool moves_all(const Op& op) { return op.kind == OpKind::kSend || op.kind == OpKind::kSpliceOut; }
}  // namespace

OpAwaiter Loop::splice_in(int fd, int pipe_write, size_t len, TimePoint deadline) {
  OpAwaiter a(*this, OpKind::kSpliceIn, fd, deadline);
  a.op().pipe = pipe_write;
  a.op().len = len;
  return a;
}

OpAwaiter Loop::splice_out(int pipe_read, int fd, size_t len, TimePoint deadline, bool more) {
  OpAwaiter a(*this, OpKind::kSpliceOut, fd, deadline);
  a.op().pipe = pipe_read;
  a.op().len = len;
  a.op().more = more;
  return a;
}

int try_splice(const Op& op) {
  // SPLICE_F_NONBLOCK for the pipe; the socket is non-blocking itself.
  constexpr unsigned kFlags = SPLICE_F_MOVE | SPLICE_F_NONBLOCK;
  for (;;) {
    const ssize_t r = op.kind == OpKind::kSpliceIn
                          ? ::splice(op.fd, nullptr, op.pipe, nullptr, op.len, kFlags)
                          : ::splice(op.pipe, nullptr, op.fd, nullptr, op.len - op.done,
                                     kFlags | (op.more ? SPLICE_F_MORE : 0u));
    if (r >= 0) return static_cast<int>(r);
    if (errno != EINTR) return errno == EWOULDBLOCK ? -EAGAIN : -errno;
  }
}

int send_flags(const Op& op) { return MSG_NOSIGNAL | (op.more ? MSG_MORE : 0); }

// Returns true if op is now pending; false if it completed at once with op.result final.
bool Loop::begin(Op& op) {
  for (;;) {
    if (start(op)) return true;
    if (!moves_all(op) || op.result <= 0) return false;
    op.done += static_cast<size_t>(op.result);
    if (op.done == op.len) {
      op.result = static_cast<int>(op.done);
      return false;
    }
  }
}

bool Loop::suspend(Op& op, std::coroutine_handle<> h, TimePoint deadline) {
  op.waiter = h;
  if (begin(op, deadline)) return true;
  op.waiter = nullptr;
  return false;
}

bool Loop::begin(Op& op, TimePoint deadline) {
  if (!begin(op)) return false;
  if (deadline != kNoDeadline) {
    op.deadline.fire = &Loop::on_deadline;
    op.deadline.owner = &op;
    timers_.arm(op.deadline, deadline, deadline - now_);
  }
  return true;
}

void Loop::on_deadline(Timer* t) {
  Op& op = *static_cast<Op*>(t->owner);
  op.timed_out = true;
  op.loop->cancel(op);
}

void Loop::complete(Op& op, int result) {
  if (moves_all(op) && result > 0) {
    op.done += static_cast<size_t>(result);
    if (op.done == op.len) {
      result = static_cast<int>(op.done);
    } else if (op.timed_out) {
      // Its deadline passed as these bytes went (io_uring: the cancel came too late for them).
      // Going on would leave the rest with no deadline: it ends, and sent() tells how far it got.
      result = -ECANCELED;
    } else if (begin(op)) {
      return;  // the rest is in flight
    } else {
      result = op.result;
    }
  }
  timers_.disarm(op.deadline);
  op.result = result;
  if (op.waiter) {
    std::exchange(op.waiter, nullptr).resume();
  } else {
    RecvStream::on_watched(op);  // with epoll, a watched stream's receive completes here
  }
}

void Loop::deliver(Op& op, int result, const char* data, bool more) {
  if (!more) op.armed = false;
  if (op.kind == OpKind::kAccept) {
    Acceptor::on_completion(op, result);
  } else {
    RecvStream::on_completion(op, result, data);
  }
}

void Loop::run() {
  stopping_ = false;
  while (!stopping_) {
    Duration timeout = timers_.empty() ? Duration(-1) : timers_.next() - Clock::now();
    if (!timers_.empty() && timeout < Duration::zero()) timeout = Duration::zero();
    wait(timeout);
    refresh_now();
    timers_.fire_due(now_);
  }
}

}  // namespace fulcrum::io

#pragma once
// io::Loop: one per thread. It offers operations, not readiness: each operation is awaited by a
// coroutine and completes exactly once with a result (>= 0 on success, -errno on failure,
// -ETIMEDOUT when its deadline passed first). Two backends implement it: io_uring and epoll
// (which emulates completions by retrying the non-blocking call when the fd is ready).
//
// Lifetime rule (DESIGN principle 2): an Op lives in the frame of the coroutine that awaits it.
// That coroutine stays suspended until the Op completes, so the loop may keep the Op's address
// while it is in flight, and no late completion can reach a freed object. Consequently a socket
// is closed (Loop::close) only when no operation is pending on it; to wake a coroutine that
// waits on a socket, shut the socket down (its pending receive then completes with 0).
//
// Accepting and receiving from clients go through io::Acceptor and io::RecvStream
// (io/multishot.h) instead, whose operations complete more than once.
#include <sys/socket.h>

#include <coroutine>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "base/buffer.h"
#include "io/timer.h"

namespace fulcrum::io {

// kAccept and kRecvStream belong to io::Acceptor and io::RecvStream: with io_uring each is one
// multishot submission that stays in the kernel (armed) across its completions. kSpliceIn and
// kSpliceOut are splice(2) calls, tried at once and again whenever their socket is ready.
enum class OpKind : uint8_t {
  kAccept,
  kRecvStream,
  kConnect,
  kRecv,
  kRead,
  kSend,
  kSpliceIn,
  kSpliceOut
};

class Loop;

struct Op {
  OpKind kind;
  bool timed_out : 1 = false;
  bool in_progress : 1 = false;  // epoll: a connect() already returned EINPROGRESS
  bool armed : 1 = false;        // io_uring: the multishot submission is in the kernel
  // kSend, kSpliceOut: more of the same message follows soon, so the kernel may hold back a
  // segment that is not full until it comes (MSG_MORE).
  bool more : 1 = false;
  int fd;  // kSpliceIn, kSpliceOut: the socket
  int result = 0;
  union {
    socklen_t addr_len = 0;  // kConnect
    int pipe;                // kSpliceIn: the pipe's write end; kSpliceOut: its read end
  };
  // What the op works on, by kind; one at a time, so they share the space (an idle connection
  // keeps an Op in its RecvStream).
  union {
    char* buf = nullptr;   // kRecv, kRead, kSend
    base::Buffer* into;    // kRecvStream: where the bytes go (epoll; io_uring: while one reads)
    const sockaddr* addr;  // kConnect
  };
  size_t len = 0;   // kRecvStream: the space a receive makes in `into` (epoll)
  size_t done = 0;  // kSend, kSpliceOut: bytes sent so far; it completes when all are sent
  Loop* loop = nullptr;
  std::coroutine_handle<> waiter;  // null unless a coroutine waits for this op
  Timer deadline;
};

enum class Backend { kAuto, kUring, kEpoll };

// For the backends: one non-blocking splice(2) for a kSpliceIn or kSpliceOut op, bytes moved or
// -errno (-EAGAIN: to be tried again once the socket is ready).
int try_splice(const Op& op);
// For the backends: the flags of a kSend's send(2).
int send_flags(const Op& op);

// Awaiting it starts the operation; the result is what the operation completed with.
class [[nodiscard]] OpAwaiter {
 public:
  OpAwaiter(Loop& loop, OpKind kind, int fd, TimePoint deadline)
      : loop_(loop), deadline_(deadline) {
    op_.kind = kind;
    op_.fd = fd;
  }
  Op& op() { return op_; }
  bool await_ready() const noexcept { return false; }
  bool await_suspend(std::coroutine_handle<> h);
  int await_resume() const noexcept;

  // kSend, kSpliceOut: the bytes sent so far; when the op failed or timed out, those that went
  // before it did.
  size_t sent() const noexcept { return op_.done; }
  // kSend, kSpliceOut that timed out: awaiting it again sends the rest, until deadline.
  void go_on_until(TimePoint deadline) {
    op_.timed_out = false;
    op_.result = 0;
    deadline_ = deadline;
  }

 private:
  Loop& loop_;
  TimePoint deadline_;
  Op op_;
};

class [[nodiscard]] SleepAwaiter {
 public:
  SleepAwaiter(Loop& loop, TimePoint until) : loop_(loop), until_(until) {}
  bool await_ready() const noexcept;
  void await_suspend(std::coroutine_handle<> h);
  void await_resume() const noexcept {}

 private:
  Loop& loop_;
  TimePoint until_;
  std::coroutine_handle<> waiter_;
  Timer timer_;
};

class Loop {
 public:
  static constexpr TimePoint kNoDeadline{};
  // How often what a thread keeps for the request path is trimmed (the buffer and frame caches
  // here, a proxy's request states): long enough that a steady load's need is seen whole between
  // two trims, short enough that a burst's memory goes back soon after it.
  static constexpr Duration kTrimPeriod = std::chrono::seconds(5);

  // Sets up the requested backend; kAuto tries io_uring and falls back to epoll. Returns null
  // with *error set when the backend cannot be set up.
  static std::unique_ptr<Loop> create(Backend backend, std::string* error);

  virtual ~Loop() = default;
  Loop(const Loop&) = delete;
  Loop& operator=(const Loop&) = delete;

  virtual std::string_view name() const = 0;

  // fd is a non-blocking socket; addr must stay valid until the operation completes. Result 0.
  OpAwaiter connect(int fd, const sockaddr* addr, socklen_t len, TimePoint deadline = kNoDeadline);
  // Result: bytes received, 0 at end of stream.
  OpAwaiter recv(int fd, char* buf, size_t len, TimePoint deadline = kNoDeadline);
  // For descriptors that are not sockets (signalfd, pipes).
  OpAwaiter read(int fd, char* buf, size_t len, TimePoint deadline = kNoDeadline);
  // Completes when all len bytes are sent (result len) or with the first error. more: see Op.
  OpAwaiter send(int fd, const char* buf, size_t len, TimePoint deadline = kNoDeadline,
                 bool more = false);
  // Moves bytes between a socket and a pipe inside the kernel, so that a body relayed from one
  // socket to another is never copied to user space and back. splice_in: up to len bytes from
  // socket fd into the pipe's write end; result as recv's. splice_out: len bytes from the pipe's
  // read end to socket fd; completes as send does.
  OpAwaiter splice_in(int fd, int pipe_write, size_t len, TimePoint deadline = kNoDeadline);
  OpAwaiter splice_out(int pipe_read, int fd, size_t len, TimePoint deadline = kNoDeadline,
                       bool more = false);
  SleepAwaiter sleep(Duration d) { return SleepAwaiter(*this, now() + d); }

  // Closes a socket on which no operation is pending.
  virtual void close(int fd) = 0;
  // Makes a pending op complete soon, with -ECANCELED unless it finished first. Only for an op
  // known to be pending: its address may belong to another op once it has completed. An armed
  // multishot op ends too, with a last completion.
  virtual void cancel(Op& op) = 0;

  // Time as of the last wake-up: cheap, and what deadlines are computed from.
  TimePoint now() const { return now_; }
  Timers& timers() { return timers_; }

  // Runs until stop() is called, then returns after the current round of completions.
  void run();
  void stop() { stopping_ = true; }

 protected:
  Loop();

  // Starts op with one system call or one submission. Returns true if it will complete later
  // through complete(), false if it completed at once with op.result set (a partial send
  // included: the loop, not the backend, continues sends).
  virtual bool start(Op& op) = 0;
  // Waits up to timeout (negative: no limit) for completions, calls refresh_now() as soon as
  // the wait returns, then delivers them via complete().
  virtual void wait(Duration timeout) = 0;
  // Deadlines set by the coroutines that completions resume count from now(): it must not be
  // the time before a long wait.
  void refresh_now() { now_ = Clock::now(); }

  // Called by the backends when the kernel reports an op's result.
  void complete(Op& op, int result);
  // Called by io_uring for each completion of a multishot op; data: the bytes a kRecvStream
  // received (in a provided buffer, valid during the call).
  void deliver(Op& op, int result, const char* data, bool more);

 private:
  friend class OpAwaiter;
  friend class Acceptor;
  friend class RecvStream;
  // Starts op for coroutine h: true if h is to wait for it, false if op.result is final now.
  bool suspend(Op& op, std::coroutine_handle<> h, TimePoint deadline);
  bool begin(Op& op, TimePoint deadline);
  bool begin(Op& op);
  static void on_deadline(Timer* t);

  static void on_trim(Timer* t);

  Timers timers_;
  TimePoint now_;
  bool stopping_ = false;
  Timer trim_timer_;  // gives the thread's buffer and frame caches their surplus back
};

}  // namespace fulcrum::io

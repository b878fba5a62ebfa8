#pragma once
// Operations that complete more than once: accepting on a listening socket and receiving from a
// client. With io_uring each is one multishot submission that stays in the kernel across its
// completions, so a busy listener or keep-alive connection costs no submission per connection or
// per request. With epoll each completion is an ordinary operation started when awaited.
//
// Lifetime rule (as for io::Op): the object lives in the frame of the coroutine that uses it, or
// in an object that outlives its submission (a client session, whose stream is watched while it
// is idle), and its submission must end before it goes: an Acceptor ends with the completion
// that stop() causes, a RecvStream with close(). (An acceptor that never stops, as in
// fulcrum-backend, goes with its loop: no completion is handled after that.)
#include <coroutine>

#include "base/buffer.h"
#include "io/loop.h"

namespace fulcrum::io {

// The connections accepted on one listening socket, awaited one at a time:
//   int fd = co_await acceptor;
// gives the next connection (non-blocking, close-on-exec) or -errno. After an error (EMFILE...)
// the io_uring submission has ended and the next await starts another.
class Acceptor {
 public:
  Acceptor(Loop& loop, int listen_fd);
  Acceptor(const Acceptor&) = delete;
  Acceptor& operator=(const Acceptor&) = delete;

  // Ends accepting: the coroutine waiting on the acceptor resumes with -ECANCELED (or with a
  // connection accepted just before, and -ECANCELED at its next await), as does every await
  // after.
  void stop();

  bool await_ready() noexcept;
  bool await_suspend(std::coroutine_handle<> h);
  int await_resume() noexcept;

 private:
  friend class Loop;
  static void on_completion(Op& op, int result);

  Op op_;  // first: on_completion finds the acceptor from it
  // A completion that came while nobody waited. The owner awaits again before it returns to the
  // loop, so at most one can be held (see on_completion).
  bool has_result_ = false;
  bool stopped_ = false;
};

// The bytes a connected socket receives, appended to the reader's buffer on demand:
//   int n = co_await stream.read(buf, deadline, room);
// gives the number of bytes appended (at least 1), 0 at the end of the stream, or -errno
// (-ETIMEDOUT when the deadline passed first). buf is left alone by others until it completes.
//
// With io_uring the kernel takes a buffer from the loop's provided-buffer ring when bytes arrive,
// so a connection that waits holds no memory of its own; each completion's bytes are copied out
// and the ring buffer goes back at once, and a completion brings what one ring buffer holds
// (`room` is for epoll). Bytes that arrive while nobody reads wait in the stream (pending_); once
// it holds kPendingMax receiving pauses until the next read. The pause takes effect at the loop's
// next submission, so the bound is kPendingMax plus what the kernel received meanwhile: one run of
// a multishot receive, at most 32 ring buffers (io_uring's retry limit), 512 KiB. With epoll a
// read waits for readiness, then receives into buf, making `room` bytes of space only once bytes
// are there, and nothing is read ahead.
class RecvStream {
 public:
  static constexpr size_t kPendingMax = 64 * 1024;

  RecvStream(Loop& loop, int fd);
  ~RecvStream();
  RecvStream(const RecvStream&) = delete;
  RecvStream& operator=(const RecvStream&) = delete;

  class [[nodiscard]] ReadAwaiter {
   public:
    bool await_ready() noexcept;
    bool await_suspend(std::coroutine_handle<> h);
    int await_resume() noexcept;

   private:
    friend class RecvStream;
    ReadAwaiter(RecvStream& s, base::Buffer& buf, TimePoint deadline, size_t room)
        : s_(s), buf_(buf), deadline_(deadline), room_(room) {}
    RecvStream& s_;
    base::Buffer& buf_;
    TimePoint deadline_;
    size_t room_;
    bool waited_ = false;  // else ready_ is the result
    int ready_ = 0;        // what await_ready found without waiting
  };
  ReadAwaiter read(base::Buffer& buf, TimePoint deadline, size_t room) {
    return ReadAwaiter(*this, buf, deadline, room);
  }

  // Waits for the next bytes without a reader: returns false if the next read would return at
  // once (bytes or the end are there); else calls ready(arg) once, when bytes, the end of the
  // stream or the deadline come (then the read returns -ETIMEDOUT), and the read that follows
  // returns at once. An idle connection waits this way, with no coroutine frame. room as in read.
  bool watch(TimePoint deadline, size_t room, void (*ready)(void*), void* arg);

  // Ends a read in progress soon, as its deadline would (it returns -ETIMEDOUT, or bytes that
  // came first), for a reader that is no longer wanted; the stream stays open.
  void interrupt();

  // Ends the receive in the kernel; once it completes the socket may be closed and the stream
  // destroyed.
  class [[nodiscard]] CloseAwaiter {
   public:
    bool await_ready() const noexcept { return !s_.op_.armed; }
    void await_suspend(std::coroutine_handle<> h);
    void await_resume() const noexcept {}

   private:
    friend class RecvStream;
    explicit CloseAwaiter(RecvStream& s) : s_(s) {}
    RecvStream& s_;
  };
  CloseAwaiter close() { return CloseAwaiter(*this); }

 private:
  friend class Loop;
  static constexpr int kOpen = 1;
  static void on_completion(Op& op, int result, const char* data);
  // epoll: a watch's receive completed (into pending_).
  static void on_watched(Op& op);
  // Calls the watch's ready() if the next read would return at once. The stream may be gone
  // after this: it is the last thing a completion does.
  void notify();
  bool begin_read(base::Buffer& into, TimePoint deadline, size_t room, std::coroutine_handle<> h);

  Op op_;                 // first: on_completion finds the stream from it
  int end_ = kOpen;       // the stream's end, once seen while nobody read: 0 or -errno
  bool closing_ = false;  // close() waits for the submission's last completion
  bool pausing_ = false;  // the submission was cancelled because pending_ was full
  base::Buffer pending_;
  void (*ready_)(void*) = nullptr;  // while a watch is set
  void* ready_arg_ = nullptr;
};

}  // namespace fulcrum::io

#include "io/multishot.h"

#include <cassert>
#include <cerrno>
#include <type_traits>
#include <utility>

namespace fulcrum::io {

namespace {
// The op is the first member of a standard-layout owner, so the two share an address.
template <typename Owner>
Owner& owner_of(Op& op) {
  static_assert(std::is_standard_layout_v<Owner>);
  return *reinterpret_cast<Owner*>(&op);
}
}  // namespace

Acceptor::Acceptor(Loop& loop, int listen_fd) {
  op_.kind = OpKind::kAccept;
  op_.fd = listen_fd;
  op_.loop = &loop;
}

void Acceptor::stop() {
  stopped_ = true;
  if (op_.waiter || op_.armed) op_.loop->cancel(op_);
}

bool Acceptor::await_ready() noexcept {
  if (stopped_ && !op_.armed && !has_result_) {
    op_.result = -ECANCELED;
    has_result_ = true;
  }
  return has_result_;
}

bool Acceptor::await_suspend(std::coroutine_handle<> h) {
  return op_.loop->suspend(op_, h, Loop::kNoDeadline);
}

int Acceptor::await_resume() noexcept {
  has_result_ = false;
  return op_.result;
}

void Acceptor::on_completion(Op& op, int result) {
  auto& self = owner_of<Acceptor>(op);
  if (op.waiter) {
    op.loop->complete(op, result);
    return;
  }
  // The owner resumed by the previous completion has not awaited again yet (it cannot be
  // anywhere else: it awaits again before it gives the loop back).
  assert(!self.has_result_);
  op.result = result;
  self.has_result_ = true;
}

RecvStream::RecvStream(Loop& loop, int fd) {
  op_.kind = OpKind::kRecvStream;
  op_.fd = fd;
  op_.loop = &loop;
}

RecvStream::~RecvStream() { assert(!op_.armed); }

bool RecvStream::ReadAwaiter::await_ready() noexcept {
  waited_ = false;
  if (!s_.pending_.empty()) {
    ready_ = static_cast<int>(s_.pending_.size());
    if (buf_.empty()) {
      buf_ = std::move(s_.pending_);
    } else {
      buf_.append(s_.pending_.data(), s_.pending_.size());
      s_.pending_.release();
    }
    return true;
  }
  ready_ = s_.end_;
  return s_.end_ != kOpen;
}

bool RecvStream::ReadAwaiter::await_suspend(std::coroutine_handle<> h) {
  waited_ = true;
  return s_.begin_read(buf_, deadline_, room_, h);
}

bool RecvStream::begin_read(base::Buffer& into, TimePoint deadline, size_t room,
                            std::coroutine_handle<> h) {
  op_.into = &into;
  op_.len = room;
  op_.timed_out = false;
  return op_.loop->suspend(op_, h, deadline);
}

bool RecvStream::watch(TimePoint deadline, size_t room, void (*ready)(void*), void* arg) {
  assert(!op_.waiter && !ready_);
  if (!pending_.empty() || end_ != kOpen) return false;
  op_.into = &pending_;
  op_.len = room;
  op_.timed_out = false;
  if (!op_.loop->begin(op_, deadline)) {  // epoll: it came at once
    if (op_.result <= 0) end_ = op_.result;
    return false;
  }
  ready_ = ready;
  ready_arg_ = arg;
  return true;
}

void RecvStream::interrupt() {
  if (!op_.waiter) return;
  op_.loop->timers().disarm(op_.deadline);
  op_.timed_out = true;
  op_.loop->cancel(op_);
}

void RecvStream::notify() {
  if (!ready_ || (pending_.empty() && end_ == kOpen)) return;
  op_.loop->timers().disarm(op_.deadline);
  auto ready = std::exchange(ready_, nullptr);
  ready(ready_arg_);
}

void RecvStream::on_watched(Op& op) {
  RecvStream& s = owner_of<RecvStream>(op);
  if (op.result <= 0) s.end_ = op.timed_out && op.result < 0 ? -ETIMEDOUT : op.result;
  s.notify();
}

int RecvStream::ReadAwaiter::await_resume() noexcept {
  if (!waited_) return ready_;
  Op& op = s_.op_;
  op.into = nullptr;
  if (op.timed_out && op.result < 0) return -ETIMEDOUT;
  return op.result;
}

void RecvStream::CloseAwaiter::await_suspend(std::coroutine_handle<> h) {
  s_.closing_ = true;
  s_.op_.waiter = h;
  s_.op_.loop->cancel(s_.op_);
}

void RecvStream::on_completion(Op& op, int result, const char* data) {
  RecvStream& s = owner_of<RecvStream>(op);
  if (result > 0 && !s.closing_) {
    if (op.waiter) {
      op.into->append(data, static_cast<size_t>(result));
      op.loop->complete(op, result);  // the reader may start the next read: nothing after this
      return;
    }
    s.pending_.append(data, static_cast<size_t>(result));
    if (op.armed && !s.pausing_ && s.pending_.size() >= kPendingMax) {
      s.pausing_ = true;
      op.loop->cancel(op);
    }
  }
  if (op.armed) {
    s.notify();
    return;
  }
  // The submission's last completion. It may come with data; the next read starts another.
  s.pausing_ = false;
  if (s.closing_) {
    s.closing_ = false;
    op.loop->complete(op, 0);
    return;
  }
  if (result > 0) {
    s.notify();
    return;
  }
  const bool ours = result == -ECANCELED || result == -ENOBUFS;
  if (!op.waiter) {
    if (!ours) {
      s.end_ = result;
    } else if (s.ready_ && op.timed_out) {
      s.end_ = -ETIMEDOUT;
    } else if (s.ready_ && s.pending_.empty()) {
      op.loop->start(op);  // the ring ran dry for a moment: the watch goes on
      return;
    }
    s.notify();
  } else if (ours && !op.timed_out) {
    // Paused, or the ring ran dry for a moment (each buffer goes back as its completion is
    // handled, so the next submission finds them): the reader keeps waiting.
    op.loop->start(op);
  } else {
    op.loop->complete(op, result);
  }
}

}  // namespace fulcrum::io

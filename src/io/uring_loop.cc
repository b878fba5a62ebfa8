#include "io/uring_loop.h"

#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace fulcrum::io {

namespace {
constexpr unsigned kEntries = 4096;
}

std::unique_ptr<Loop> UringLoop::create(std::string* error) {
  std::unique_ptr<UringLoop> loop(new UringLoop());
  // Newest flags first: DEFER_TASKRUN runs completions only when we wait (fewer interrupts of
  // the loop's thread), COOP_TASKRUN avoids inter-processor interrupts; older kernels refuse them.
  const unsigned flag_sets[] = {IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN,
                                IORING_SETUP_COOP_TASKRUN, 0};
  int rc = -ENOSYS;
  for (unsigned flags : flag_sets) {
    io_uring_params params{};
    params.flags = flags;
    rc = io_uring_queue_init_params(kEntries, &loop->ring_, &params);
    if (rc == 0) return loop;
    if (rc != -EINVAL) break;
  }
  *error = std::string("io_uring_queue_init: ") + std::strerror(-rc);
  return nullptr;
}

UringLoop::~UringLoop() { io_uring_queue_exit(&ring_); }

void UringLoop::close(int fd) { ::close(fd); }

io_uring_sqe* UringLoop::next_sqe() {
  io_uring_sqe* sqe = io_uring_get_sqe(&ring_);
  while (!sqe) {
    io_uring_submit(&ring_);
    sqe = io_uring_get_sqe(&ring_);
  }
  return sqe;
}

bool UringLoop::start(Op& op) {
  io_uring_sqe* sqe = next_sqe();
  switch (op.kind) {
    case OpKind::kAccept:
      io_uring_prep_accept(sqe, op.fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
      break;
    case OpKind::kConnect:
      io_uring_prep_connect(sqe, op.fd, op.addr, op.addr_len);
      break;
    case OpKind::kRecv:
      io_uring_prep_recv(sqe, op.fd, op.buf, op.len, 0);
      break;
    case OpKind::kRead:
      io_uring_prep_read(sqe, op.fd, op.buf, static_cast<unsigned>(op.len), 0);
      break;
    case OpKind::kSend:
      io_uring_prep_send(sqe, op.fd, op.buf + op.done, op.len - op.done, MSG_NOSIGNAL);
      break;
    case OpKind::kReadable:
      io_uring_prep_poll_add(sqe, op.fd, POLLIN | POLLRDHUP);
      break;
  }
  io_uring_sqe_set_data(sqe, &op);
  return true;
}

void UringLoop::cancel(Op& op) {
  io_uring_sqe* sqe = next_sqe();
  io_uring_prep_cancel(sqe, &op, 0);
  io_uring_sqe_set_data(sqe, nullptr);
}

void UringLoop::wait(Duration timeout) {
  io_uring_cqe* cqe = nullptr;
  if (timeout < Duration::zero()) {
    io_uring_submit_and_wait(&ring_, 1);
  } else {
    auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(timeout).count();
    __kernel_timespec ts{.tv_sec = ns / 1000000000, .tv_nsec = ns % 1000000000};
    io_uring_submit_and_wait_timeout(&ring_, &cqe, 1, &ts, nullptr);
  }
  refresh_now();
  while (io_uring_peek_cqe(&ring_, &cqe) == 0) {
    auto* op = static_cast<Op*>(io_uring_cqe_get_data(cqe));
    int res = cqe->res;
    io_uring_cqe_seen(&ring_, cqe);
    // A poll completes with the events that happened; readable() promises 0.
    if (op) complete(*op, op->kind == OpKind::kReadable && res > 0 ? 0 : res);
  }
}

}  // namespace fulcrum::io

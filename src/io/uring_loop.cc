#include "io/uring_loop.h"

#include <poll.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace fulcrum::io {

namespace {
constexpr unsigned kEntries = 4096;
// The provided buffers that client receives take from. A completion's buffer goes back as soon
// as its bytes are copied out, so few suffice however many connections wait; a small request
// touches only the first page of one.
constexpr unsigned kRingBuffers = 128;
constexpr unsigned kRingBufferSize = 16 * 1024;
constexpr unsigned kBufferGroup = 0;

bool is_splice(const Op& op) {
  return op.kind == OpKind::kSpliceIn || op.kind == OpKind::kSpliceOut;
}

// The buffers start on a page of their own: a small receive then touches one page.
size_t round_to_page(size_t n) { return (n + 4095) & ~size_t{4095}; }
}  // namespace

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
    if (rc == 0) {
      // Every wait enters the kernel with the ring's registered index instead of its descriptor,
      // which saves looking the descriptor up each time; a kernel without it (before 5.18) only
      // loses that.
      io_uring_register_ring_fd(&loop->ring_);
      return loop->setup_buffer_ring(error) ? std::move(loop) : nullptr;
    }
    if (rc != -EINVAL) break;
  }
  *error = std::string("io_uring_queue_init: ") + std::strerror(-rc);
  return nullptr;
}

bool UringLoop::setup_buffer_ring(std::string* error) {
  const size_t ring_size = round_to_page(kRingBuffers * sizeof(io_uring_buf));
  const size_t buffers_size = size_t{kRingBuffers} * kRingBufferSize;
  void* mem = ::mmap(nullptr, ring_size + buffers_size, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (mem == MAP_FAILED) {
    *error = std::string("io_uring buffer ring: mmap: ") + std::strerror(errno);
    return false;
  }
  buffer_ring_ = static_cast<io_uring_buf_ring*>(mem);
  buffers_ = static_cast<char*>(mem) + ring_size;
  io_uring_buf_reg reg{};
  reg.ring_addr = reinterpret_cast<uint64_t>(buffer_ring_);
  reg.ring_entries = kRingBuffers;
  reg.bgid = kBufferGroup;
  int rc = io_uring_register_buf_ring(&ring_, &reg, 0);
  if (rc != 0) {
    *error = std::string("io_uring_register_buf_ring: ") + std::strerror(-rc);
    return false;
  }
  io_uring_buf_ring_init(buffer_ring_);
  for (unsigned i = 0; i < kRingBuffers; ++i) {
    io_uring_buf_ring_add(buffer_ring_, buffers_ + size_t{i} * kRingBufferSize, kRingBufferSize,
                          static_cast<unsigned short>(i), io_uring_buf_ring_mask(kRingBuffers),
                          static_cast<int>(i));
  }
  io_uring_buf_ring_advance(buffer_ring_, kRingBuffers);
  const std::string why = try_multishot_receive();
  if (!why.empty()) *error = "io_uring: " + why;
  return why.empty();
}

// Asked of the kernel by making one, since a kernel's version need not tell (distributions
// backport io_uring): a receive of a byte that is already there completes at once, with more to
// come from a kernel that has multishot receive (Linux 6.0) and refused by an older one. Each
// wait is bounded, and the submission's user data is null, which wait() ignores should a
// completion come later.
std::string UringLoop::try_multishot_receive() {
  int pair[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, pair) != 0) {
    return std::string("socketpair: ") + std::strerror(errno);
  }
  std::string why = "the kernel refuses multishot receive (it came with Linux 6.0)";
  const char byte = 0;
  __kernel_timespec limit{.tv_sec = 1, .tv_nsec = 0};
  io_uring_cqe* cqe = nullptr;
  if (::send(pair[1], &byte, 1, MSG_NOSIGNAL) != 1) {
    why = std::string("socketpair: send: ") + std::strerror(errno);
  } else {
    io_uring_sqe* sqe = next_sqe();
    io_uring_prep_recv_multishot(sqe, pair[0], nullptr, 0, 0);
    sqe->flags |= IOSQE_BUFFER_SELECT;
    sqe->buf_group = kBufferGroup;
    io_uring_sqe_set_data(sqe, nullptr);
    if (io_uring_submit_and_wait_timeout(&ring_, &cqe, 1, &limit, nullptr) >= 0 && cqe) {
      if (cqe->res == 1 && (cqe->flags & IORING_CQE_F_MORE)) why.clear();
      if (cqe->flags & IORING_CQE_F_BUFFER) give_back(cqe->flags >> IORING_CQE_BUFFER_SHIFT);
      io_uring_cqe_seen(&ring_, cqe);
    }
  }
  ::close(pair[1]);
  // The receive, still waiting, ends with the end of its stream.
  if (why.empty() && io_uring_wait_cqe_timeout(&ring_, &cqe, &limit) == 0) {
    io_uring_cqe_seen(&ring_, cqe);
  }
  ::close(pair[0]);
  return why;
}

UringLoop::~UringLoop() {
  io_uring_queue_exit(&ring_);
  if (buffer_ring_) {
    ::munmap(buffer_ring_, round_to_page(kRingBuffers * sizeof(io_uring_buf)) +
                               size_t{kRingBuffers} * kRingBufferSize);
  }
}

void UringLoop::give_back(unsigned buffer_id) {
  io_uring_buf_ring_add(buffer_ring_, buffers_ + size_t{buffer_id} * kRingBufferSize,
                        kRingBufferSize, static_cast<unsigned short>(buffer_id),
                        io_uring_buf_ring_mask(kRingBuffers), 0);
  io_uring_buf_ring_advance(buffer_ring_, 1);
}

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
  if (op.armed) return true;  // a multishot submission is there: only wait
  if (is_splice(op)) {
    // io_uring's own splice runs in a worker thread whenever it would wait; the call is made
    // here instead, and a poll submission waits for the socket when it would block.
    const int r = try_splice(op);
    if (r != -EAGAIN) {
      op.result = r;
      return false;
    }
    io_uring_sqe* sqe = next_sqe();
    io_uring_prep_poll_add(sqe, op.fd, op.kind == OpKind::kSpliceIn ? POLLIN : POLLOUT);
    io_uring_sqe_set_data(sqe, &op);
    return true;
  }
  io_uring_sqe* sqe = next_sqe();
  switch (op.kind) {
    case OpKind::kAccept:
      io_uring_prep_multishot_accept(sqe, op.fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
      op.armed = true;
      break;
    case OpKind::kRecvStream:
      io_uring_prep_recv_multishot(sqe, op.fd, nullptr, 0, 0);
      sqe->flags |= IOSQE_BUFFER_SELECT;
      sqe->buf_group = kBufferGroup;
      op.armed = true;
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
      io_uring_prep_send(sqe, op.fd, op.buf + op.done, op.len - op.done, send_flags(op));
      break;
    case OpKind::kSpliceIn:
    case OpKind::kSpliceOut:
      break;  // above
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
    const int res = cqe->res;
    const unsigned flags = cqe->flags;
    io_uring_cqe_seen(&ring_, cqe);
    if (!op) continue;
    if (is_splice(*op)) {
      // The socket is ready (res: its poll mask): the call again. Or the poll was cancelled, or
      // its deadline passed as it became ready (a poll started again would have none).
      if (res < 0 || op->timed_out) {
        complete(*op, res < 0 ? res : -ECANCELED);
      } else if (!start(*op)) {
        complete(*op, op->result);
      }
      continue;
    }
    if (op->kind != OpKind::kAccept && op->kind != OpKind::kRecvStream) {
      complete(*op, res);
      continue;
    }
    if (!(flags & IORING_CQE_F_BUFFER)) {
      deliver(*op, res, nullptr, flags & IORING_CQE_F_MORE);
      continue;
    }
    const unsigned id = flags >> IORING_CQE_BUFFER_SHIFT;
    deliver(*op, res, buffers_ + size_t{id} * kRingBufferSize, flags & IORING_CQE_F_MORE);
    give_back(id);
  }
}

}  // namespace fulcrum::io

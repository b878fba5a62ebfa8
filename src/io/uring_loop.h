#pragma once
#include <liburing.h>

#include <memory>
#include <string>

#include "io/loop.h"

namespace fulcrum::io {

// io_uring backend: every operation is one submission whose user_data is the Op's address; a
// cancellation's own completion carries user_data 0 and is ignored. Submissions are batched and
// sent with the wait for completions, one system call per loop round. Accepts and client
// receives are multishot, the receives filling buffers from one provided-buffer ring per loop.
class UringLoop final : public Loop {
 public:
  // Returns null with *error set when the kernel refuses a ring (old kernel, seccomp, sysctl).
  static std::unique_ptr<Loop> create(std::string* error);
  ~UringLoop() override;

  std::string_view name() const override { return "io_uring"; }
  void close(int fd) override;
  void cancel(Op& op) override;

 protected:
  bool start(Op& op) override;
  void wait(Duration timeout) override;

 private:
  UringLoop() = default;
  bool setup_buffer_ring(std::string* error);
  // Empty if the kernel takes a multishot receive; else why not.
  std::string try_multishot_receive();
  io_uring_sqe* next_sqe();
  void give_back(unsigned buffer_id);

  io_uring ring_{};
  io_uring_buf_ring* buffer_ring_ = nullptr;
  char* buffers_ = nullptr;  // the ring's buffers, one mapping
};

}  // namespace fulcrum::io

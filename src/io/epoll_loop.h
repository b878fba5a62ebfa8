#pragma once
#include <memory>
#include <string>
#include <vector>

#include "io/loop.h"

namespace fulcrum::io {

// epoll backend: emulates completions. An operation first tries its non-blocking system call;
// only on EAGAIN is it parked on its fd (one reader and one writer slot per fd) and retried when
// epoll reports readiness. Trying first is what makes edge-triggered mode safe: an edge is only
// ever awaited after the call has seen EAGAIN. Each registration carries the fd's generation, so
// an event queued for a closed fd is not delivered to the fd's next owner (nginx's instance bit).
class EpollLoop final : public Loop {
 public:
  // Returns null with *error set if epoll_create1 fails.
  static std::unique_ptr<Loop> create(std::string* error);
  ~EpollLoop() override;

  std::string_view name() const override { return "epoll"; }
  void close(int fd) override;
  void cancel(Op& op) override;

 protected:
  bool start(Op& op) override;
  void wait(Duration timeout) override;

 private:
  struct FdState {
    uint32_t generation = 0;
    bool registered = false;
    Op* reader = nullptr;
    Op* writer = nullptr;
  };

  explicit EpollLoop(int epfd) : epfd_(epfd) {}
  FdState& state(int fd);
  Op*& slot(Op& op);
  void retry(int fd, uint32_t generation, bool writer);

  int epfd_;
  std::vector<FdState> fds_;
};

}  // namespace fulcrum::io

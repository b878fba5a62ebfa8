#include "server/worker.h"

#include <cerrno>
#include <cstring>
#include <random>

#include "base/log.h"
#include "net/socket.h"
#include "proxy/client_session.h"

namespace fulcrum::server {

namespace {

upstream::BackendSet make_backends(const config::Config& config) {
  upstream::BackendSet set;
  for (const auto& b : config.backends) {
    set.push_back({b.host + ":" + std::to_string(b.port), b.address, {}});
    set.back().health.configure(config.health.unhealthy_threshold,
                                config.health.healthy_threshold, config.health.enabled);
  }
  return set;
}

}  // namespace

Worker::Worker(io::Loop& loop, const config::Config& config, int listen_fd)
    : loop_(loop),
      backends_(make_backends(config)),
      ctx_(loop, config, backends_, std::random_device{}()),
      prober_(loop, backends_, config.health, std::random_device{}()),
      listen_fd_(listen_fd) {
  drain_timer_.owner = this;
  drain_timer_.fire = &Worker::on_drain_timeout;
  ctx_.on_drained_arg = this;
  ctx_.on_drained = [](void* self) { static_cast<Worker*>(self)->finish_if_drained(); };
}

Worker::~Worker() { loop_.timers().disarm(drain_timer_); }

void Worker::start() {
  if (ctx_.config.health.enabled) prober_.start(tasks_);
  accepting_ = true;
  tasks_.start(accept_loop());
}

base::Task<void> Worker::accept_loop() {
  while (accepting_) {
    io::OpAwaiter accept = loop_.accept(listen_fd_);
    pending_accept_ = &accept.op();
    int fd = co_await accept;
    pending_accept_ = nullptr;
    if (fd >= 0) {
      net::set_nodelay(fd);
      base::spawn(proxy::ClientSession::serve(ctx_, fd));
      continue;
    }
    if (!accepting_) break;
    if (fd == -EMFILE || fd == -ENFILE || fd == -ENOBUFS || fd == -ENOMEM) {
      // Out of descriptors: pause instead of spinning; connections wait in the backlog.
      LOG_WARN("accept: %s; pausing accepts for 100ms", std::strerror(-fd));
      co_await loop_.sleep(std::chrono::milliseconds(100));
    }
  }
  loop_.close(listen_fd_);
  listen_fd_ = -1;
  finish_if_drained();
}

void Worker::drain() {
  if (ctx_.draining) return;
  LOG_INFO("draining: %zu connections open, waiting up to %lldms", ctx_.session_count,
           static_cast<long long>(ctx_.config.timeouts.drain.count()));
  stop_accepting();
  loop_.timers().arm(drain_timer_, loop_.now() + ctx_.config.timeouts.drain);
}

void Worker::stop() {
  LOG_INFO("stopping: closing %zu connections", ctx_.session_count);
  if (!ctx_.draining) stop_accepting();
  loop_.timers().disarm(drain_timer_);
  abort_sessions();
  finish_if_drained();
}

void Worker::stop_accepting() {
  ctx_.draining = true;
  accepting_ = false;
  // The socket is closed by accept_loop once its accept is over. Not shut down: in
  // multi-process mode it is shared with the master and the next worker of this slot.
  if (pending_accept_) loop_.cancel(*pending_accept_);
}

void Worker::on_drain_timeout(io::Timer* timer) {
  auto* self = static_cast<Worker*>(timer->owner);
  LOG_INFO("drain timeout: closing %zu connections", self->ctx_.session_count);
  self->abort_sessions();
}

// Each session wakes with its sockets shut down and ends; the last one stops the loop.
void Worker::abort_sessions() {
  for (auto* s = ctx_.sessions; s; s = s->next()) s->abort();
}

void Worker::finish_if_drained() {
  if (ctx_.draining && listen_fd_ < 0 && ctx_.session_count == 0) loop_.stop();
}

}  // namespace fulcrum::server

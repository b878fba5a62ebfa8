#include "server/worker.h"

#include <cstring>
#include <random>

#include "base/log.h"
#include "net/socket.h"
#include "proxy/client_session.h"
#include "server/listeners.h"
#include "upstream/stats.h"

namespace fulcrum::server {

Worker::Worker(io::Loop& loop, upstream::SharedState& shared, bool prober,
               std::shared_ptr<const config::Config> config, std::vector<int> listen_fds)
    : loop_(loop),
      open_listeners_(listen_fds.size()),
      backends_(loop, shared, prober, probes_, std::random_device{}()),
      ctx_(loop, backends_, std::move(config), std::random_device{}()) {
  for (int fd : listen_fds) listeners_.push_back({fd});
  drain_timer_.owner = this;
  drain_timer_.fire = &Worker::on_drain_timeout;
  ctx_.on_drained_arg = this;
  ctx_.on_drained = [](void* self) { static_cast<Worker*>(self)->finish_if_drained(); };
}

Worker::~Worker() { loop_.timers().disarm(drain_timer_); }

void Worker::start() {
  accepting_ = true;
  for (Listener& l : listeners_) tasks_.start(accept_loop(l));
}

void Worker::reload(std::shared_ptr<const config::Config> config) {
  if (!same_listeners(*config, ctx_.config())) {
    LOG_WARN(
        "reload: new listen addresses take a restart or an upgrade (SIGUSR2); still "
        "listening on %s",
        listeners_text(ctx_.config()).c_str());
  }
  ctx_.reload(std::move(config));
  base::set_log_level(ctx_.config().log_level);
  LOG_INFO("reloaded: %zu pools, %zu routes, %zu backends", ctx_.config().pools.size(),
           ctx_.config().routes.size(), backends_.size());
}

void Worker::log_stats() const { upstream::log_stats(ctx_.config(), backends_.shared()); }

base::Task<void> Worker::accept_loop(Listener& listener) {
  io::Acceptor acceptor(loop_, listener.fd);
  listener.acceptor = &acceptor;
  // Until stop_accepting() has ended the acceptor: a connection accepted meanwhile is served
  // (and told to close after its request, as the worker drains).
  for (;;) {
    int fd = co_await acceptor;
    if (fd >= 0) {
      net::set_nodelay(fd);
      proxy::ClientSession::start(ctx_, fd);
      continue;
    }
    if (accepting_ && net::out_of_sockets(fd)) {
      // Out of descriptors: pause instead of spinning; connections wait in the backlog.
      LOG_WARN("accept: %s; pausing accepts for 100ms", std::strerror(-fd));
      co_await loop_.sleep(std::chrono::milliseconds(100));
    }
    if (!accepting_) break;
  }
  listener.acceptor = nullptr;
  loop_.close(listener.fd);
  listener.fd = -1;
  --open_listeners_;
  finish_if_drained();
}

void Worker::drain() {
  if (ctx_.draining) return;
  LOG_INFO("draining: %zu connections open, waiting up to %lldms", ctx_.session_count,
           static_cast<long long>(ctx_.config().timeouts.drain.count()));
  stop_accepting();
  backends_.stop_probing();
  loop_.timers().arm(drain_timer_, loop_.now() + ctx_.config().timeouts.drain);
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
  // The sockets are closed by the accept loops once their accepts are over. Not shut down: in
  // multi-process mode they are shared with the master and the next worker of this slot.
  for (Listener& l : listeners_) {
    if (l.acceptor) l.acceptor->stop();
  }
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
  if (ctx_.draining && open_listeners_ == 0 && ctx_.session_count == 0) loop_.stop();
}

}  // namespace fulcrum::server

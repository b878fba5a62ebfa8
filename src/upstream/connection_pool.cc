#include "upstream/connection_pool.h"

#include <sys/socket.h>

#include <algorithm>
#include <cerrno>

namespace fulcrum::upstream {

namespace {
// What an idle connection's receive makes room for with epoll: bytes there mean it is spoilt,
// however many.
constexpr size_t kIdleRoom = 512;

// Neither bytes nor the end have come.
bool quiet(int fd) {
  char byte;
  return ::recv(fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT) < 0 &&
         (errno == EAGAIN || errno == EWOULDBLOCK);
}
}  // namespace

Connection* Connections::open(int fd) {
  ++count_;
  return new Connection(*this, loop_, fd);
}

void Connections::close(Connection* c) {
  if (!c->rx.close(&Connections::on_closed, c)) finish(c);
}

void Connections::on_closed(void* connection) {
  auto* c = static_cast<Connection*>(connection);
  c->owner.finish(c);
}

void Connections::finish(Connection* c) {
  loop_.close(c->fd);
  delete c;
  if (--count_ == 0 && on_none) on_none(on_none_arg);
}

void ConnectionPool::configure(size_t max_idle, io::Duration idle_timeout) {
  max_idle_ = max_idle;
  idle_timeout_ = idle_timeout;
  while (idle_.size() > max_idle_) close_oldest();
}

// Each leaves the stack before it closes: with epoll, closing the last connection of a worker that
// ends calls back into close_all().
void ConnectionPool::close_oldest() {
  Connection* c = idle_.front();
  idle_.erase(idle_.begin());
  connections_.close(c);
}

Connection* ConnectionPool::take() {
  while (!idle_.empty()) {
    Connection* c = idle_.back();
    idle_.pop_back();
    c->rx.unwatch();
    c->pool = nullptr;
    const io::Loop& loop = connections_.loop();
    if (loop.now() - c->since < idle_timeout_ && (c->round != loop.round() || quiet(c->fd))) {
      return c;
    }
    connections_.close(c);
  }
  return nullptr;
}

void ConnectionPool::put(Connection* c) {
  if (idle_.size() >= max_idle_ ||
      !c->rx.watch(io::Loop::kNoDeadline, kIdleRoom, &ConnectionPool::on_idle_event, c)) {
    connections_.close(c);
    return;
  }
  if (idle_.capacity() == 0) idle_.reserve(std::min<size_t>(max_idle_, 64));
  c->pool = this;
  c->since = connections_.loop().now();
  c->round = connections_.loop().round();
  idle_.push_back(c);
}

void ConnectionPool::on_idle_event(void* connection) {
  auto* c = static_cast<Connection*>(connection);
  ConnectionPool& pool = *c->pool;
  std::erase(pool.idle_, c);
  pool.connections_.close(c);
}

void ConnectionPool::sweep() {
  const io::TimePoint cutoff = connections_.loop().now() - idle_timeout_;
  // Oldest at the bottom: expired connections form a prefix of the stack.
  while (!idle_.empty() && idle_.front()->since <= cutoff) close_oldest();
}

void ConnectionPool::close_all() {
  while (!idle_.empty()) close_oldest();
}

}  // namespace fulcrum::upstream

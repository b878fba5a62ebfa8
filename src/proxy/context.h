#pragma once
// What the client sessions of one loop share: the loop, the backends, the configuration in
// force (a Generation) and the older ones still finishing requests, the list of live sessions
// (for draining), and the request states that no request uses at the moment.
#include <coroutine>
#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "base/buffer.h"
#include "base/spares.h"
#include "config/config.h"
#include "http/message.h"
#include "http/request_parser.h"
#include "http/response_parser.h"
#include "io/loop.h"
#include "proxy/access_log.h"
#include "proxy/generation.h"
#include "proxy/relay.h"
#include "upstream/backend_table.h"
#include "upstream/balancer/fast_random.h"

namespace fulcrum::proxy {

class ClientSession;

// A streamed request body (chunked, or too large to keep) goes to the backend while the answer
// is read, as its own task: a backend may answer before it has read the body (an early 413) or
// while it reads it (an echo), and an answer that waited for the upload's end would wait for the
// backend timeout, or for good once both sides' buffers are full.
struct Upload : OtherWay {
  bool stopped = false;  // ended by fulcrum, its answer being over or failed
  RelayResult result = RelayResult::kDone;
  std::coroutine_handle<> joiner;  // waits for the end
  // The client left or sent a malformed body: the request is void.
  bool client_failed() const {
    return !stopped && (result == RelayResult::kSourceFailed || result == RelayResult::kMalformed);
  }
};

// What a request needs while it is read and forwarded, beyond its connection. Reused from
// request to request: its header lists keep their capacity, so a request allocates nothing.
struct RequestState {
  explicit RequestState(const http::Limits& l) : limits(l), request_parser(l), response_parser(l) {}
  http::Limits limits;  // the parsers'
  http::RequestParser request_parser;
  http::ResponseParser response_parser;
  http::RequestHead req;
  http::ResponseHead resp;
  base::Buffer out;             // heads fulcrum writes (the request's stays for a retry)
  base::Buffer interim;         // a 1xx response head on its way to the client
  base::Buffer backend_in;      // from the backend
  Pool* pool = nullptr;         // the request's
  size_t backend = 0;           // in pool, the one tried now
  uint64_t response_bytes = 0;  // from the backend, in this try
  // For the access log: when the request started, what went to the client, which backend
  // was tried last, and the fields logged from the head (a copy, as the head leaves in_).
  io::TimePoint started{};
  int answered = 0;           // the status of the head that reached the client; 0: none yet
  uint64_t client_bytes = 0;  // sent to the client
  bool tried = false;         // a backend was picked
  bool noted = false;         // the fields below are this request's (the log was on at its start)
  std::string logged;         // request line, Referer and User-Agent, one after the other
  uint32_t logged_request = 0;
  uint32_t logged_referer = 0;
  Upload upload;              // of this try
  Activity backend_activity;  // of this try's backend connection
};

class ProxyContext {
 public:
  // seed: for the balancers that draw at random and for request ids, different per loop.
  ProxyContext(io::Loop& l, upstream::BackendTable& table,
               std::shared_ptr<const config::Config> config, uint64_t seed);
  ~ProxyContext();
  ProxyContext(const ProxyContext&) = delete;
  ProxyContext& operator=(const ProxyContext&) = delete;

  // Puts a new configuration in force for the requests that start from now on.
  void reload(std::shared_ptr<const config::Config> config);
  // The configuration in force, held until release() by a request that starts now.
  Generation& acquire() {
    ++current_->users;
    return *current_;
  }
  void release(Generation& g) {
    if (--g.users == 0 && &g != current_) retire(g);
  }
  const config::Config& config() const { return current_->config(); }

  // A request state for a request that starts now, with the limits in force; give it back when
  // the request is over. States are kept for the next requests as long as the load uses them:
  // every io::Loop::kTrimPeriod those that none used since the previous trim are freed.
  std::unique_ptr<RequestState> take_state();
  void give_state(std::unique_ptr<RequestState> s);
  size_t kept_states() const { return free_states_.size(); }  // for tests

  io::Loop& loop;
  upstream::BackendTable& backends;
  upstream::InstanceCounters& counters;  // shared by the instance's workers
  upstream::FastRandom random;           // request ids
  PipeCache pipes;                       // for the bodies that are spliced; trimmed as states are
  AccessLog access_log;                  // as the configuration in force says

  // Set when the worker drains: sessions finish the request in flight with "Connection: close".
  bool draining = false;
  ClientSession* sessions = nullptr;  // intrusive list of live sessions
  size_t session_count = 0;
  // Called when the last session ends while draining.
  void (*on_drained)(void*) = nullptr;
  void* on_drained_arg = nullptr;

 private:
  void retire(Generation& g);
  static void on_trim(io::Timer* t);

  uint64_t seed_;
  Generation* current_ = nullptr;
  std::vector<std::unique_ptr<Generation>> generations_;  // current_ and older ones in use
  base::Spares<std::unique_ptr<RequestState>> free_states_;
  io::Timer trim_timer_;
};

}  // namespace fulcrum::proxy

#pragma once
#include <cstdint>
#include <string_view>

#include "config/config.h"
#include "http/message.h"

namespace fulcrum::proxy {

// The key the hash strategy balances a request on: a hash of the client's IP, the request path
// (without the query), or a header's or cookie's value (empty when absent, so such requests
// share one backend).
uint64_t balance_key(const config::HashKey& key, const char* base, const http::RequestHead& req,
                     std::string_view client_ip);

}  // namespace fulcrum::proxy

// Which route a request matches: host (exact, wildcard, any case, with a port), path prefix in
// origin and absolute form, method and header, all conditions together; and the path that the
// hash strategy hashes, read as routing reads it.
#include <gtest/gtest.h>

#include <string>

#include "http/request_parser.h"
#include "proxy/balance_key.h"
#include "proxy/generation.h"

namespace fulcrum::proxy {
namespace {

http::RequestHead parsed(const std::string& request) {
  http::RequestParser parser;
  http::RequestHead head;
  EXPECT_EQ(parser.parse(request.data(), request.size(), head), http::ParseStatus::kComplete);
  return head;
}

bool matches(const config::RouteConfig& route, const std::string& request) {
  return route_matches(route, request.data(), parsed(request));
}

std::string get(const std::string& target, const std::string& host, const std::string& more = "") {
  return "GET " + target + " HTTP/1.1\r\nHost: " + host + "\r\n" + more + "\r\n";
}

TEST(Route, Host) {
  config::RouteConfig r;
  r.host = "api.example.com";
  EXPECT_TRUE(matches(r, get("/", "api.example.com")));
  EXPECT_TRUE(matches(r, get("/", "API.example.COM:8443")));
  EXPECT_FALSE(matches(r, get("/", "www.example.com")));
  EXPECT_FALSE(matches(r, get("/", "api.example.com.evil")));
}

TEST(Route, WildcardHostNeedsOneMoreLabel) {
  config::RouteConfig r;
  r.host = "example.com";
  r.host_wildcard = true;
  EXPECT_TRUE(matches(r, get("/", "a.example.com")));
  EXPECT_TRUE(matches(r, get("/", "a.b.Example.com:80")));
  EXPECT_FALSE(matches(r, get("/", "example.com")));
  EXPECT_FALSE(matches(r, get("/", "badexample.com")));
  EXPECT_FALSE(matches(r, get("/", ".example.com")));
}

TEST(Route, Ipv6HostWithPort) {
  config::RouteConfig r;
  r.host = "[::1]";
  EXPECT_TRUE(matches(r, get("/", "[::1]:8080")));
  EXPECT_TRUE(matches(r, get("/", "[::1]")));
}

TEST(Route, PathPrefixInOriginAndAbsoluteForm) {
  config::RouteConfig r;
  r.path_prefix = "/api/";
  EXPECT_TRUE(matches(r, get("/api/users?x=1", "h")));
  EXPECT_FALSE(matches(r, get("/api", "h")));
  EXPECT_TRUE(matches(r, get("http://h/api/users", "h")));
  EXPECT_FALSE(matches(r, get("http://h", "h")));
}

// An absolute-form target's path ends its authority; a '/' in the query of a target without a
// path is not where one starts.
TEST(Route, AbsoluteFormPathIsNotFoundInTheQuery) {
  config::RouteConfig r;
  r.path_prefix = "/api/";
  EXPECT_FALSE(matches(r, get("http://h?q=/api/users", "h")));
  EXPECT_FALSE(matches(r, get("http://h:80?/api/", "h")));
  EXPECT_TRUE(matches(r, get("http://h/api/users?q=/x", "h")));
  config::RouteConfig root;
  root.path_prefix = "/";
  EXPECT_TRUE(matches(root, get("http://h?q=/api/users", "h")));
}

uint64_t path_key(const std::string& request) {
  config::HashKey key;
  key.source = config::HashKey::Source::kPath;
  return balance_key(key, request.data(), parsed(request), "10.0.0.1");
}

// A path sticks to one backend whatever form its target takes, its query aside.
TEST(Route, HashedPathIsThePathRoutingReads) {
  const uint64_t a = path_key(get("/a", "h"));
  EXPECT_EQ(path_key(get("/a?x=1", "h")), a);
  EXPECT_EQ(path_key(get("http://h/a", "h")), a);
  EXPECT_EQ(path_key(get("http://h?q=/b", "h")), path_key(get("/", "h")));
  EXPECT_NE(path_key(get("/b", "h")), a);
}

TEST(Route, MethodAndHeader) {
  config::RouteConfig r;
  r.methods = {"POST", "PUT"};
  r.header_name = "x-canary";
  r.header_value = "1";
  EXPECT_TRUE(matches(r, "POST / HTTP/1.1\r\nHost: h\r\nX-Canary: 1\r\nContent-Length: 0\r\n\r\n"));
  EXPECT_FALSE(
      matches(r, "POST / HTTP/1.1\r\nHost: h\r\nX-Canary: 2\r\nContent-Length: 0\r\n\r\n"));
  EXPECT_FALSE(matches(r, "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n"));
  EXPECT_FALSE(matches(r, get("/", "h", "X-Canary: 1\r\n")));
}

TEST(Route, NoConditionsMatchesEverything) {
  EXPECT_TRUE(matches(config::RouteConfig{}, get("/", "h")));
}

}  // namespace
}  // namespace fulcrum::proxy

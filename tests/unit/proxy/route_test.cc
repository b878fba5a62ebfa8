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

bool matches(const config::RouteConfig& route, const std::string& request,
             std::string_view client_ip = "127.0.0.1") {
  return route_matches(route, request.data(), parsed(request), client_ip);
}

std::string get(const std::string& target, const std::string& host, const std::string& more = "") {
  return "GET " + target + " HTTP/1.1\r\nHost: " + host + "\r\n" + more + "\r\n";
}

// The client's address in one of the route's blocks; IPv4 clients of a dual-stack listener come
// mapped into IPv6 and match IPv4 blocks.
TEST(Route, Source) {
  config::RouteConfig r;
  for (const char* block : {"10.0.0.0/8", "192.168.1.7", "fd00::/8", "172.16.0.0/12"}) {
    r.sources.push_back(*net::parse_ip_block(block));
  }
  const std::string request = get("/", "a");
  for (const char* ip : {"10.1.2.3", "10.255.255.255", "192.168.1.7", "::ffff:10.0.0.1",
                         "fd12:3456::1", "172.31.255.1"}) {
    EXPECT_TRUE(matches(r, request, ip)) << ip;
  }
  for (const char* ip : {"11.0.0.1", "192.168.1.8", "fe80::1", "172.32.0.1", "::1", "", "x"}) {
    EXPECT_FALSE(matches(r, request, ip)) << ip;
  }
  r.sources = {*net::parse_ip_block("0.0.0.0/0")};
  EXPECT_TRUE(matches(r, request, "203.0.113.9"));
  EXPECT_FALSE(matches(r, request, "2001:db8::1"));
  r.sources = {*net::parse_ip_block("::/0")};
  EXPECT_TRUE(matches(r, request, "2001:db8::1"));
  EXPECT_TRUE(matches(r, request, "203.0.113.9"));
}

TEST(Route, IpBlocks) {
  for (const char* bad : {"10.0.0.1/8", "10.0.0.0/33", "::1/129", "10.0.0.0/", "10.0.0.0/x",
                          "10.0.0.0/08x", "1.2.3", "::g", "[::1]", "a.b.c.d", ""}) {
    EXPECT_FALSE(net::parse_ip_block(bad).has_value()) << bad;
  }
  EXPECT_EQ(net::parse_ip_block("10.0.0.0/8")->prefix, 104);
  EXPECT_EQ(net::parse_ip_block("fd00::/8")->prefix, 8);
  EXPECT_EQ(net::parse_ip_block("::1")->prefix, 128);
  EXPECT_EQ(net::parse_ip_block("1.2.3.4")->prefix, 128);
  EXPECT_EQ(net::parse_ip_block("10.128.0.0/9")->prefix, 105);
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

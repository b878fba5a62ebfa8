#include "http/forward.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "http/request_parser.h"
#include "http/response_parser.h"

namespace fulcrum::http {
namespace {

// The head the proxy would send to a backend for `input`, parsed as the proxy parses it.
std::string forward_request(std::string_view input, const ForwardInfo& info) {
  RequestParser parser;
  RequestHead head;
  EXPECT_EQ(parser.parse(input.data(), input.size(), head), ParseStatus::kComplete)
      << parser.error_reason();
  base::Buffer out;
  write_request_head(input.data(), head, info, out);
  return std::string(out.view());
}

std::string forward_response(std::string_view input, bool close, uint8_t client_minor,
                             bool head_request = false) {
  ResponseParser parser;
  ResponseHead head;
  EXPECT_EQ(parser.parse(input.data(), input.size(), head, head_request), ParseStatus::kComplete)
      << parser.error_reason();
  base::Buffer out;
  write_response_head(input.data(), head, close, client_minor, out);
  return std::string(out.view());
}

ForwardInfo info(std::string_view client_ip, std::string_view proto = "http") {
  ForwardInfo i;
  i.client_ip = client_ip;
  i.proto = proto;
  i.default_host = "backend:8080";
  return i;
}

const ForwardInfo kInfo = info("10.0.0.1");

TEST(ForwardRequest, AddsForwardingFields) {
  EXPECT_EQ(forward_request("GET /a?b=1 HTTP/1.1\r\nHost: example.com\r\nUser-Agent: t\r\n"
                            "Accept:*/*\r\n\r\n",
                            kInfo),
            "GET /a?b=1 HTTP/1.1\r\n"
            "Host: example.com\r\n"
            "User-Agent: t\r\n"
            "Accept: */*\r\n"
            "X-Forwarded-For: 10.0.0.1\r\n"
            "X-Forwarded-Proto: http\r\n"
            "X-Forwarded-Host: example.com\r\n"
            "Via: 1.1 fulcrum\r\n"
            "\r\n");
}

TEST(ForwardRequest, RemovesHopByHopFieldsAndThoseConnectionNames) {
  EXPECT_EQ(forward_request("GET / HTTP/1.1\r\nHost: a\r\n"
                            "Connection: keep-alive, X-Secret\r\n"
                            "Keep-Alive: timeout=5\r\n"
                            "Proxy-Connection: keep-alive\r\n"
                            "TE: trailers\r\n"
                            "Upgrade: h2c\r\n"
                            "X-Secret: 1\r\n"
                            "x-other: 2\r\n"
                            "Connection: X-OTHER\r\n"
                            "X-Kept: 3\r\n"
                            "\r\n",
                            kInfo),
            "GET / HTTP/1.1\r\n"
            "Host: a\r\n"
            "X-Kept: 3\r\n"
            "X-Forwarded-For: 10.0.0.1\r\n"
            "X-Forwarded-Proto: http\r\n"
            "X-Forwarded-Host: a\r\n"
            "Via: 1.1 fulcrum\r\n"
            "\r\n");
}

TEST(ForwardRequest, ConnectionCannotRemoveFramingOrHost) {
  EXPECT_EQ(forward_request("POST / HTTP/1.1\r\nHost: a\r\n"
                            "Connection: Content-Length, Host, Transfer-Encoding\r\n"
                            "Content-Length: 3\r\n\r\nabc",
                            kInfo),
            "POST / HTTP/1.1\r\n"
            "Host: a\r\n"
            "Content-Length: 3\r\n"
            "X-Forwarded-For: 10.0.0.1\r\n"
            "X-Forwarded-Proto: http\r\n"
            "X-Forwarded-Host: a\r\n"
            "Via: 1.1 fulcrum\r\n"
            "\r\n");
}

TEST(ForwardRequest, DuplicateContentLengthsAreSentAsOne) {
  EXPECT_EQ(forward_request("POST / HTTP/1.1\r\nContent-Length: 3, 3\r\nHost: a\r\n"
                            "content-length: 003\r\n\r\nabc",
                            kInfo),
            "POST / HTTP/1.1\r\n"
            "Content-Length: 3\r\n"
            "Host: a\r\n"
            "X-Forwarded-For: 10.0.0.1\r\n"
            "X-Forwarded-Proto: http\r\n"
            "X-Forwarded-Host: a\r\n"
            "Via: 1.1 fulcrum\r\n"
            "\r\n");
}

TEST(ForwardRequest, ExtendsExistingForwardingFields) {
  EXPECT_EQ(forward_request("GET /static/app.js HTTP/1.1\r\nHost: www.example.org\r\n"
                            "X-Forwarded-For: 203.0.113.7\r\n"
                            "X-Forwarded-For: 198.51.100.23\r\n"
                            "X-Forwarded-Proto: https\r\n"
                            "X-Forwarded-Host: public.example.org\r\n"
                            "Via: 1.1 edge-fra-03\r\n"
                            "\r\n",
                            info("192.0.2.9", "https")),
            "GET /static/app.js HTTP/1.1\r\n"
            "Host: www.example.org\r\n"
            "X-Forwarded-For: 203.0.113.7\r\n"
            "X-Forwarded-For: 198.51.100.23, 192.0.2.9\r\n"
            "X-Forwarded-Proto: https\r\n"
            "X-Forwarded-Host: public.example.org\r\n"
            "Via: 1.1 edge-fra-03, 1.1 fulcrum\r\n"
            "\r\n");
}

TEST(ForwardRequest, EmptyForwardingFieldsAreStartedNotAppendedTo) {
  EXPECT_EQ(
      forward_request("GET / HTTP/1.1\r\nHost: a\r\nX-Forwarded-For:\r\nVia: \r\n\r\n", kInfo),
      "GET / HTTP/1.1\r\n"
      "Host: a\r\n"
      "X-Forwarded-For: 10.0.0.1\r\n"
      "Via: 1.1 fulcrum\r\n"
      "X-Forwarded-Proto: http\r\n"
      "X-Forwarded-Host: a\r\n"
      "\r\n");
}

TEST(ForwardRequest, ForwardingFieldNamedByConnectionIsReplaced) {
  EXPECT_EQ(forward_request("GET / HTTP/1.1\r\nHost: a\r\nConnection: X-Forwarded-For\r\n"
                            "X-Forwarded-For: 1.2.3.4\r\n\r\n",
                            kInfo),
            "GET / HTTP/1.1\r\n"
            "Host: a\r\n"
            "X-Forwarded-For: 10.0.0.1\r\n"
            "X-Forwarded-Proto: http\r\n"
            "X-Forwarded-Host: a\r\n"
            "Via: 1.1 fulcrum\r\n"
            "\r\n");
}

TEST(ForwardRequest, WithoutClientAddressForwardedForIsLeftAlone) {
  EXPECT_EQ(
      forward_request("GET / HTTP/1.1\r\nHost: a\r\nX-Forwarded-For: 1.2.3.4\r\n\r\n", info("")),
      "GET / HTTP/1.1\r\n"
      "Host: a\r\n"
      "X-Forwarded-For: 1.2.3.4\r\n"
      "X-Forwarded-Proto: http\r\n"
      "X-Forwarded-Host: a\r\n"
      "Via: 1.1 fulcrum\r\n"
      "\r\n");
}

TEST(ForwardRequest, ExpectIsAnsweredByTheProxyNotForwarded) {
  EXPECT_EQ(forward_request("PUT /f HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\n"
                            "Content-Length: 3\r\n\r\n",
                            kInfo),
            "PUT /f HTTP/1.1\r\n"
            "Host: a\r\n"
            "Content-Length: 3\r\n"
            "X-Forwarded-For: 10.0.0.1\r\n"
            "X-Forwarded-Proto: http\r\n"
            "X-Forwarded-Host: a\r\n"
            "Via: 1.1 fulcrum\r\n"
            "\r\n");
}

TEST(ForwardRequest, ChunkedBodiesStayChunked) {
  EXPECT_EQ(forward_request("POST /up HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n"
                            "Connection: keep-alive\r\n\r\n",
                            kInfo),
            "POST /up HTTP/1.1\r\n"
            "Host: a\r\n"
            "Transfer-Encoding: gzip, chunked\r\n"
            "X-Forwarded-For: 10.0.0.1\r\n"
            "X-Forwarded-Proto: http\r\n"
            "X-Forwarded-Host: a\r\n"
            "Via: 1.1 fulcrum\r\n"
            "\r\n");
}

TEST(ForwardRequest, Http10ClientWithoutHost) {
  EXPECT_EQ(
      forward_request("GET /old HTTP/1.0\r\nConnection: keep-alive\r\nAccept: */*\r\n\r\n", kInfo),
      "GET /old HTTP/1.1\r\n"
      "Accept: */*\r\n"
      "Host: backend:8080\r\n"
      "X-Forwarded-For: 10.0.0.1\r\n"
      "X-Forwarded-Proto: http\r\n"
      "Via: 1.0 fulcrum\r\n"
      "\r\n");
}

TEST(ForwardRequest, UpgradeIsStrippedUnlessTunnelled) {
  constexpr std::string_view kInput =
      "GET /chat HTTP/1.1\r\nHost: ws.example.com\r\nUpgrade: websocket\r\n"
      "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n";
  EXPECT_EQ(forward_request(kInput, kInfo),
            "GET /chat HTTP/1.1\r\n"
            "Host: ws.example.com\r\n"
            "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
            "X-Forwarded-For: 10.0.0.1\r\n"
            "X-Forwarded-Proto: http\r\n"
            "X-Forwarded-Host: ws.example.com\r\n"
            "Via: 1.1 fulcrum\r\n"
            "\r\n");
  ForwardInfo tunnel = kInfo;
  tunnel.forward_upgrade = true;
  EXPECT_EQ(forward_request(kInput, tunnel),
            "GET /chat HTTP/1.1\r\n"
            "Host: ws.example.com\r\n"
            "Upgrade: websocket\r\n"
            "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
            "X-Forwarded-For: 10.0.0.1\r\n"
            "X-Forwarded-Proto: http\r\n"
            "X-Forwarded-Host: ws.example.com\r\n"
            "Via: 1.1 fulcrum\r\n"
            "Connection: upgrade\r\n"
            "\r\n");
}

TEST(ForwardRequest, AppendsToWhatTheBufferHolds) {
  constexpr std::string_view kInput = "GET / HTTP/1.1\r\nHost: a\r\n\r\n";
  RequestParser parser;
  RequestHead head;
  ASSERT_EQ(parser.parse(kInput.data(), kInput.size(), head), ParseStatus::kComplete);
  base::Buffer out;
  out.append("previous");
  write_request_head(kInput.data(), head, kInfo, out);
  EXPECT_EQ(out.view().substr(0, 24), "previousGET / HTTP/1.1\r\n");
}

// Lines that read as they are to be written are copied from the head; the others are written
// out, so that what the next hop gets is the same either way.
TEST(ForwardRequest, LinesAreWrittenTheSameWhetherCopiedOrNot) {
  const ForwardInfo plain = [] {
    ForwardInfo i;
    i.forwarded = false;
    return i;
  }();
  const std::string expected =
      "GET /a HTTP/1.1\r\nHost: h\r\nA: b c\r\nD: \r\nE: f\r\nVia: 1.1 fulcrum\r\n\r\n";
  EXPECT_EQ(forward_request("GET /a HTTP/1.1\r\nHost: h\r\nA: b c\r\nD: \r\nE: f\r\n\r\n", plain),
            expected);
  EXPECT_EQ(
      forward_request("GET /a HTTP/1.1\r\nHost:h\r\nA:  b c \t\r\nD:\r\nE: f \r\n\r\n", plain),
      expected);
  EXPECT_EQ(
      forward_request("\r\nGET /a HTTP/1.1\r\nHost: h\r\nA: b c\r\nD: \r\nE: f\r\n\r\n", plain),
      expected);
  // Another version in the request line is written as 1.1; Via names the client's.
  EXPECT_EQ(forward_request("GET /a HTTP/1.0\r\nHost: h\r\nA: b c\r\nD: \r\nE: f\r\n\r\n", plain),
            "GET /a HTTP/1.1\r\nHost: h\r\nA: b c\r\nD: \r\nE: f\r\nVia: 1.0 fulcrum\r\n\r\n");
}

TEST(ForwardResponse, LinesAreWrittenTheSameWhetherCopiedOrNot) {
  const std::string expected = "HTTP/1.1 200 OK\r\nServer: x\r\nContent-Length: 0\r\nA: b\r\n\r\n";
  EXPECT_EQ(forward_response("HTTP/1.1 200 OK\r\nServer: x\r\nContent-Length: 0\r\nA: b\r\n\r\n",
                             false, 1),
            expected);
  EXPECT_EQ(
      forward_response("HTTP/1.0 200 OK\r\nServer:x\r\nContent-Length: 0\r\nA: b \r\n\r\n", true,
                       1),
      "HTTP/1.1 200 OK\r\nServer: x\r\nContent-Length: 0\r\nA: b\r\nConnection: close\r\n\r\n");
}

TEST(ForwardResponse, KeptHttp11) {
  EXPECT_EQ(forward_response("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nServer: x\r\n\r\n", false, 1),
            "HTTP/1.1 200 OK\r\n"
            "Content-Length: 5\r\n"
            "Server: x\r\n"
            "\r\n");
}

TEST(ForwardResponse, RemovesHopByHopFields) {
  EXPECT_EQ(forward_response("HTTP/1.1 200 OK\r\n"
                             "Connection: keep-alive, X-Internal\r\n"
                             "Keep-Alive: timeout=5\r\n"
                             "Proxy-Connection: keep-alive\r\n"
                             "TE: trailers\r\n"
                             "Upgrade: h2c\r\n"
                             "X-Internal: secret\r\n"
                             "Connection: content-length\r\n"
                             "Content-Length: 2\r\n"
                             "\r\n",
                             false, 1),
            "HTTP/1.1 200 OK\r\n"
            "Content-Length: 2\r\n"
            "\r\n");
}

TEST(ForwardResponse, ChunkedGoesOnChunkedToHttp11Clients) {
  constexpr std::string_view kInput =
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Type: text/plain\r\n\r\n";
  EXPECT_EQ(forward_response(kInput, false, 1),
            "HTTP/1.1 200 OK\r\n"
            "Transfer-Encoding: chunked\r\n"
            "Content-Type: text/plain\r\n"
            "\r\n");
  // An HTTP/1.0 client gets the payload alone, delimited by closing.
  EXPECT_EQ(forward_response(kInput, false, 0),
            "HTTP/1.1 200 OK\r\n"
            "Content-Type: text/plain\r\n"
            "Connection: close\r\n"
            "\r\n");
}

// Trailer is end to end (RFC 9110 §6.6.2): it announces the trailer fields, which go on with a
// chunked body, and not to an HTTP/1.0 client, which gets the payload alone.
TEST(ForwardResponse, TrailerGoesOnWithTheTrailerFields) {
  constexpr std::string_view kInput =
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTrailer: X-Checksum\r\n\r\n";
  EXPECT_EQ(forward_response(kInput, false, 1),
            "HTTP/1.1 200 OK\r\n"
            "Transfer-Encoding: chunked\r\n"
            "Trailer: X-Checksum\r\n"
            "\r\n");
  EXPECT_EQ(forward_response(kInput, false, 0),
            "HTTP/1.1 200 OK\r\n"
            "Connection: close\r\n"
            "\r\n");
  EXPECT_EQ(forward_request("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n"
                            "Trailer: X-Checksum\r\n\r\n",
                            kInfo),
            "POST / HTTP/1.1\r\n"
            "Host: a\r\n"
            "Transfer-Encoding: chunked\r\n"
            "Trailer: X-Checksum\r\n"
            "X-Forwarded-For: 10.0.0.1\r\n"
            "X-Forwarded-Proto: http\r\n"
            "X-Forwarded-Host: a\r\n"
            "Via: 1.1 fulcrum\r\n"
            "\r\n");
}

TEST(ForwardResponse, AnotherCodingUntilCloseStaysNamedForHttp11Clients) {
  constexpr std::string_view kInput =
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\nContent-Type: text/plain\r\n\r\n";
  EXPECT_EQ(forward_response(kInput, false, 1),
            "HTTP/1.1 200 OK\r\n"
            "Transfer-Encoding: gzip\r\n"
            "Content-Type: text/plain\r\n"
            "Connection: close\r\n"
            "\r\n");
  // Never to an HTTP/1.0 client (which the proxy answers 502 instead).
  EXPECT_EQ(forward_response(kInput, false, 0),
            "HTTP/1.1 200 OK\r\n"
            "Content-Type: text/plain\r\n"
            "Connection: close\r\n"
            "\r\n");
}

TEST(ForwardResponse, ConnectionField) {
  constexpr std::string_view kInput = "HTTP/1.1 204 No Content\r\nDate: today\r\n\r\n";
  EXPECT_EQ(forward_response(kInput, true, 1),
            "HTTP/1.1 204 No Content\r\nDate: today\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(forward_response(kInput, true, 0),
            "HTTP/1.1 204 No Content\r\nDate: today\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(forward_response(kInput, false, 0),
            "HTTP/1.1 204 No Content\r\nDate: today\r\nConnection: keep-alive\r\n\r\n");
  EXPECT_EQ(forward_response(kInput, false, 1), "HTTP/1.1 204 No Content\r\nDate: today\r\n\r\n");
}

TEST(ForwardResponse, BodyUntilCloseForcesClose) {
  EXPECT_EQ(forward_response("HTTP/1.0 200 OK\r\nContent-Type: text/html\r\n\r\n", false, 1),
            "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nConnection: close\r\n\r\n");
}

TEST(ForwardResponse, DuplicateContentLengthsAreSentAsOne) {
  EXPECT_EQ(forward_response("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 2, 2\r\n"
                             "\r\nok",
                             false, 1),
            "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n");
}

// A response without a body tells the length it would have had: one field, as for a body.
TEST(ForwardResponse, DuplicateContentLengthsWithoutABodyAreSentAsOne) {
  EXPECT_EQ(forward_response("HTTP/1.1 200 OK\r\nContent-Length: 5, 5\r\nETag: \"x\"\r\n"
                             "Content-Length: 005\r\n\r\n",
                             false, 1, true),
            "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nETag: \"x\"\r\n\r\n");
  EXPECT_EQ(forward_response("HTTP/1.1 304 Not Modified\r\nContent-Length: 7\r\n"
                             "Content-Length: 7\r\n\r\n",
                             false, 1),
            "HTTP/1.1 304 Not Modified\r\nContent-Length: 7\r\n\r\n");
}

// A 1xx or 204 must not have a Content-Length (RFC 9110 §8.6): a client that took it for a
// body's length would read the next response as that body.
TEST(ForwardResponse, NoContentLengthIn1xxOr204) {
  EXPECT_EQ(forward_response("HTTP/1.1 204 No Content\r\nContent-Length: 5\r\nDate: today\r\n\r\n",
                             false, 1),
            "HTTP/1.1 204 No Content\r\nDate: today\r\n\r\n");
  EXPECT_EQ(forward_response("HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n", false, 1),
            "HTTP/1.1 204 No Content\r\n\r\n");
  EXPECT_EQ(forward_response("HTTP/1.1 100 Continue\r\nContent-Length: 5\r\n\r\n", false, 1),
            "HTTP/1.1 100 Continue\r\n\r\n");
  EXPECT_EQ(forward_response("HTTP/1.1 103 Early Hints\r\nLink: </a>\r\nContent-Length: 5\r\n\r\n",
                             false, 1),
            "HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n");
  EXPECT_EQ(
      forward_response("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                       "Content-Length: 0\r\n\r\n",
                       false, 1),
      "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: upgrade\r\n\r\n");
}

TEST(ForwardResponse, ResponseToHeadKeepsItsFraming) {
  EXPECT_EQ(forward_response("HTTP/1.1 200 OK\r\nContent-Length: 1234\r\n\r\n", false, 1, true),
            "HTTP/1.1 200 OK\r\nContent-Length: 1234\r\n\r\n");
}

TEST(ForwardResponse, SwitchingProtocolsKeepsUpgrade) {
  EXPECT_EQ(forward_response("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                             "Connection: Upgrade\r\nSec-WebSocket-Accept: abc=\r\n\r\n",
                             false, 1),
            "HTTP/1.1 101 Switching Protocols\r\n"
            "Upgrade: websocket\r\n"
            "Sec-WebSocket-Accept: abc=\r\n"
            "Connection: upgrade\r\n"
            "\r\n");
}

TEST(ForwardResponse, ReasonPassesThroughEvenEmpty) {
  EXPECT_EQ(forward_response("HTTP/1.1 299\r\nContent-Length: 0\r\n\r\n", false, 1),
            "HTTP/1.1 299 \r\nContent-Length: 0\r\n\r\n");
  EXPECT_EQ(forward_response("HTTP/1.1 404 Nope\r\nContent-Length: 0\r\n\r\n", false, 1),
            "HTTP/1.1 404 Nope\r\nContent-Length: 0\r\n\r\n");
}

TEST(ForwardRequest, EditsRemoveSetAndAddFields) {
  HeaderEdits edits;
  edits.remove = {"x-debug"};
  edits.set = {{"X-Env", "prod"}};
  edits.add = {{"X-Route", "api"}};
  ForwardInfo i = kInfo;
  i.edits = &edits;
  i.request_id = "0123456789abcdef0123456789abcdef";
  EXPECT_EQ(forward_request("GET / HTTP/1.1\r\nHost: h\r\nX-Debug: 1\r\nx-env: dev\r\n"
                            "X-ENV: qa\r\nX-Route: client\r\n\r\n",
                            i),
            "GET / HTTP/1.1\r\n"
            "Host: h\r\n"
            "X-Route: client\r\n"
            "X-Forwarded-For: 10.0.0.1\r\n"
            "X-Forwarded-Proto: http\r\n"
            "X-Forwarded-Host: h\r\n"
            "Via: 1.1 fulcrum\r\n"
            "X-Env: prod\r\n"
            "X-Route: api\r\n"
            "X-Request-ID: 0123456789abcdef0123456789abcdef\r\n"
            "\r\n");
}

TEST(ForwardRequest, ForwardingFieldsOffPassTheClientsThrough) {
  ForwardInfo i = kInfo;
  i.forwarded = false;
  EXPECT_EQ(forward_request("GET / HTTP/1.1\r\nHost: h\r\nX-Forwarded-For: 1.2.3.4\r\n\r\n", i),
            "GET / HTTP/1.1\r\n"
            "Host: h\r\n"
            "X-Forwarded-For: 1.2.3.4\r\n"
            "Via: 1.1 fulcrum\r\n"
            "\r\n");
}

TEST(ForwardRequest, EditsOfAForwardingFieldReplaceWhatTheProxyWouldAdd) {
  HeaderEdits edits;
  edits.set = {{"X-Forwarded-Proto", "https"}, {"X-Request-ID", "fixed"}};
  edits.remove = {"X-Forwarded-For"};
  ForwardInfo i = kInfo;
  i.edits = &edits;
  i.request_id = "0123456789abcdef0123456789abcdef";
  EXPECT_EQ(forward_request("GET / HTTP/1.1\r\nHost: h\r\nX-Forwarded-For: 1.2.3.4\r\n\r\n", i),
            "GET / HTTP/1.1\r\n"
            "Host: h\r\n"
            "X-Forwarded-Host: h\r\n"
            "Via: 1.1 fulcrum\r\n"
            "X-Forwarded-Proto: https\r\n"
            "X-Request-ID: fixed\r\n"
            "\r\n");
}

TEST(ForwardResponse, EditsApplyToResponses) {
  HeaderEdits edits;
  edits.remove = {"server"};
  edits.set = {{"Cache-Control", "no-store"}};
  edits.add = {{"X-Served-By", "fulcrum"}};
  std::string_view input =
      "HTTP/1.1 200 OK\r\nServer: x\r\nCache-Control: max-age=60\r\nContent-Length: 0\r\n\r\n";
  ResponseParser parser;
  ResponseHead head;
  ASSERT_EQ(parser.parse(input.data(), input.size(), head, false), ParseStatus::kComplete);
  base::Buffer out;
  write_response_head(input.data(), head, false, 1, out, edits);
  EXPECT_EQ(out.view(),
            "HTTP/1.1 200 OK\r\n"
            "Content-Length: 0\r\n"
            "Cache-Control: no-store\r\n"
            "X-Served-By: fulcrum\r\n"
            "\r\n");
}

}  // namespace
}  // namespace fulcrum::http

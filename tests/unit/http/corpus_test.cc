// The shared corpus of real-world messages (/work/shared/corpus) must parse, in every split and
// with every scanner, and its bodies must frame exactly. The corpus lives outside the repository:
// it is found through FULCRUM_CORPUS, or next to the checkout, and the tests skip, saying so, when
// it cannot be found.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include "feed.h"
#include "http/chunked.h"
#include "http/forward.h"
#include "http/request_parser.h"
#include "http/response_parser.h"

namespace fulcrum::http {
namespace {

namespace fs = std::filesystem;

std::optional<fs::path> corpus_dir() {
  std::vector<fs::path> candidates;
  if (const char* env = std::getenv("FULCRUM_CORPUS")) candidates.emplace_back(env);
  // This file is tests/unit/http/ in the checkout, which sits next to shared/.
  candidates.push_back(fs::path(__FILE__).parent_path() / "../../../../shared/corpus");
  for (fs::path dir = fs::current_path(); !dir.empty(); dir = dir.parent_path()) {
    candidates.push_back(dir / "shared/corpus");
    if (dir == dir.parent_path()) break;
  }
  for (const fs::path& c : candidates) {
    std::error_code ec;
    if (fs::is_directory(c / "requests", ec)) return fs::canonical(c, ec);
  }
  return std::nullopt;
}

struct Message {
  std::string name;
  std::string bytes;
};

std::vector<Message> read_messages(const std::string& kind) {
  std::vector<Message> out;
  const std::optional<fs::path> dir = corpus_dir();
  if (!dir) return out;
  for (const auto& entry : fs::directory_iterator(*dir / kind)) {
    if (entry.path().extension() != ".http") continue;
    std::string bytes(static_cast<size_t>(fs::file_size(entry.path())), '\0');
    std::ifstream in(entry.path(), std::ios::binary);
    in.read(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    out.push_back({entry.path().filename().string(), std::move(bytes)});
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
  return out;
}

// Decodes a whole chunked body; returns the payload, or nullopt unless it ends exactly at the
// end of `body`.
std::optional<std::string> dechunk(std::string_view body) {
  ChunkedDecoder decoder;
  std::string payload;
  size_t used = 0;
  while (used < body.size() && !decoder.done() && !decoder.error()) {
    ChunkedDecoder::Step step = decoder.next(body.data() + used, body.size() - used);
    payload.append(step.data ? step.data : "", step.data_len);
    used += step.consumed;
  }
  if (!decoder.done() || used != body.size()) return std::nullopt;
  return payload;
}

// Checks that `body` is exactly what `framing` says follows the head.
void expect_body_framed(Framing framing, uint64_t length, std::string_view body) {
  switch (framing) {
    case Framing::kNone:
      EXPECT_EQ(body.size(), 0u);
      break;
    case Framing::kContentLength:
      EXPECT_EQ(body.size(), length);
      break;
    case Framing::kChunked:
      EXPECT_TRUE(dechunk(body).has_value());
      break;
    case Framing::kUntilClose:
      break;
  }
}

#define SKIP_WITHOUT_CORPUS(messages)                                                      \
  if ((messages).empty()) {                                                                \
    GTEST_SKIP() << "corpus not found: set FULCRUM_CORPUS to the shared/corpus directory"; \
  }

TEST(Corpus, RequestsParseInEverySplit) {
  const std::vector<Message> requests = read_messages("requests");
  SKIP_WITHOUT_CORPUS(requests);
  EXPECT_GE(requests.size(), 10u);
  for (const Message& m : requests) {
    SCOPED_TRACE(m.name);
    std::optional<testing::Outcome> first;
    for (const Scanner* scan : testing::all_scanners()) {
      testing::Outcome o =
          testing::parse_in_every_split(testing::RequestHarness{{}, scan}, m.bytes);
      EXPECT_EQ(o.status, ParseStatus::kComplete) << o.detail;
      if (first) {
        EXPECT_EQ(o, *first) << "scanners disagree";
      }
      first = o;
    }
    RequestParser parser;
    RequestHead head;
    ASSERT_EQ(parser.parse(m.bytes.data(), m.bytes.size(), head), ParseStatus::kComplete);
    expect_body_framed(head.framing, head.content_length,
                       std::string_view(m.bytes).substr(head.head_size));
  }
}

TEST(Corpus, ResponsesParseInEverySplit) {
  const std::vector<Message> responses = read_messages("responses");
  SKIP_WITHOUT_CORPUS(responses);
  EXPECT_GE(responses.size(), 6u);
  for (const Message& m : responses) {
    SCOPED_TRACE(m.name);
    std::optional<testing::Outcome> first;
    for (const Scanner* scan : testing::all_scanners()) {
      testing::Outcome o =
          testing::parse_in_every_split(testing::ResponseHarness{{}, scan, false}, m.bytes);
      EXPECT_EQ(o.status, ParseStatus::kComplete) << o.detail;
      if (first) {
        EXPECT_EQ(o, *first) << "scanners disagree";
      }
      first = o;
    }
    ResponseParser parser;
    ResponseHead head;
    ASSERT_EQ(parser.parse(m.bytes.data(), m.bytes.size(), head, false), ParseStatus::kComplete);
    expect_body_framed(head.framing, head.content_length,
                       std::string_view(m.bytes).substr(head.head_size));
  }
}

const Message* find(const std::vector<Message>& messages, std::string_view name) {
  for (const Message& m : messages) {
    if (m.name == name) return &m;
  }
  return nullptr;
}

TEST(Corpus, WhatTheMessagesSay) {
  const std::vector<Message> requests = read_messages("requests");
  const std::vector<Message> responses = read_messages("responses");
  SKIP_WITHOUT_CORPUS(requests);

  if (const Message* m = find(requests, "chunked-upload.http")) {
    RequestParser parser;
    RequestHead head;
    ASSERT_EQ(parser.parse(m->bytes.data(), m->bytes.size(), head), ParseStatus::kComplete);
    EXPECT_EQ(head.framing, Framing::kChunked);
    EXPECT_EQ(dechunk(std::string_view(m->bytes).substr(head.head_size)),
              "0123456789abcdef0123456789");
  }
  if (const Message* m = find(requests, "websocket-upgrade.http")) {
    RequestParser parser;
    RequestHead head;
    ASSERT_EQ(parser.parse(m->bytes.data(), m->bytes.size(), head), ParseStatus::kComplete);
    EXPECT_TRUE(head.upgrade);
  }
  if (const Message* m = find(responses, "chunked-200.http")) {
    ResponseParser parser;
    ResponseHead head;
    ASSERT_EQ(parser.parse(m->bytes.data(), m->bytes.size(), head, false), ParseStatus::kComplete);
    EXPECT_EQ(head.framing, Framing::kChunked);
    EXPECT_EQ(dechunk(std::string_view(m->bytes).substr(head.head_size)), "hello, world");
  }
  if (const Message* m = find(responses, "not-modified-304.http")) {
    ResponseParser parser;
    ResponseHead head;
    ASSERT_EQ(parser.parse(m->bytes.data(), m->bytes.size(), head, false), ParseStatus::kComplete);
    EXPECT_EQ(head.framing, Framing::kNone);
    EXPECT_TRUE(head.keep_alive);
  }
}

// What the proxy sends on must parse again, with the same meaning.
TEST(Corpus, ForwardedHeadsParseAgain) {
  const std::vector<Message> requests = read_messages("requests");
  const std::vector<Message> responses = read_messages("responses");
  SKIP_WITHOUT_CORPUS(requests);
  ForwardInfo info;
  info.client_ip = "192.0.2.1";
  info.default_host = "backend:9000";
  for (const Message& m : requests) {
    SCOPED_TRACE(m.name);
    RequestParser parser;
    RequestHead head;
    ASSERT_EQ(parser.parse(m.bytes.data(), m.bytes.size(), head), ParseStatus::kComplete);
    base::Buffer out;
    write_request_head(m.bytes.data(), head, info, out);
    RequestParser again_parser;
    RequestHead again;
    ASSERT_EQ(again_parser.parse(out.data(), out.size(), again), ParseStatus::kComplete)
        << again_parser.error_reason() << "\n"
        << out.view();
    EXPECT_EQ(again.head_size, out.size());
    EXPECT_EQ(again.method_name.in(out.data()), head.method_name.in(m.bytes.data()));
    EXPECT_EQ(again.target.in(out.data()), head.target.in(m.bytes.data()));
    EXPECT_EQ(again.framing, head.framing);
    EXPECT_EQ(again.content_length, head.content_length);
    EXPECT_EQ(again.host.in(out.data()), head.host.in(m.bytes.data()));
    EXPECT_NE(find_header(out.data(), again.headers, "via"), nullptr);
  }
  for (const Message& m : responses) {
    SCOPED_TRACE(m.name);
    ResponseParser parser;
    ResponseHead head;
    ASSERT_EQ(parser.parse(m.bytes.data(), m.bytes.size(), head, false), ParseStatus::kComplete);
    base::Buffer out;
    write_response_head(m.bytes.data(), head, false, 1, out);
    ResponseParser again_parser;
    ResponseHead again;
    ASSERT_EQ(again_parser.parse(out.data(), out.size(), again, false), ParseStatus::kComplete)
        << again_parser.error_reason();
    EXPECT_EQ(again.status, head.status);
    EXPECT_EQ(again.framing, head.framing);
    EXPECT_EQ(again.content_length, head.content_length);
  }
}

}  // namespace
}  // namespace fulcrum::http

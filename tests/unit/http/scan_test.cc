#include "http/scan.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "feed.h"

namespace fulcrum::http {
namespace {

// The four scans of a Scanner, by name, so that every check runs on each of them.
using ScanPtr = size_t (*)(const char*, size_t);
struct ScanFn {
  const char* name;
  ScanPtr Scanner::*fn;
};
const ScanFn kScans[] = {{"find_lf", &Scanner::find_lf},
                         {"span_token", &Scanner::span_token},
                         {"span_field_value", &Scanner::span_field_value},
                         {"span_target", &Scanner::span_target}};

// What each scan must return, from the byte classes alone.
size_t reference(const ScanFn& scan, const char* p, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    const std::string_view name = scan.name;
    const bool stop = name == "find_lf"            ? p[i] == '\n'
                      : name == "span_token"       ? !is_token_char(p[i])
                      : name == "span_field_value" ? !is_field_value_char(p[i])
                                                   : !is_target_char(p[i]);
    if (stop) return i;
  }
  return n;
}

// Runs every scan of every available scanner on [p, p + n) in a buffer of exactly n bytes, so
// that a SIMD form reading past the end is caught by ASan, and expects them all to agree with
// the reference.
void expect_all_agree(std::string_view bytes) {
  testing::FreshCopy copy(bytes, bytes.size());
  for (const ScanFn& scan : kScans) {
    const size_t want = reference(scan, copy.data(), bytes.size());
    for (const Scanner* s : testing::all_scanners()) {
      ASSERT_EQ((s->*scan.fn)(copy.data(), bytes.size()), want)
          << scan.name << " on " << isa_name(s->isa) << ", " << bytes.size() << " bytes";
    }
  }
}

TEST(Scan, ScalarIsAlwaysAvailable) {
  ASSERT_NE(scanner_for(ScanIsa::kScalar), nullptr);
  EXPECT_EQ(scanner_for(ScanIsa::kScalar)->isa, ScanIsa::kScalar);
  // The chosen scanner is the widest the CPU has.
  const ScanIsa best = scanner().isa;
  if (scanner_for(ScanIsa::kAvx2)) {
    EXPECT_EQ(best, ScanIsa::kAvx2);
  } else if (scanner_for(ScanIsa::kSse42)) {
    EXPECT_EQ(best, ScanIsa::kSse42);
  }
}

TEST(Scan, ReportsWhichFormsItTests) {
  std::string forms;
  for (const Scanner* s : testing::all_scanners()) forms += std::string(isa_name(s->isa)) + " ";
  // Printed so that a run on a machine without SIMD does not pass silently as if it had tested it.
  std::printf("scan forms tested: %s\n", forms.c_str());
#if defined(__x86_64__)
  EXPECT_NE(scanner_for(ScanIsa::kSse42), nullptr) << "x86-64 machines without SSE4.2 are rare";
#endif
}

TEST(Scan, ByteClasses) {
  for (int c = 0; c < 256; ++c) {
    const char ch = static_cast<char>(c);
    const bool alnum = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    const bool special = c != 0 && std::strchr("!#$%&'*+-.^_`|~", c) != nullptr;
    EXPECT_EQ(is_token_char(ch), alnum || special) << c;
    EXPECT_EQ(is_field_value_char(ch), c == '\t' || (c >= 0x20 && c != 0x7F)) << c;
    EXPECT_EQ(is_target_char(ch), c > 0x20 && c < 0x7F && c != '#') << c;
  }
}

TEST(Scan, EmptyAndShortInputs) {
  expect_all_agree("");
  for (int c = 0; c < 256; ++c) expect_all_agree(std::string(1, static_cast<char>(c)));
}

// Every byte value at every position of inputs that straddle the 16- and 32-byte blocks, in a
// run of bytes that none of the scans stops at... except each scan's own stops.
TEST(Scan, EveryByteAtEveryPosition) {
  for (size_t len : {1u, 15u, 16u, 17u, 31u, 32u, 33u, 47u, 48u, 63u, 64u, 65u, 100u}) {
    for (size_t pos = 0; pos < len; ++pos) {
      for (int c = 0; c < 256; ++c) {
        std::string bytes(len, 'a');
        bytes[pos] = static_cast<char>(c);
        expect_all_agree(bytes);
        if (::testing::Test::HasFatalFailure()) return;
      }
    }
  }
}

TEST(Scan, UnalignedStarts) {
  std::string bytes(200, 'x');
  bytes[150] = '\n';
  bytes[170] = '\x01';
  for (size_t offset = 0; offset < 64; ++offset) {
    expect_all_agree(std::string_view(bytes).substr(offset));
    expect_all_agree(std::string_view(bytes).substr(offset, 140));
  }
}

// Random inputs from alphabets weighted towards the bytes at the edges of the classes.
TEST(Scan, RandomInputsAgree) {
  std::mt19937 rng(20240611);
  const std::string edges =
      std::string("\0\t\n\r\x1f \x21\"(),/:;<=>?@[\\]{}\x7e\x7f\x80\xff", 29) +
      "aZ09-_.~!#$%&'*+^`|";
  std::uniform_int_distribution<int> any_byte(0, 255);
  std::uniform_int_distribution<size_t> edge(0, edges.size() - 1);
  std::uniform_int_distribution<size_t> length(0, 300);
  for (int round = 0; round < 20000; ++round) {
    const size_t n = length(rng);
    std::string bytes(n, '\0');
    // Mostly bytes that every scan passes, so that the stops land at varied depths.
    const int rarity = 1 + static_cast<int>(rng() % 200);
    for (char& c : bytes) {
      if (static_cast<int>(rng() % static_cast<unsigned>(rarity)) != 0) {
        c = "abcXYZ019-_"[rng() % 11];
      } else {
        c = rng() % 2 ? edges[edge(rng)] : static_cast<char>(any_byte(rng));
      }
    }
    expect_all_agree(bytes);
    if (::testing::Test::HasFatalFailure()) return;
  }
}

// What Scanner::field_lines must take, from the grammar, one line and one byte at a time.
struct Taken {
  std::vector<HeaderField> fields;
  size_t next = 0;
};

Taken reference_field_lines(std::string_view data, size_t begin, size_t max) {
  const auto ows = [](char c) { return c == ' ' || c == '\t'; };
  Taken t{{}, begin};
  while (t.fields.size() < max) {
    const size_t line = t.next;
    size_t colon = line;
    while (colon < data.size() && is_token_char(data[colon])) ++colon;
    if (colon == line || colon == data.size() || data[colon] != ':') break;
    size_t value = colon + 1;
    while (value < data.size() && ows(data[value])) ++value;
    size_t cr = value;
    while (cr < data.size() && is_field_value_char(data[cr])) ++cr;
    if (data.substr(cr, 2) != "\r\n") break;
    size_t end = cr;
    while (end > value && ows(data[end - 1])) --end;
    t.fields.push_back({{static_cast<uint32_t>(line), static_cast<uint32_t>(colon - line)},
                        {static_cast<uint32_t>(value), static_cast<uint32_t>(end - value)}});
    t.next = cr + 2;
  }
  return t;
}

// Runs field_lines of every scanner from `begin` on a buffer of exactly data.size() bytes.
void expect_field_lines_agree(std::string_view data, size_t begin = 0, size_t max = 1000) {
  testing::FreshCopy copy(data, data.size());
  const Taken want = reference_field_lines(data, begin, max);
  for (const Scanner* s : testing::all_scanners()) {
    std::vector<HeaderField> got;
    const size_t next = s->field_lines(copy.data(), begin, data.size(), max, got);
    const std::string where = std::string(isa_name(s->isa)) + " from " + std::to_string(begin) +
                              " on " + ::testing::PrintToString(std::string(data));
    ASSERT_EQ(next, want.next) << where;
    ASSERT_EQ(got.size(), want.fields.size()) << where;
    for (size_t i = 0; i < got.size(); ++i) {
      EXPECT_EQ(got[i].name.off, want.fields[i].name.off) << where;
      EXPECT_EQ(got[i].name.len, want.fields[i].name.len) << where;
      EXPECT_EQ(got[i].value.off, want.fields[i].value.off) << where;
      EXPECT_EQ(got[i].value.len, want.fields[i].value.len) << where;
    }
  }
}

TEST(Scan, FieldLines) {
  const std::string long_prefix = "GET /" + std::string(80, 'p') + " HTTP/1.1\r\n";
  for (std::string_view line : {"Host: a\r\n",
                                "Host:a\r\n",
                                "Host:\r\n",
                                "Host: \t a b \t\r\nNext: x\r\n",
                                "H: \x80\xff\r\n",
                                "",
                                "Host",
                                "Host:",
                                "Host: a",
                                "Host: a\r",
                                " Host: a\r\n",
                                ": a\r\n",
                                "Host : a\r\n",
                                "Host: a\nb\r\n",
                                "Host: a\rb\r\n",
                                "Host: a\x7f\r\n",
                                "Host: a\x01\r\n",
                                "Ho(st: a\r\n",
                                "\r\n",
                                "Host: a\r\r\n",
                                "A: 1\r\nB: 2\r\n\r\nbody: 3\r\n"}) {
    expect_field_lines_agree(line);
    // After a start line, short and longer than a block: the last block is then loaded from
    // before `begin`.
    expect_field_lines_agree("GET / HTTP/1.1\r\n" + std::string(line), 16);
    expect_field_lines_agree(long_prefix + std::string(line), long_prefix.size());
  }
}

TEST(Scan, FieldLinesStopAfterMax) {
  const std::string head = "A: 1\r\nB: 2\r\nC: 3\r\n\r\n";
  for (size_t max = 0; max <= 4; ++max) expect_field_lines_agree(head, 0, max);
}

// Names and values of every length around the blocks, each ended or broken by every byte value.
TEST(Scan, FieldLinesEveryLengthAndStop) {
  for (size_t name_len : {1u, 15u, 16u, 17u, 31u, 32u, 33u, 63u, 64u, 65u}) {
    for (size_t value_len : {0u, 1u, 14u, 15u, 16u, 30u, 31u, 32u, 33u, 62u, 63u, 64u, 65u, 130u}) {
      const std::string name(name_len, 'n');
      const std::string line = name + ": " + std::string(value_len, 'v');
      expect_field_lines_agree(line + "\r\n" + line + "\r\n\r\n");
      for (int c = 0; c < 256; c += 5) {
        const char stop = static_cast<char>(c);
        expect_field_lines_agree("X: y\r\n" + line + stop + "v\r\nZ: z\r\n");
        expect_field_lines_agree("X: y\r\n" + name + stop + ": v\r\nZ: z\r\n");
      }
      if (::testing::Test::HasFatalFailure()) return;
    }
  }
}

// Heads of random lines, now and then broken, started at random places.
TEST(Scan, FieldLinesRandomHeads) {
  std::mt19937 rng(20241126);
  const std::string edges = std::string("\0\t\n\r \x7f\x80:;(", 11);
  for (int round = 0; round < 3000; ++round) {
    std::string data;
    const int lines = static_cast<int>(rng() % 12);
    for (int l = 0; l < lines; ++l) {
      data += std::string(1 + rng() % 30, "aZ-9"[rng() % 4]);
      data += rng() % 4 ? ": " : ":";
      data += std::string(rng() % 120, "v x\t"[rng() % 4]);
      if (rng() % 20 == 0) {
        // Never before the start: the data may be shorter than the distance drawn.
        const size_t back = std::min<size_t>(rng() % 10, data.size());
        data.insert(data.size() - back, 1, edges[rng() % edges.size()]);
      }
      data += rng() % 30 ? "\r\n" : "\n";
    }
    if (rng() % 2) data += "\r\n";
    const size_t begin = rng() % 3 == 0 ? 0 : rng() % (data.size() + 1);
    expect_field_lines_agree(data, begin, rng() % 8 == 0 ? rng() % 4 : 1000);
    // Cut anywhere: a line not yet whole is not taken.
    expect_field_lines_agree(std::string_view(data).substr(0, rng() % (data.size() + 1)), 0);
    if (::testing::Test::HasFatalFailure()) return;
  }
}

}  // namespace
}  // namespace fulcrum::http

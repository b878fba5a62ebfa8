#include "http/scan.h"

#include <gtest/gtest.h>

#include <cstring>
#include <memory>
#include <optional>
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
    EXPECT_EQ(is_target_char(ch), c > 0x20 && c < 0x7F) << c;
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

// What Scanner::field_line must find, from the grammar: a token name, ':', whitespace, field-value
// bytes up to the first byte that is not one, which must be the CR of a CRLF.
std::optional<FieldLineParts> reference_field_line(std::string_view p) {
  size_t colon = 0;
  while (colon < p.size() && is_token_char(p[colon])) ++colon;
  if (colon == 0 || colon == p.size() || p[colon] != ':') return std::nullopt;
  size_t value = colon + 1;
  while (value < p.size() && (p[value] == ' ' || p[value] == '\t')) ++value;
  size_t cr = value;
  while (cr < p.size() && is_field_value_char(p[cr])) ++cr;
  if (p.substr(cr, 2) != "\r\n") return std::nullopt;
  size_t end = cr;
  while (end > value && (p[end - 1] == ' ' || p[end - 1] == '\t')) --end;
  return FieldLineParts{colon, value, end, cr};
}

void expect_field_line_agrees(std::string_view bytes) {
  testing::FreshCopy copy(bytes, bytes.size());
  const std::optional<FieldLineParts> want = reference_field_line(bytes);
  for (const Scanner* s : testing::all_scanners()) {
    FieldLineParts got;
    const bool found = s->field_line(copy.data(), bytes.size(), got);
    ASSERT_EQ(found, want.has_value())
        << isa_name(s->isa) << " on " << ::testing::PrintToString(std::string(bytes));
    if (!found) continue;
    EXPECT_EQ(got.name_end, want->name_end) << isa_name(s->isa);
    EXPECT_EQ(got.value_begin, want->value_begin) << isa_name(s->isa);
    EXPECT_EQ(got.value_end, want->value_end) << isa_name(s->isa);
    EXPECT_EQ(got.cr, want->cr) << isa_name(s->isa);
  }
}

TEST(Scan, FieldLine) {
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
                                "Host: a\r\r\n"}) {
    expect_field_line_agrees(line);
  }
}

// Names and values of every length around the 16- and 32-byte blocks, each ended or broken by
// every byte value.
TEST(Scan, FieldLineEveryLengthAndStop) {
  for (size_t name_len : {1u, 15u, 16u, 17u, 31u, 32u, 33u, 64u}) {
    for (size_t value_len : {0u, 1u, 14u, 15u, 16u, 30u, 31u, 32u, 33u, 63u, 64u, 65u, 100u}) {
      const std::string line = std::string(name_len, 'n') + ": " + std::string(value_len, 'v');
      expect_field_line_agrees(line + "\r\n");
      for (int c = 0; c < 256; c += 7) {
        expect_field_line_agrees(line + static_cast<char>(c) + "v\r\n");
        expect_field_line_agrees(std::string(name_len, 'n') + static_cast<char>(c) + ": v\r\n");
      }
      if (::testing::Test::HasFatalFailure()) return;
    }
  }
}

}  // namespace
}  // namespace fulcrum::http

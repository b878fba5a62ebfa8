// Throughput of fulcrum's request parser against Node's http-parser on the shared corpus of
// realistic requests (issue 7: the target is at least 7x http-parser, all validation on).
//
//   build/parser_bench [--corpus=DIR] [Google Benchmark flags, e.g. --benchmark_repetitions=5]
//
// Each message is parsed whole, as the proxy meets it: fulcrum's RequestParser for the head (one
// run per scanner this CPU has: scalar, SSE4.2, AVX2), then the body's framing (a Content-Length
// body is skipped, a chunked one goes through ChunkedDecoder); http-parser with its
// on_message_complete callback only, which is the fastest way to use it, so the ratio printed is
// the least favourable to fulcrum. Per corpus file, and over the whole corpus with each file
// weighted equally (one pass over all files per iteration), as the corpus README asks. After
// Google Benchmark's own report, a markdown table gives bytes/s per parser and the ratios.
//
// The corpus is found with --corpus=DIR, else $FULCRUM_CORPUS, else ../shared/corpus next to the
// checkout (a path fixed at build time).
#include <benchmark/benchmark.h>
#include <http_parser.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "http/chunked.h"
#include "http/request_parser.h"
#include "http/scan.h"

namespace {

namespace fs = std::filesystem;
using fulcrum::http::ChunkedDecoder;
using fulcrum::http::Framing;
using fulcrum::http::ParseStatus;
using fulcrum::http::RequestHead;
using fulcrum::http::RequestParser;
using fulcrum::http::ScanIsa;
using fulcrum::http::Scanner;

struct Message {
  std::string name;  // the file's name without .http
  std::string bytes;
};

// Every request of the corpus, sorted by name; exits with a message if there are none.
std::vector<Message> read_corpus(const fs::path& dir) {
  std::vector<Message> out;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir / "requests", ec)) {
    if (entry.path().extension() != ".http") continue;
    std::ifstream in(entry.path(), std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    out.push_back({entry.path().stem().string(), std::move(bytes)});
  }
  if (out.empty()) {
    std::fprintf(stderr, "parser_bench: no requests in %s/requests (pass --corpus=DIR)\n",
                 dir.c_str());
    std::exit(2);
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
  return out;
}

// One message through fulcrum, head and body framing, with a parser and head reused from one
// message to the next as a connection reuses them. Returns whether the message was well-formed
// and ended exactly at the end of `m`. Never inlined (nor is HttpParserParse's), so that
// callgrind can count the instructions of one parse: valgrind --tool=callgrind
// --toggle-collect='*FulcrumParse::operator()*' build/parser_bench --benchmark_filter=...
class FulcrumParse {
 public:
  explicit FulcrumParse(const Scanner& scan) : parser_(fulcrum::http::Limits{}, scan) {}

  [[gnu::noinline]] bool operator()(std::string_view m) {
    parser_.reset();
    if (parser_.parse(m.data(), m.size(), head_) != ParseStatus::kComplete) return false;
    const size_t body = m.size() - head_.head_size;
    switch (head_.framing) {
      case Framing::kNone:
        return body == 0;
      case Framing::kContentLength:
        return head_.content_length == body;
      case Framing::kChunked:
        break;
      case Framing::kUntilClose:
        return false;
    }
    chunked_.reset();
    size_t used = head_.head_size;
    while (used < m.size() && !chunked_.done() && !chunked_.error()) {
      used += chunked_.next(m.data() + used, m.size() - used).consumed;
    }
    return chunked_.done() && used == m.size();
  }

 private:
  RequestParser parser_;
  RequestHead head_;
  ChunkedDecoder chunked_;
};

// One message through http-parser, with the same contract as FulcrumParse.
class HttpParserParse {
 public:
  HttpParserParse() {
    http_parser_settings_init(&settings_);
    settings_.on_message_complete = [](http_parser* p) {
      static_cast<HttpParserParse*>(p->data)->complete_ = true;
      return 0;
    };
  }

  [[gnu::noinline]] bool operator()(std::string_view m) {
    http_parser_init(&parser_, HTTP_REQUEST);
    parser_.data = this;
    complete_ = false;
    const size_t n = http_parser_execute(&parser_, &settings_, m.data(), m.size());
    return HTTP_PARSER_ERRNO(&parser_) == HPE_OK && complete_ && n == m.size();
  }

 private:
  http_parser parser_{};
  http_parser_settings settings_{};
  bool complete_ = false;
};

// Parses `messages` (all of the corpus, or one file) once per iteration.
template <class Parse>
void run(benchmark::State& state, Parse parse, const std::vector<const Message*>& messages) {
  int64_t bytes = 0;
  for (const Message* m : messages) {
    if (!parse(m->bytes)) {
      state.SkipWithError(("refused " + m->name).c_str());
      return;
    }
    bytes += static_cast<int64_t>(m->bytes.size());
  }
  for (auto _ : state) {
    for (const Message* m : messages) {
      bool ok = parse(m->bytes);
      benchmark::DoNotOptimize(ok);
    }
  }
  state.SetBytesProcessed(bytes * state.iterations());
}

// Keeps the bytes/s of every run, for the summary table, while the console reporter prints as
// usual. With repetitions, the median of them is kept.
class SummaryReporter : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override {
    for (const Run& run : runs) {
      if (run.run_type != Run::RT_Iteration || run.error_occurred) continue;
      auto it = run.counters.find("bytes_per_second");
      if (it != run.counters.end()) rates_[run.run_name.function_name].push_back(it->second);
    }
    ConsoleReporter::ReportRuns(runs);
  }

  // bytes/s of a benchmark, or 0 if it did not run.
  double rate(const std::string& name) const {
    auto it = rates_.find(name);
    if (it == rates_.end()) return 0;
    std::vector<double> v = it->second;
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
  }

 private:
  std::map<std::string, std::vector<double>> rates_;
};

std::string fulcrum_name(const Scanner& scan, const std::string& group) {
  return "fulcrum_" + std::string(isa_name(scan.isa)) + "/" + group;
}

std::string gbps(double rate) {
  char s[32];
  std::snprintf(s, sizeof s, "%.2f", rate / 1e9);
  return rate > 0 ? s : "-";
}

void print_summary(const SummaryReporter& reporter, const std::vector<std::string>& groups,
                   const std::vector<const Scanner*>& scanners) {
  std::printf("\n| corpus | http-parser GB/s |");
  for (const Scanner* s : scanners) {
    std::printf(" fulcrum %s GB/s |", std::string(isa_name(s->isa)).c_str());
  }
  std::printf(" fulcrum %s / http-parser |\n|---|---|",
              std::string(isa_name(scanners.back()->isa)).c_str());
  for (size_t i = 0; i <= scanners.size(); ++i) std::printf("---|");
  std::printf("\n");
  for (const std::string& group : groups) {
    const double base = reporter.rate("http_parser/" + group);
    if (base == 0 && reporter.rate(fulcrum_name(*scanners.back(), group)) == 0) continue;
    std::printf("| %s | %s |", group.c_str(), gbps(base).c_str());
    double best = 0;
    for (const Scanner* s : scanners) {
      best = reporter.rate(fulcrum_name(*s, group));
      std::printf(" %s |", gbps(best).c_str());
    }
    if (base > 0 && best > 0) {
      std::printf(" %.2fx |\n", best / base);
    } else {
      std::printf(" - |\n");
    }
  }
  const double base = reporter.rate("http_parser/corpus");
  if (base == 0) return;
  std::printf("\nfulcrum / http-parser on the whole corpus:");
  for (const Scanner* s : scanners) {
    std::printf(" %s %.2fx", std::string(isa_name(s->isa)).c_str(),
                reporter.rate(fulcrum_name(*s, "corpus")) / base);
  }
  std::printf(" (issue 7 asks for at least 7x)\n");
}

fs::path corpus_dir(int& argc, char** argv) {
  fs::path dir = FULCRUM_CORPUS_DIR;
  if (const char* env = std::getenv("FULCRUM_CORPUS")) dir = env;
  constexpr std::string_view kFlag = "--corpus=";
  for (int i = 1; i < argc; ++i) {
    if (std::string_view(argv[i]).starts_with(kFlag)) {
      dir = argv[i] + kFlag.size();
      std::copy(argv + i + 1, argv + argc, argv + i);
      --argc;
      break;
    }
  }
  return dir;
}

}  // namespace

int main(int argc, char** argv) {
  const fs::path dir = corpus_dir(argc, argv);
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 2;

  const std::vector<Message> corpus = read_corpus(dir);
  std::vector<const Scanner*> scanners;
  for (ScanIsa isa : {ScanIsa::kScalar, ScanIsa::kSse42, ScanIsa::kAvx2}) {
    if (const Scanner* s = fulcrum::http::scanner_for(isa)) scanners.push_back(s);
  }

  // One group per file, then the whole corpus; within a group the parsers run one after the
  // other, so that the ratios compare runs close in time on a machine whose load drifts.
  std::vector<std::pair<std::string, std::vector<const Message*>>> groups;
  for (const Message& m : corpus) groups.push_back({m.name, {&m}});
  groups.emplace_back("corpus", std::vector<const Message*>{});
  for (const Message& m : corpus) groups.back().second.push_back(&m);

  std::vector<std::string> names;
  for (const auto& [name, messages] : groups) {
    names.push_back(name);
    benchmark::RegisterBenchmark(("http_parser/" + name).c_str(),
                                 [&messages = messages](benchmark::State& state) {
                                   run(state, HttpParserParse(), messages);
                                 });
    for (const Scanner* s : scanners) {
      benchmark::RegisterBenchmark(fulcrum_name(*s, name).c_str(),
                                   [&messages = messages, s](benchmark::State& state) {
                                     run(state, FulcrumParse(*s), messages);
                                   });
    }
  }

  std::printf("corpus: %s (%zu requests)\n", fs::absolute(dir).c_str(), corpus.size());
  SummaryReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  print_summary(reporter, names, scanners);
  benchmark::Shutdown();
  return 0;
}

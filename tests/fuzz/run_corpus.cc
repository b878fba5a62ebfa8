// A main for a fuzz target where libFuzzer is not available (GCC): it runs the target once on
// every input of a corpus, so that with any compiler the corpus is a regression test that ctest
// runs (DESIGN principle 11).
//
// usage: fuzz_<target> PATH...
// Each PATH is a file, or a directory whose regular files are all inputs, run in name order. Each
// input goes to LLVMFuzzerTestOneInput in a heap allocation of exactly its size, as libFuzzer
// gives it. A broken invariant aborts, naming the input (printed before it runs). Returns 0 when
// every input ran, 2 on a usage error, an unreadable path or an empty directory (a corpus that
// is not where the test expects it must not pass as if it had run).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <system_error>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace {

namespace fs = std::filesystem;

// The inputs a PATH names, sorted; false (with a message) if there are none.
bool list_inputs(const fs::path& path, std::vector<fs::path>& out) {
  std::error_code ec;
  if (fs::is_regular_file(path, ec)) {
    out.push_back(path);
    return true;
  }
  if (!fs::is_directory(path, ec)) {
    std::fprintf(stderr, "%s: not a file or directory\n", path.c_str());
    return false;
  }
  const size_t first = out.size();
  for (const fs::directory_entry& entry : fs::directory_iterator(path, ec)) {
    if (entry.is_regular_file(ec)) out.push_back(entry.path());
  }
  if (ec) {
    std::fprintf(stderr, "%s: %s\n", path.c_str(), ec.message().c_str());
    return false;
  }
  if (out.size() == first) {
    std::fprintf(stderr, "%s: no inputs\n", path.c_str());
    return false;
  }
  std::sort(out.begin() + static_cast<std::ptrdiff_t>(first), out.end());
  return true;
}

// Reads a whole file into a buffer of exactly its size; false (with a message) on failure.
bool read_input(const fs::path& path, std::unique_ptr<uint8_t[]>& bytes, size_t& size) {
  std::error_code ec;
  size = static_cast<size_t>(fs::file_size(path, ec));
  if (ec) {
    std::fprintf(stderr, "%s: %s\n", path.c_str(), ec.message().c_str());
    return false;
  }
  bytes.reset(new uint8_t[size == 0 ? 1 : size]);
  std::ifstream in(path, std::ios::binary);
  in.read(reinterpret_cast<char*>(bytes.get()), static_cast<std::streamsize>(size));
  if (!in || in.gcount() != static_cast<std::streamsize>(size)) {
    std::fprintf(stderr, "%s: cannot read\n", path.c_str());
    return false;
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s CORPUS_DIR_OR_FILE...\n", argv[0]);
    return 2;
  }
  std::vector<fs::path> inputs;
  for (int i = 1; i < argc; ++i) {
    if (!list_inputs(argv[i], inputs)) return 2;
  }
  for (const fs::path& path : inputs) {
    std::unique_ptr<uint8_t[]> bytes;
    size_t size = 0;
    if (!read_input(path, bytes, size)) return 2;
    std::fprintf(stderr, "Running: %s (%zu bytes)\n", path.c_str(), size);
    LLVMFuzzerTestOneInput(bytes.get(), size);
  }
  std::printf("%zu inputs ran\n", inputs.size());
  return 0;
}

// The probe timeout against the interval when flags and a file both set them: flags over a file
// follow the file's rule (a default timeout yields to a shorter interval, a given one that is
// longer is an error), and the error names the flag that caused it.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>
#include <vector>

#include "config/cli.h"

namespace fulcrum::config {
namespace {

using std::chrono::milliseconds;

struct Outcome {
  int rc = 0;          // parse_command_line's: -1 to run, 1 file errors, 2 usage errors
  std::string errors;  // what it wrote to stderr
  Config config;
};

Outcome parse(std::vector<std::string> args) {
  args.insert(args.begin(), "fulcrum");
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::ostringstream errors;
  std::streambuf* was = std::cerr.rdbuf(errors.rdbuf());
  Outcome out;
  out.rc = parse_command_line(static_cast<int>(args.size()), argv.data(), &out.config);
  std::cerr.rdbuf(was);
  out.errors = errors.str();
  return out;
}

// A file whose one pool, "api" (the default pool), has the health settings `health`.
// Removed when the process exits, so that runs leave nothing behind in the temporary directory.
std::string file_with_health(const std::string& health) {
  static struct Written {
    std::vector<std::string> paths;
    ~Written() {
      for (const std::string& p : paths) std::remove(p.c_str());
    }
  } written;
  // ctest runs each test in a process of its own, several at once: the pid keeps their files apart.
  std::string path = ::testing::TempDir() + "fulcrum-cli-health-" + std::to_string(::getpid()) +
                     "-" + std::to_string(written.paths.size()) + ".yaml";
  written.paths.push_back(path);
  std::ofstream(path) << "pools:\n  api:\n    backends: [\"127.0.0.1:9001\"]\n    health: {"
                      << health << "}\n";
  return path;
}

const HealthCheck& health(const Outcome& out) { return out.config.default_pool_config().health; }

// The flag's default is the configuration's, written out: the two cannot drift apart.
TEST(CliHealth, TheStatusFlagDefaultsToTheConfigurationsDefault) {
  Outcome out = parse({"-b", "127.0.0.1:9001"});
  ASSERT_EQ(out.rc, -1) << out.errors;
  const std::vector<StatusRange>& got = health(out).expected_status;
  const std::vector<StatusRange> want = HealthCheck{}.expected_status;
  ASSERT_EQ(got.size(), 1u);
  ASSERT_EQ(want.size(), 1u);
  EXPECT_EQ(got[0].first, want[0].first);
  EXPECT_EQ(got[0].last, want[0].last);
  EXPECT_EQ(format_status_range(want[0]), "200-499");
  EXPECT_EQ(format_status_range(StatusRange{204, 204}), "204");
}

TEST(CliHealth, AnIntervalFlagCutsTheDefaultTimeoutOfTheFile) {
  Outcome out = parse({"-c", file_with_health("path: /health"), "--health-interval", "500ms"});
  ASSERT_EQ(out.rc, -1) << out.errors;
  EXPECT_EQ(health(out).interval, milliseconds(500));
  EXPECT_EQ(health(out).timeout, milliseconds(500));
}

// The file's short interval had cut the default timeout; a longer interval brings it back.
TEST(CliHealth, ALongerIntervalFlagGivesTheDefaultTimeoutBack) {
  Outcome out = parse({"-c", file_with_health("interval: 1s"), "--health-interval", "10s"});
  ASSERT_EQ(out.rc, -1) << out.errors;
  EXPECT_EQ(health(out).timeout, kDefaultHealthTimeout);
}

TEST(CliHealth, AnIntervalFlagShorterThanTheFilesTimeoutIsAnErrorNamingTheFlag) {
  std::string path = file_with_health("interval: 10s, timeout: 3s");
  Outcome out = parse({"-c", path, "--health-interval", "1s"});
  EXPECT_EQ(out.rc, 2);
  EXPECT_EQ(out.errors,
            "fulcrum: --health-interval: 1s is shorter than the probe timeout (3s) "
            "that " +
                path +
                " gives; a probe must end before the next, so set --health-timeout "
                "too (see --help)\n");
  EXPECT_EQ(parse({"-c", path, "--health-interval", "1s", "--health-timeout", "800ms"}).rc, -1);
}

TEST(CliHealth, ATimeoutFlagIsHeldToTheFilesInterval) {
  std::string path = file_with_health("interval: 1s");
  Outcome out = parse({"-c", path, "--health-timeout", "3s"});
  EXPECT_EQ(out.rc, 2);
  EXPECT_EQ(out.errors, "fulcrum: --health-timeout: 3s is longer than the interval (1s, from " +
                            path + "); a probe must end before the next (see --help)\n");
  // Not to the command line's default interval (5s): the file's is longer.
  out = parse({"-c", file_with_health("interval: 10s"), "--health-timeout", "6s"});
  ASSERT_EQ(out.rc, -1) << out.errors;
  EXPECT_EQ(health(out).timeout, milliseconds(6'000));
}

TEST(CliHealth, WithoutAFileTheFlagsFollowTheSameRule) {
  Outcome out = parse({"-b", "127.0.0.1:9001", "--health-interval", "500ms"});
  ASSERT_EQ(out.rc, -1) << out.errors;
  EXPECT_EQ(health(out).timeout, milliseconds(500));
  out = parse({"-b", "127.0.0.1:9001", "--health-timeout", "6s"});
  EXPECT_EQ(out.rc, 2);
  EXPECT_EQ(out.errors,
            "fulcrum: --health-timeout: 6s is longer than the interval (5s, the default); a probe "
            "must end before the next (see --help)\n");
  out = parse({"-b", "127.0.0.1:9001", "--health-interval", "1s", "--health-timeout", "3s"});
  EXPECT_EQ(out.rc, 2);
  EXPECT_EQ(out.errors,
            "fulcrum: --health-timeout: 3s is longer than the interval (1s); a probe must end "
            "before the next (see --help)\n");
}

// As in the file: a probe interval or timeout of 0 would probe without pause, or fail every probe.
TEST(CliHealth, ZeroIsNotAProbeIntervalOrTimeout) {
  Outcome out = parse({"-b", "127.0.0.1:9001", "--health-interval", "0"});
  EXPECT_EQ(out.rc, 2);
  EXPECT_EQ(out.errors,
            "fulcrum: --health-interval: 0 is not a probe interval (more than 0) (see --help)\n");
  out = parse({"-b", "127.0.0.1:9001", "--health-timeout", "0ms"});
  EXPECT_EQ(out.rc, 2);
  EXPECT_EQ(out.errors,
            "fulcrum: --health-timeout: 0 is not a probe timeout (more than 0) (see --help)\n");
  EXPECT_EQ(parse({"-b", "127.0.0.1:9001", "--slow-start", "0"}).rc, -1);  // 0 means at once there
}

// As in the file: the probe's path goes into its request line as it is.
TEST(CliHealth, APathThatCannotBeARequestTargetIsAnError) {
  EXPECT_EQ(parse({"-b", "127.0.0.1:9001", "--health-path", "/healthz?full=1"}).rc, -1);
  for (const char* path : {"healthz", "/a b", "/a#b", "/\x7f", "/caf\xc3\xa9"}) {
    Outcome out = parse({"-b", "127.0.0.1:9001", "--health-path", path});
    EXPECT_EQ(out.rc, 2) << path;
    EXPECT_EQ(out.errors, "fulcrum: --health-path: '" + std::string(path) +
                              "' is not a path (starting with '/', printable ASCII without spaces "
                              "or '#') (see --help)\n");
  }
}

}  // namespace
}  // namespace fulcrum::config

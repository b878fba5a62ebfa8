// proxy::AccessLog: the line of a request (fields, escapes, empty fields), and when lines reach
// the file: not at once, but within a second on the loop's timer, at once past 32 KiB, when the
// log moves to another file, and when it ends.
#include "proxy/access_log.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <string>

#include "base/task.h"

namespace fulcrum::proxy {
namespace {

using namespace std::chrono_literals;

constexpr time_t kNow = 1795856105;  // 2026-11-28 08:55:05 UTC

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Lines with their "[time]" left out.
std::string without_times(std::string lines) {
  for (size_t open = 0; (open = lines.find('[', open)) != std::string::npos;) {
    lines.erase(open, lines.find(']', open) + 1 - open);
  }
  return lines;
}

AccessEntry sample() {
  AccessEntry e;
  e.client_ip = "127.0.0.1";
  e.request = "GET /a?b=c HTTP/1.1";
  e.status = 200;
  e.bytes = 612;
  e.referer = "http://example.com/";
  e.user_agent = "curl/7.88.1";
  e.backend = "10.0.0.2:8080";
  e.took = 3004ms;
  return e;
}

TEST(AccessLogFormat, CombinedWithBackendAndTime) {
  std::string line;
  AccessLog::format(sample(), kNow, line);
  EXPECT_EQ(line,
            "127.0.0.1 - - [28/Nov/2026:08:55:05 +0000] \"GET /a?b=c HTTP/1.1\" 200 612 "
            "\"http://example.com/\" \"curl/7.88.1\" \"10.0.0.2:8080\" 3.004\n");
}

TEST(AccessLogFormat, EmptyFieldsAreDashes) {
  AccessEntry e;
  e.status = 400;
  std::string line;
  AccessLog::format(e, kNow + 3661, line);  // another second than the other tests' lines
  EXPECT_EQ(line, "- - - [28/Nov/2026:09:56:06 +0000] \"-\" 400 0 \"-\" \"-\" \"-\" 0.000\n");
}

TEST(AccessLogFormat, QuotesBackslashesAndOtherBytesAreEscaped) {
  AccessEntry e = sample();
  e.request = "GET /\"\\ HTTP/1.1";
  e.user_agent = std::string_view("a\tb\x7f\xc3\xa9\0", 7);
  std::string line;
  AccessLog::format(e, kNow, line);
  EXPECT_NE(line.find("\"GET /\\x22\\x5C HTTP/1.1\""), std::string::npos) << line;
  EXPECT_NE(line.find("\"a\\x09b\\x7F\\xC3\\xA9\\x00\""), std::string::npos) << line;
}

class AccessLogFile : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string error;
    loop_ = io::Loop::create(io::Backend::kEpoll, &error);
    ASSERT_TRUE(loop_) << error;
    // Apart for each test and process: ctest runs tests at once.
    path_ = ::testing::TempDir() + "fulcrum-access-log-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name() + "-" +
            std::to_string(::getpid()) + ".log";
    other_ = path_ + ".other";
    std::remove(path_.c_str());
    std::remove(other_.c_str());
  }
  void TearDown() override {
    std::remove(path_.c_str());
    std::remove(other_.c_str());
  }
  std::string line() {
    std::string l;
    AccessLog::format(sample(), ::time(nullptr), l);
    return l;
  }

  std::unique_ptr<io::Loop> loop_;
  std::string path_;
  std::string other_;
};

TEST_F(AccessLogFile, LinesReachTheFileWithinASecondAndAtTheEnd) {
  {
    AccessLog log(*loop_);
    std::string error;
    ASSERT_TRUE(log.open(path_, &error)) << error;
    std::string before, after;
    auto task = [&]() -> base::Task<void> {
      log.log(sample());
      before = read_file(path_);
      co_await loop_->sleep(1500ms);
      after = read_file(path_);
      log.log(sample());
      loop_->stop();
    };
    base::spawn(task());
    loop_->run();
    EXPECT_EQ(before, "");
    EXPECT_EQ(after.size(), line().size());
    EXPECT_EQ(read_file(path_).size(), line().size());
  }
  EXPECT_EQ(read_file(path_).size(), 2 * line().size()) << "the end writes what is left";
}

TEST_F(AccessLogFile, ThirtyTwoKibibytesGoAtOnce) {
  AccessLog log(*loop_);
  std::string error;
  ASSERT_TRUE(log.open(path_, &error)) << error;
  size_t logged = 0;
  while (read_file(path_).empty()) {
    log.log(sample());
    logged += line().size();
    ASSERT_LT(logged, 33u * 1024);
  }
  EXPECT_GE(logged, 32u * 1024);
  EXPECT_EQ(read_file(path_).size(), logged);
}

TEST_F(AccessLogFile, OpeningAnotherFileWritesOutTheFirst) {
  AccessLog log(*loop_);
  std::string error;
  ASSERT_TRUE(log.open(path_, &error)) << error;
  log.log(sample());
  ASSERT_TRUE(log.open(other_, &error)) << error;
  EXPECT_EQ(read_file(path_).size(), line().size());
  log.log(sample());
  log.flush();
  EXPECT_EQ(read_file(other_).size(), line().size());
  EXPECT_FALSE(log.open("/nonexistent-dir/a.log", &error));
  EXPECT_EQ(error, "cannot open /nonexistent-dir/a.log: No such file or directory");
  log.log(sample());
  log.flush();
  EXPECT_EQ(read_file(other_).size(), 2 * line().size()) << "a failed open keeps the file";
  ASSERT_TRUE(log.open("", &error));
  EXPECT_FALSE(log.enabled());
  log.log(sample());
  log.flush();
  EXPECT_EQ(read_file(other_).size(), 2 * line().size());
}

// On a pipe the kernel keeps only PIPE_BUF bytes of a write whole, so the log cuts its writes at
// line ends, each of them as many whole lines as fit (a longer line goes alone); every byte still
// arrives, in order.
TEST(AccessLogLines, AWriteToAPipeTakesWholeLinesWithinTheLimit) {
  EXPECT_EQ(AccessLog::whole_lines("ab\ncd\nef\n", 6), 6u);
  EXPECT_EQ(AccessLog::whole_lines("ab\ncd\nef\n", 8), 6u);
  EXPECT_EQ(AccessLog::whole_lines("ab\ncd\nef\n", 9), 9u);
  EXPECT_EQ(AccessLog::whole_lines("abcdefgh\ncd\n", 4), 9u) << "a longer line goes alone";
  EXPECT_EQ(AccessLog::whole_lines("ab\n", 1), 3u);
}

TEST_F(AccessLogFile, APipeGetsEveryLine) {
  int pipe_fds[2];
  ASSERT_EQ(::pipe2(pipe_fds, O_CLOEXEC), 0);
  ASSERT_EQ(::fcntl(pipe_fds[1], F_SETPIPE_SZ, 1 << 20), 1 << 20);
  std::string expected;
  {
    AccessLog log(*loop_);
    std::string error;
    ASSERT_TRUE(log.open("/proc/self/fd/" + std::to_string(pipe_fds[1]), &error)) << error;
    AccessEntry e = sample();
    const std::string long_agent(5000, 'x');
    for (int i = 0; i < 300; ++i) {
      e.user_agent = i % 50 == 7 ? std::string_view(long_agent) : std::string_view("curl");
      e.status = 200 + i % 100;
      log.log(e);
      AccessLog::format(e, ::time(nullptr), expected);
    }
  }
  ::close(pipe_fds[1]);
  std::string got;
  char buf[65536];
  for (ssize_t n; (n = ::read(pipe_fds[0], buf, sizeof buf)) > 0;) got.append(buf, n);
  ::close(pipe_fds[0]);
  // The time may differ by a second between the lines and the expected ones.
  EXPECT_EQ(without_times(got), without_times(expected));
}

}  // namespace
}  // namespace fulcrum::proxy

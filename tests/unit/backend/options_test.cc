#include "../../../tools/backend/options.h"

#include <gtest/gtest.h>

#include <vector>

namespace fulcrum::backend {
namespace {

bool parse(std::vector<const char*> args, Options* out, std::string* error) {
  args.insert(args.begin(), "fulcrum-backend");
  return parse_options(static_cast<int>(args.size()), args.data(), out, error);
}

TEST(OptionsTest, Defaults) {
  Options o;
  std::string error;
  ASSERT_TRUE(parse({"--port", "9001"}, &o, &error)) << error;
  EXPECT_EQ(o.port, 9001);
  EXPECT_EQ(o.host, "127.0.0.1");
  EXPECT_EQ(o.id, "");
  EXPECT_EQ(o.forced_status, 0);
  EXPECT_EQ(o.io, io::Backend::kAuto);
  EXPECT_FALSE(o.verbose);
}

TEST(OptionsTest, AllOptionsBothSpellings) {
  Options o;
  std::string error;
  ASSERT_TRUE(parse(
      {"--port=9002", "--host", "::1", "--id=b2", "--status", "503", "--io=epoll", "--verbose"}, &o,
      &error))
      << error;
  EXPECT_EQ(o.port, 9002);
  EXPECT_EQ(o.host, "::1");
  EXPECT_EQ(o.id, "b2");
  EXPECT_EQ(o.forced_status, 503);
  EXPECT_EQ(o.io, io::Backend::kEpoll);
  EXPECT_TRUE(o.verbose);
}

TEST(OptionsTest, RefusesBadArguments) {
  const std::vector<std::vector<const char*>> bad = {
      {},                   // no port
      {"--port"},           // no value
      {"--port", "65536"},  //
      {"--port", "-1"},     //
      {"--port", "9001", "--status", "99"},
      {"--port", "9001", "--io", "kqueue"},
      {"--port", "9001", "--bogus"},
      {"--port", "9001", "--id", ""},
  };
  for (const auto& args : bad) {
    Options o;
    std::string error;
    EXPECT_FALSE(parse(args, &o, &error));
    EXPECT_FALSE(error.empty());
  }
}

}  // namespace
}  // namespace fulcrum::backend

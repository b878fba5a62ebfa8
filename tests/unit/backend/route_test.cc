#include "../../../tools/backend/route.h"

#include <gtest/gtest.h>

namespace fulcrum::backend {
namespace {

TEST(RouteTest, NumberedPathsIgnoreTheQuery) {
  Route r = route_for("/bytes/10?x=1");
  EXPECT_EQ(r.kind, RouteKind::kBytes);
  EXPECT_EQ(r.number, 10u);
  EXPECT_EQ(route_for("/chunked/17179869184").number, 17179869184u);
  EXPECT_EQ(route_for("/status/503#frag").kind, RouteKind::kStatus);
  EXPECT_EQ(route_for("/delay/250").number, 250u);
}

TEST(RouteTest, BadNumbersAreInvalid) {
  for (const char* target : {"/status/99", "/status/600", "/status/abc", "/bytes/", "/bytes/-1",
                             "/bytes/1x", "/bytes/99999999999999999999", "/delay/86400001"}) {
    EXPECT_EQ(route_for(target).kind, RouteKind::kInvalid) << target;
  }
}

TEST(RouteTest, ExactPathsOnly) {
  EXPECT_EQ(route_for("/close").kind, RouteKind::kClose);
  EXPECT_EQ(route_for("/reset?now").kind, RouteKind::kReset);
  EXPECT_EQ(route_for("/hang").kind, RouteKind::kHang);
  EXPECT_EQ(route_for("/health").kind, RouteKind::kHealth);
  EXPECT_EQ(route_for("/stats").kind, RouteKind::kStats);
  EXPECT_EQ(route_for("/closed").kind, RouteKind::kEcho);
  EXPECT_EQ(route_for("/health/").kind, RouteKind::kEcho);
  EXPECT_EQ(route_for("/").kind, RouteKind::kEcho);
  EXPECT_EQ(route_for("*").kind, RouteKind::kEcho);
}

TEST(RouteTest, AbsoluteFormSteersByItsPath) {
  EXPECT_EQ(route_for("http://example.com/bytes/5?q").kind, RouteKind::kBytes);
  EXPECT_EQ(route_for("http://example.com").kind, RouteKind::kEcho);
}

}  // namespace
}  // namespace fulcrum::backend

// The per-client token buckets behind 429.
#include "engine/rest/rate_limiter.h"

#include <gtest/gtest.h>

namespace fhirengine::rest {
namespace {

using std::chrono::milliseconds;

TEST(RateLimiter, OffAllowsEverything) {
  RateLimiter limiter(0);
  const auto now = RateLimiter::Clock::now();
  for (int i = 0; i < 1000; ++i) EXPECT_TRUE(limiter.Allow("a", now));
}

TEST(RateLimiter, ABurstOfOneSecondThenTheRate) {
  RateLimiter limiter(10);
  const auto t0 = RateLimiter::Clock::now();
  for (int i = 0; i < 10; ++i) EXPECT_TRUE(limiter.Allow("a", t0)) << i;
  EXPECT_FALSE(limiter.Allow("a", t0)) << "the burst is used up";
  EXPECT_TRUE(limiter.Allow("b", t0)) << "another client has its own bucket";
  EXPECT_FALSE(limiter.Allow("a", t0 + milliseconds(50))) << "half a token so far";
  EXPECT_TRUE(limiter.Allow("a", t0 + milliseconds(110))) << "one token after 100 ms";
  EXPECT_FALSE(limiter.Allow("a", t0 + milliseconds(120)));
  // Idle for long: back to a full burst, not more.
  const auto later = t0 + std::chrono::seconds(60);
  for (int i = 0; i < 10; ++i) EXPECT_TRUE(limiter.Allow("a", later)) << i;
  EXPECT_FALSE(limiter.Allow("a", later));
}

TEST(RateLimiter, SlowRatesStillAllowOneRequest) {
  RateLimiter limiter(0.5);
  const auto t0 = RateLimiter::Clock::now();
  EXPECT_TRUE(limiter.Allow("a", t0));
  EXPECT_FALSE(limiter.Allow("a", t0 + milliseconds(1000)));
  EXPECT_TRUE(limiter.Allow("a", t0 + milliseconds(2000)));
}

TEST(RateLimiter, ManyClientsStayBounded) {
  RateLimiter limiter(1);
  const auto t0 = RateLimiter::Clock::now();
  for (std::size_t i = 0; i < RateLimiter::kMaxClients + 10; ++i) {
    EXPECT_TRUE(limiter.Allow("client-" + std::to_string(i), t0));
  }
  // The newest client was remembered: its second request in the same instant waits.
  EXPECT_FALSE(limiter.Allow("client-" + std::to_string(RateLimiter::kMaxClients + 9), t0));
}

}  // namespace
}  // namespace fhirengine::rest

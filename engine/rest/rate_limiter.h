// Per-client request rate limits: a token bucket per client address, so one
// client flooding the server gets 429 Too Many Requests while the others are
// served. Thread-safe.
#pragma once

#include <chrono>
#include <cstddef>
#include <mutex>
#include <string>
#include <unordered_map>

namespace fhirengine::rest {

class RateLimiter {
 public:
  using Clock = std::chrono::steady_clock;

  // `per_second` requests a second on average, bursts of up to one second's
  // worth (at least 1); 0 turns the limit off.
  explicit RateLimiter(double per_second) : rate_(per_second), burst_(BurstFor(per_second)) {}

  bool enabled() const { return rate_ > 0; }

  // Takes one request from `client`'s bucket; false when it is empty.
  bool Allow(const std::string& client, Clock::time_point now);

  // Most clients remembered; beyond it, buckets that have refilled (clients
  // that went quiet) are forgotten first.
  static constexpr std::size_t kMaxClients = 65536;

 private:
  struct Bucket {
    double tokens = 0;
    Clock::time_point updated;
  };
  static double BurstFor(double per_second) { return per_second < 1 ? 1 : per_second; }
  void Prune(Clock::time_point now);

  const double rate_;
  const double burst_;
  std::mutex mutex_;
  std::unordered_map<std::string, Bucket> buckets_;
};

}  // namespace fhirengine::rest

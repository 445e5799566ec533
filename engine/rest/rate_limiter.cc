// Token buckets per client.
#include "engine/rest/rate_limiter.h"

#include <algorithm>

namespace fhirengine::rest {

bool RateLimiter::Allow(const std::string& client, Clock::time_point now) {
  if (!enabled()) return true;
  std::lock_guard lock(mutex_);
  auto it = buckets_.find(client);
  if (it == buckets_.end()) {
    if (buckets_.size() >= kMaxClients) Prune(now);
    it = buckets_.emplace(client, Bucket{burst_, now}).first;
  }
  Bucket& b = it->second;
  const double elapsed = std::chrono::duration<double>(now - b.updated).count();
  b.tokens = std::min(burst_, b.tokens + std::max(0.0, elapsed) * rate_);
  b.updated = now;
  if (b.tokens < 1) return false;
  b.tokens -= 1;
  return true;
}

void RateLimiter::Prune(Clock::time_point now) {
  // A bucket that has had time to refill holds nothing worth keeping.
  const auto full_after = std::chrono::duration<double>(burst_ / rate_);
  for (auto it = buckets_.begin(); it != buckets_.end();) {
    if (now - it->second.updated >= full_after) {
      it = buckets_.erase(it);
    } else {
      ++it;
    }
  }
  // Still full: every client is active; forget an arbitrary half rather than
  // grow without bound (they start again with a full bucket).
  if (buckets_.size() >= kMaxClients) {
    std::size_t drop = buckets_.size() / 2;
    for (auto it = buckets_.begin(); it != buckets_.end() && drop > 0; --drop) {
      it = buckets_.erase(it);
    }
  }
}

}  // namespace fhirengine::rest

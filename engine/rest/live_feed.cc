// The live feed's fan-out and its coalescing builder thread.
#include "engine/rest/live_feed.h"

#include <algorithm>
#include <optional>
#include <utility>

#include "engine/core/log.h"

namespace fhirengine::rest {

LiveFeed::LiveFeed(LiveFeedOptions options, std::function<std::string()> build)
    : options_(options), build_(std::move(build)) {
  if (build_) builder_ = std::thread([this] { BuildLoop(); });
}

LiveFeed::~LiveFeed() { Stop(); }

std::string_view SubscribeResultText(SubscribeResult result) {
  switch (result) {
    case SubscribeResult::kSubscribed:
      return "subscribed";
    case SubscribeResult::kStopped:
      return "the feed is stopped";
    case SubscribeResult::kAtSessionLimit:
      return "at the session limit";
    case SubscribeResult::kAtClientLimit:
      return "at the per-client session limit";
  }
  return "unknown";
}

SubscribeResult LiveFeed::Subscribe(const std::shared_ptr<LiveFeedSubscriber>& subscriber,
                                    std::string_view client) {
  // publish_mutex_ (before mutex_, as in Publish) is held until the latest
  // message is delivered: a Publish cannot slip a newer one in between.
  std::lock_guard publishing(publish_mutex_);
  std::shared_ptr<const std::string> latest;
  {
    std::lock_guard lock(mutex_);
    if (stopped_) return SubscribeResult::kStopped;
    // Sessions that died without unsubscribing do not count.
    std::size_t live = 0;
    std::size_t from_client = 0;
    for (std::size_t i = 0; i < subscribers_.size(); ++i) {
      if (subscribers_[i].expired()) continue;
      ++live;
      if (!client.empty() && subscriber_clients_[i] == client) ++from_client;
    }
    if (live >= options_.max_sessions) return SubscribeResult::kAtSessionLimit;
    if (!client.empty() && from_client >= options_.max_sessions_per_client) {
      return SubscribeResult::kAtClientLimit;
    }
    subscribers_.push_back(subscriber);
    subscriber_ids_.push_back(subscriber.get());
    subscriber_clients_.emplace_back(client);
    latest = latest_;
  }
  if (latest) subscriber->Deliver(std::move(latest));
  return SubscribeResult::kSubscribed;
}

void LiveFeed::Unsubscribe(const LiveFeedSubscriber* subscriber) {
  std::lock_guard lock(mutex_);
  for (std::size_t i = 0; i < subscriber_ids_.size(); ++i) {
    if (subscriber_ids_[i] == subscriber) {
      subscriber_ids_.erase(subscriber_ids_.begin() + static_cast<std::ptrdiff_t>(i));
      subscribers_.erase(subscribers_.begin() + static_cast<std::ptrdiff_t>(i));
      subscriber_clients_.erase(subscriber_clients_.begin() + static_cast<std::ptrdiff_t>(i));
      return;
    }
  }
}

std::vector<std::shared_ptr<LiveFeedSubscriber>> LiveFeed::LiveSubscribers() {
  std::vector<std::shared_ptr<LiveFeedSubscriber>> out;
  out.reserve(subscribers_.size());
  for (const auto& weak : subscribers_) {
    if (auto s = weak.lock()) out.push_back(std::move(s));
  }
  return out;
}

void LiveFeed::Publish(std::string message) {
  std::lock_guard publishing(publish_mutex_);
  auto shared = std::make_shared<const std::string>(std::move(message));
  std::vector<std::shared_ptr<LiveFeedSubscriber>> targets;
  {
    std::lock_guard lock(mutex_);
    if (stopped_) return;
    latest_ = shared;
    ++published_;
    targets = LiveSubscribers();
  }
  for (const auto& s : targets) s->Deliver(shared);
}

void LiveFeed::Notify() {
  {
    std::lock_guard lock(mutex_);
    if (stopped_ || !build_) return;
    notified_ = true;
  }
  wake_.notify_one();
}

void LiveFeed::BuildLoop() {
  using Clock = std::chrono::steady_clock;
  std::optional<Clock::time_point> last_build;
  std::unique_lock lock(mutex_);
  for (;;) {
    wake_.wait(lock, [&] { return stopped_ || notified_; });
    if (stopped_) return;
    if (last_build) {
      // Coalesce: whatever arrives until the interval is over goes into
      // the one message built then.
      const Clock::time_point due = *last_build + options_.min_interval;
      if (wake_.wait_until(lock, due, [&] { return stopped_; })) return;
    }
    notified_ = false;
    lock.unlock();
    last_build = Clock::now();
    std::string message;
    try {
      message = build_();
    } catch (const std::exception& e) {
      // A failed build skips this message; the next change tries again.
      log::Write(log::Level::kError, "live feed: building the message failed",
                 {{"error", e.what()}});
      lock.lock();
      continue;
    }
    Publish(std::move(message));
    lock.lock();
  }
}

void LiveFeed::Stop() {
  std::vector<std::shared_ptr<LiveFeedSubscriber>> targets;
  {
    std::lock_guard lock(mutex_);
    if (!stopped_) {
      stopped_ = true;
      targets = LiveSubscribers();
      subscribers_.clear();
      subscriber_ids_.clear();
      subscriber_clients_.clear();
    }
  }
  wake_.notify_all();
  if (builder_.joinable() && builder_.get_id() != std::this_thread::get_id()) builder_.join();
  for (const auto& s : targets) s->CloseFeed();
}

std::size_t LiveFeed::subscriber_count() const {
  std::lock_guard lock(mutex_);
  std::size_t live = 0;
  for (const auto& weak : subscribers_)
    if (!weak.expired()) ++live;
  return live;
}

std::uint64_t LiveFeed::published_count() const {
  std::lock_guard lock(mutex_);
  return published_;
}

}  // namespace fhirengine::rest

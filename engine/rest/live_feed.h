// The broadcaster behind GET /capacity/live (docs/capacity.md): holds the
// WebSocket sessions, sends every published message to all of them, hands a
// new session the latest message at once, and coalesces change
// notifications into at most one freshly built message per interval. It
// knows no Beast types: sessions are LiveFeedSubscribers (the WebSocket
// sessions in http_server.cc; plain objects in tests).
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace fhirengine::rest {

// One receiver of the feed. Implementations are thread-safe.
class LiveFeedSubscriber {
 public:
  virtual ~LiveFeedSubscriber() = default;
  // Queues `message` for sending; must not block (a subscriber whose queue
  // is full drops itself). Called from any thread, never under the feed's lock.
  virtual void Deliver(std::shared_ptr<const std::string> message) = 0;
  // The feed stops: close (politely) soon. Called from any thread.
  virtual void CloseFeed() = 0;
};

struct LiveFeedOptions {
  // Open sessions at most; one more is refused (closed with "try again later").
  std::size_t max_sessions = 256;
  // Open sessions from one client address at most, so that one client
  // cannot hold all max_sessions of this unauthenticated feed; one more
  // from that address is refused the same way. Clients behind one proxy or
  // NAT share an address and so this limit (docs/capacity.md).
  std::size_t max_sessions_per_client = 8;
  // Messages waiting to be written to one session; one more and that
  // session is dropped (a slow client never holds back the others).
  std::size_t max_queued_messages = 16;
  // Clients send nothing; a message from them larger than this closes them.
  std::size_t max_incoming_bytes = 4096;
  // Notify() builds at most one message per interval.
  std::chrono::milliseconds min_interval{250};
};

// Why Subscribe took a session or did not.
enum class SubscribeResult {
  kSubscribed,
  kStopped,         // the feed was stopped
  kAtSessionLimit,  // max_sessions are open
  kAtClientLimit,   // max_sessions_per_client are open from this client
};

// For logs: "subscribed", "feed stopped", "at the session limit", ...
std::string_view SubscribeResultText(SubscribeResult result);

class LiveFeed {
 public:
  // `build` makes the current message (the capacity summary); called on the
  // feed's own thread after Notify(), at most once per min_interval. Null:
  // only Publish() sends.
  explicit LiveFeed(LiveFeedOptions options = {}, std::function<std::string()> build = nullptr);
  // Stop()s.
  ~LiveFeed();
  LiveFeed(const LiveFeed&) = delete;
  LiveFeed& operator=(const LiveFeed&) = delete;

  // Adds `subscriber` (held weakly) from `client` (its address; empty: not
  // counted against max_sessions_per_client) and delivers the latest message
  // to it, ordered with Publish: it never gets an older message after a
  // newer one. Anything but kSubscribed leaves it out. Thread-safe.
  SubscribeResult Subscribe(const std::shared_ptr<LiveFeedSubscriber>& subscriber,
                            std::string_view client = {});
  // Removes it (idempotent; also safe from its destructor). Thread-safe.
  void Unsubscribe(const LiveFeedSubscriber* subscriber);

  // Sends `message` to every subscriber now and keeps it as the latest.
  // Thread-safe; does not block on any subscriber.
  void Publish(std::string message);
  // Something changed: a message is built and published as soon as
  // min_interval has passed since the last build. Cheap; thread-safe; many
  // calls in one interval give one message.
  void Notify();

  // Closes every subscriber and joins the builder thread; later Subscribe
  // calls fail and Publish/Notify do nothing. Idempotent; thread-safe.
  void Stop();

  const LiveFeedOptions& options() const { return options_; }
  std::size_t subscriber_count() const;
  // Messages published so far (by Publish or built after Notify).
  std::uint64_t published_count() const;

 private:
  void BuildLoop();
  std::vector<std::shared_ptr<LiveFeedSubscriber>> LiveSubscribers();

  const LiveFeedOptions options_;
  const std::function<std::string()> build_;

  // Held while one message goes out, so all subscribers see messages in the
  // same order; taken before mutex_, never the other way round.
  std::mutex publish_mutex_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::vector<std::weak_ptr<LiveFeedSubscriber>> subscribers_;
  std::vector<const LiveFeedSubscriber*> subscriber_ids_;  // parallel to subscribers_
  std::vector<std::string> subscriber_clients_;            // parallel to subscribers_
  std::shared_ptr<const std::string> latest_;
  std::uint64_t published_ = 0;
  bool notified_ = false;
  bool stopped_ = false;
  std::thread builder_;
};

}  // namespace fhirengine::rest

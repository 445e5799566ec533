// The live feed (GET /capacity/live) on a real HttpServer in-process, spoken
// to by Beast WebSocket clients over loopback: the latest message on
// connect, fan-out to many clients, a slow client dropped while the others
// go on, coalesced Notify, TLS, the session limits (overall and per client),
// the rate limit on upgrades, 426 without an upgrade, and "going away" at
// shutdown. The LiveFeed tests at the end use plain subscribers (its order
// and limits, without a server). Every wait has a deadline; nothing sleeps.
#include "engine/rest/live_feed.h"

#include <gtest/gtest.h>

#include <atomic>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <chrono>
#include <filesystem>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "engine/rest/http_server.h"
#include "tests/support/test_pki.h"

namespace fhirengine::rest {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace net = boost::asio;
namespace ssl = net::ssl;
using tcp = net::ip::tcp;
using Clock = std::chrono::steady_clock;

// Answers every plain HTTP request with 404 (only the feed matters here).
class NotFoundHandler final : public RequestHandler {
 public:
  void Handle(RestRequest, Responder responder) override {
    responder.reply(ProtocolError(404, ""));
  }
  RestResponse ProtocolError(int status, std::string_view message) const override {
    RestResponse r;
    r.status = status;
    r.content_type = "text/plain";
    r.body = std::string(message);
    return r;
  }
};

// Polls `condition` until it holds or `deadline` passes.
template <typename F>
bool WaitFor(F condition, std::chrono::milliseconds deadline = std::chrono::seconds(10)) {
  const auto until = Clock::now() + deadline;
  while (Clock::now() < until) {
    if (condition()) return true;
    std::this_thread::yield();
  }
  return condition();
}

// A blocking WebSocket client (a read that never completes is a failure,
// bounded by the ctest timeout set for these tests).
class FeedClient {
 public:
  explicit FeedClient(std::uint16_t port) : ws_(ioc_) {
    tcp::resolver resolver(ioc_);
    net::connect(beast::get_lowest_layer(ws_), resolver.resolve("127.0.0.1", std::to_string(port)));
    ws_.handshake("127.0.0.1:" + std::to_string(port), "/capacity/live");
  }
  // The next text message, or the error that ended the stream.
  std::string Read(beast::error_code& ec) {
    beast::flat_buffer buffer;
    ws_.read(buffer, ec);
    return beast::buffers_to_string(buffer.data());
  }
  std::string Read() {
    beast::error_code ec;
    std::string message = Read(ec);
    EXPECT_FALSE(ec) << ec.message();
    return message;
  }
  websocket::stream<tcp::socket>& ws() { return ws_; }

 private:
  net::io_context ioc_;
  websocket::stream<tcp::socket> ws_;
};

class LiveFeedTest : public ::testing::Test {
 protected:
  void Start(LiveFeedOptions feed_options = {}, HttpServerOptions options = {},
             std::function<std::string()> build = nullptr) {
    feed_ = std::make_unique<LiveFeed>(feed_options, std::move(build));
    Result<std::unique_ptr<HttpServer>> listening = HttpServer::Listen(options);
    ASSERT_TRUE(listening.ok()) << listening.status().ToString();
    server_ = std::move(listening).value();
    server_->AddLiveFeed("/capacity/live", *feed_);
    server_->Serve(handler_);
  }
  void TearDown() override {
    if (server_) server_->Shutdown(std::chrono::seconds(5));
    server_.reset();
    feed_.reset();
  }

  NotFoundHandler handler_;
  std::unique_ptr<LiveFeed> feed_;
  std::unique_ptr<HttpServer> server_;
};

TEST_F(LiveFeedTest, NewSessionGetsTheLatestMessageThenEachPublishedOne) {
  Start();
  feed_->Publish("first");
  feed_->Publish("latest");
  FeedClient client(server_->port());
  EXPECT_EQ(client.Read(), "latest");
  ASSERT_TRUE(WaitFor([&] { return feed_->subscriber_count() == 1; }));
  feed_->Publish("next");
  EXPECT_EQ(client.Read(), "next");
}

TEST_F(LiveFeedTest, ClientMessagesAreIgnoredAndOversizedOnesClose) {
  LiveFeedOptions options;
  options.max_incoming_bytes = 64;
  Start(options);
  feed_->Publish("hello");
  FeedClient client(server_->port());
  EXPECT_EQ(client.Read(), "hello");
  client.ws().write(net::buffer(std::string("ignored")));
  feed_->Publish("still here");
  EXPECT_EQ(client.Read(), "still here");
  client.ws().write(net::buffer(std::string(1000, 'x')));
  beast::error_code ec;
  client.Read(ec);
  EXPECT_TRUE(ec);
  EXPECT_TRUE(WaitFor([&] { return feed_->subscriber_count() == 0; }));
}

TEST_F(LiveFeedTest, EveryClientGetsEveryMessage) {
  constexpr int kClients = 25;
  LiveFeedOptions options;
  options.max_sessions_per_client = kClients;  // all of them come from 127.0.0.1
  Start(options);
  std::vector<std::unique_ptr<FeedClient>> clients;
  for (int i = 0; i < kClients; ++i)
    clients.push_back(std::make_unique<FeedClient>(server_->port()));
  ASSERT_TRUE(WaitFor([&] { return feed_->subscriber_count() == kClients; }));
  for (int m = 0; m < 3; ++m) feed_->Publish("message " + std::to_string(m));
  for (auto& c : clients) {
    EXPECT_EQ(c->Read(), "message 0");
    EXPECT_EQ(c->Read(), "message 1");
    EXPECT_EQ(c->Read(), "message 2");
  }
}

TEST_F(LiveFeedTest, SlowClientIsDroppedWhileOthersKeepReceiving) {
  LiveFeedOptions options;
  options.max_queued_messages = 2;
  Start(options);
  FeedClient slow(server_->port());  // never reads
  FeedClient fast(server_->port());
  ASSERT_TRUE(WaitFor([&] { return feed_->subscriber_count() == 2; }));
  const std::string big(1u << 20, 'x');
  int received = 0;
  // The slow client's socket buffers fill, its queue passes the limit and
  // it is cut off; the fast one reads every message meanwhile.
  for (int i = 0; i < 64 && feed_->subscriber_count() == 2; ++i) {
    feed_->Publish(big + std::to_string(i));
    EXPECT_EQ(fast.Read(), big + std::to_string(i));
    ++received;
  }
  EXPECT_TRUE(WaitFor([&] { return feed_->subscriber_count() == 1; }))
      << "the slow client was not dropped after " << received << " messages";
  feed_->Publish("after");
  EXPECT_EQ(fast.Read(), "after");
}

TEST_F(LiveFeedTest, RefusesSessionsBeyondTheLimit) {
  LiveFeedOptions options;
  options.max_sessions = 1;
  Start(options);
  FeedClient first(server_->port());
  ASSERT_TRUE(WaitFor([&] { return feed_->subscriber_count() == 1; }));
  FeedClient second(server_->port());
  beast::error_code ec;
  second.Read(ec);
  EXPECT_EQ(ec, websocket::error::closed);
  EXPECT_EQ(second.ws().reason().code, websocket::close_code::try_again_later);
  feed_->Publish("for the first");
  EXPECT_EQ(first.Read(), "for the first");
}

TEST_F(LiveFeedTest, PlainRequestOnTheFeedPathGets426) {
  Start();
  net::io_context ioc;
  beast::tcp_stream stream(ioc);
  tcp::resolver resolver(ioc);
  stream.connect(resolver.resolve("127.0.0.1", std::to_string(server_->port())));
  http::request<http::empty_body> req(http::verb::get, "/capacity/live", 11);
  req.set(http::field::host, "127.0.0.1");
  http::write(stream, req);
  beast::flat_buffer buffer;
  http::response<http::string_body> res;
  http::read(stream, buffer, res);
  EXPECT_EQ(res.result_int(), 426u);
  EXPECT_EQ(res[http::field::upgrade], "websocket");
}

TEST_F(LiveFeedTest, NotifyBuildsAtMostOneMessagePerInterval) {
  std::mutex mutex;
  std::vector<Clock::time_point> builds;
  std::atomic<int> value{0};
  LiveFeedOptions options;
  options.min_interval = std::chrono::milliseconds(250);
  Start(options, {}, [&] {
    std::lock_guard lock(mutex);
    builds.push_back(Clock::now());
    return "state " + std::to_string(value.load());
  });
  FeedClient client(server_->port());
  ASSERT_TRUE(WaitFor([&] { return feed_->subscriber_count() == 1; }));
  for (int i = 1; i <= 200; ++i) {
    value = i;
    feed_->Notify();
  }
  // The last state always arrives; what came before it may be skipped.
  std::string message;
  while ((message = client.Read()) != "state 200") {
    ASSERT_FALSE(message.empty());
  }
  std::lock_guard lock(mutex);
  ASSERT_GE(builds.size(), 1u);
  EXPECT_LE(builds.size(), 3u) << "200 notifications were not coalesced";
  for (std::size_t i = 1; i < builds.size(); ++i) {
    EXPECT_GE(builds[i] - builds[i - 1], std::chrono::milliseconds(250));
  }
}

TEST_F(LiveFeedTest, ShutdownClosesSessionsWithGoingAway) {
  Start();
  FeedClient client(server_->port());
  ASSERT_TRUE(WaitFor([&] { return feed_->subscriber_count() == 1; }));
  std::thread stopper([&] { server_->Shutdown(std::chrono::seconds(5)); });
  beast::error_code ec;
  client.Read(ec);
  stopper.join();
  EXPECT_EQ(ec, websocket::error::closed);
  EXPECT_EQ(client.ws().reason().code, websocket::close_code::going_away);
  EXPECT_EQ(server_->connection_count(), 0u);
}

TEST_F(LiveFeedTest, FeedStopClosesSessions) {
  Start();
  FeedClient client(server_->port());
  ASSERT_TRUE(WaitFor([&] { return feed_->subscriber_count() == 1; }));
  feed_->Stop();
  beast::error_code ec;
  client.Read(ec);
  EXPECT_EQ(ec, websocket::error::closed);
  EXPECT_EQ(client.ws().reason().code, websocket::close_code::going_away);
}

TEST_F(LiveFeedTest, ServesTheFeedOverTls) {
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("live-feed-tls-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  Result<testing::TestPki> pki = testing::MakeTestPki(dir.string());
  ASSERT_TRUE(pki.ok()) << pki.status().ToString();
  HttpServerOptions options;
  options.tls.cert_file = pki->server_cert;
  options.tls.key_file = pki->server_key;
  Start({}, options);
  feed_->Publish("over tls");

  net::io_context ioc;
  ssl::context ctx(ssl::context::tls_client);
  ctx.load_verify_file(pki->ca_cert);
  ctx.set_verify_mode(ssl::verify_peer);
  websocket::stream<beast::ssl_stream<tcp::socket>> ws(ioc, ctx);
  tcp::resolver resolver(ioc);
  net::connect(beast::get_lowest_layer(ws),
               resolver.resolve("127.0.0.1", std::to_string(server_->port())));
  ws.next_layer().set_verify_callback(ssl::host_name_verification("127.0.0.1"));
  ws.next_layer().handshake(ssl::stream_base::client);
  ws.handshake("127.0.0.1", "/capacity/live");
  beast::flat_buffer buffer;
  ws.read(buffer);
  EXPECT_EQ(beast::buffers_to_string(buffer.data()), "over tls");
  ws.close(websocket::close_code::normal);
  std::filesystem::remove_all(dir);
}

TEST_F(LiveFeedTest, RefusesSessionsBeyondThePerClientLimit) {
  LiveFeedOptions options;
  options.max_sessions_per_client = 2;
  Start(options);
  FeedClient first(server_->port());
  FeedClient second(server_->port());
  ASSERT_TRUE(WaitFor([&] { return feed_->subscriber_count() == 2; }));
  FeedClient third(server_->port());  // the same address: 127.0.0.1
  beast::error_code ec;
  third.Read(ec);
  EXPECT_EQ(ec, websocket::error::closed);
  EXPECT_EQ(third.ws().reason().code, websocket::close_code::try_again_later);
  EXPECT_EQ(third.ws().reason().reason, "too many sessions from this client");
  EXPECT_EQ(feed_->subscriber_count(), 2u);
  feed_->Publish("for the first two");
  EXPECT_EQ(first.Read(), "for the first two");
  EXPECT_EQ(second.Read(), "for the first two");
}

TEST_F(LiveFeedTest, UpgradesCountAgainstTheRateLimit) {
  HttpServerOptions server_options;
  server_options.max_requests_per_second_per_client = 1;
  Start({}, server_options);
  // Far more upgrades than one second's worth: the limiter refuses some
  // before they become sessions.
  int refused = 0;
  net::io_context ioc;  // declared first: outlives the streams
  tcp::resolver resolver(ioc);
  std::vector<std::unique_ptr<websocket::stream<tcp::socket>>> open;
  for (int i = 0; i < 6; ++i) {
    auto ws = std::make_unique<websocket::stream<tcp::socket>>(ioc);
    net::connect(beast::get_lowest_layer(*ws),
                 resolver.resolve("127.0.0.1", std::to_string(server_->port())));
    websocket::response_type res;
    beast::error_code ec;
    ws->handshake(res, "127.0.0.1", "/capacity/live", ec);
    if (ec) {
      EXPECT_EQ(ec, websocket::error::upgrade_declined);
      EXPECT_EQ(res.result_int(), 429u);
      EXPECT_EQ(res[http::field::retry_after], "1");
      ++refused;
    } else {
      open.push_back(std::move(ws));
    }
  }
  EXPECT_GE(refused, 1) << "six upgrades at once passed a limit of one a second";
}

TEST_F(LiveFeedTest, UpgradeAfterTheFeedStoppedIsClosedAsStoppedNotAsFull) {
  Start();
  feed_->Stop();
  FeedClient client(server_->port());
  beast::error_code ec;
  client.Read(ec);
  EXPECT_EQ(ec, websocket::error::closed);
  EXPECT_EQ(client.ws().reason().code, websocket::close_code::going_away);
  EXPECT_EQ(client.ws().reason().reason, "the feed is stopped");
}

// ---- the feed alone, with plain subscribers ----------------------------------------

// Records what it is given; `on_first` runs inside the first Deliver, before
// that message is recorded.
class RecordingSubscriber final : public LiveFeedSubscriber {
 public:
  void Deliver(std::shared_ptr<const std::string> message) override {
    std::function<void()> first;
    {
      std::lock_guard lock(mutex_);
      if (on_first_) first = std::exchange(on_first_, nullptr);
    }
    if (first) first();
    std::lock_guard lock(mutex_);
    received_.push_back(*message);
  }
  void CloseFeed() override {}
  void OnFirst(std::function<void()> f) {
    std::lock_guard lock(mutex_);
    on_first_ = std::move(f);
  }
  std::vector<std::string> received() const {
    std::lock_guard lock(mutex_);
    return received_;
  }

 private:
  mutable std::mutex mutex_;
  std::function<void()> on_first_;
  std::vector<std::string> received_;
};

TEST(LiveFeedAlone, SubscribeNeverDeliversAnOlderMessageAfterANewerOne) {
  LiveFeed feed;
  feed.Publish("older");
  auto subscriber = std::make_shared<RecordingSubscriber>();
  std::future<void> publishing;
  // While Subscribe hands over "older", a Publish of "newer" starts: it
  // must wait for that delivery instead of overtaking it. The bounded wait
  // gives an overtaking Publish the time to do so.
  subscriber->OnFirst([&] {
    publishing = std::async(std::launch::async, [&] { feed.Publish("newer"); });
    publishing.wait_for(std::chrono::milliseconds(300));
  });
  ASSERT_EQ(feed.Subscribe(subscriber), SubscribeResult::kSubscribed);
  publishing.wait();
  EXPECT_EQ(subscriber->received(), (std::vector<std::string>{"older", "newer"}));
}

TEST(LiveFeedAlone, LimitsSessionsPerClientAndSaysWhyItRefuses) {
  LiveFeedOptions options;
  options.max_sessions = 3;
  options.max_sessions_per_client = 2;
  LiveFeed feed(options);
  std::vector<std::shared_ptr<RecordingSubscriber>> held;
  auto subscribe = [&](std::string_view client) {
    held.push_back(std::make_shared<RecordingSubscriber>());
    return feed.Subscribe(held.back(), client);
  };
  EXPECT_EQ(subscribe("192.0.2.1"), SubscribeResult::kSubscribed);
  EXPECT_EQ(subscribe("192.0.2.1"), SubscribeResult::kSubscribed);
  EXPECT_EQ(subscribe("192.0.2.1"), SubscribeResult::kAtClientLimit);
  EXPECT_EQ(subscribe("192.0.2.2"), SubscribeResult::kSubscribed);
  EXPECT_EQ(subscribe("192.0.2.3"), SubscribeResult::kAtSessionLimit);
  // A session that ends frees its client's place.
  feed.Unsubscribe(held[0].get());
  EXPECT_EQ(subscribe("192.0.2.1"), SubscribeResult::kSubscribed);
  feed.Stop();
  EXPECT_EQ(subscribe("192.0.2.4"), SubscribeResult::kStopped);
  EXPECT_EQ(SubscribeResultText(SubscribeResult::kStopped), "the feed is stopped");
}

}  // namespace
}  // namespace fhirengine::rest

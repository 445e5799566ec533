// The Beast server, after Beast's advanced server example: an acceptor on
// its own strand, a Session per connection on its own strand, the classic
// async_* chain with a deadline on every read and write (tcp_stream
// timeouts). A Session's life: idle (waiting for a first byte, idle
// timeout) -> reading (header, optional 100 Continue, body; one deadline for
// the whole request) -> handling (no deadline: the handler answers, maybe
// from the store's writer via Responder::resume) -> writing -> idle again,
// or closing (send side shut, the rest of the input discarded briefly so the
// client reads our last response instead of a TCP reset). With TLS the
// Session is the same template over beast::ssl_stream (Beast's
// advanced_server_flex): a handshake with the request deadline comes first,
// and closing sends close_notify instead of shutting the TCP send side.
// A GET with Upgrade: websocket on a live feed's path moves the stream into
// a FeedSession (Beast's websocket chat-multi): it only writes the feed's
// messages, through a bounded queue, and reads just to answer pings and
// closes.
#include "engine/rest/http_server.h"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <array>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <fstream>
#include <future>
#include <mutex>
#include <optional>
#include <thread>
#include <type_traits>
#include <unordered_map>
#include <vector>

#include "engine/core/log.h"
#include "engine/core/time_format.h"
#include "engine/rest/rate_limiter.h"

namespace fhirengine::rest {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace net = boost::asio;
namespace ssl = net::ssl;
using tcp = net::ip::tcp;
using PlainStream = beast::tcp_stream;
using TlsStream = beast::ssl_stream<beast::tcp_stream>;
using Clock = std::chrono::steady_clock;

// After a Connection: close response: how long and how much of the client's
// remaining input is read and dropped before the socket closes.
constexpr std::chrono::milliseconds kLingerTime{2000};
constexpr std::size_t kMaxLingerBytes = 64u << 20;
// The part of a path written to the access log.
constexpr std::size_t kMaxLoggedPath = 256;
// Pause before accepting again after an accept error (EMFILE: out of fds).
constexpr std::chrono::milliseconds kAcceptRetry{100};

bool IsHttpError(const beast::error_code& ec) {
  return ec.category() == http::make_error_code(http::error::bad_target).category();
}

// The values of header `name`, joined with ", " (RFC 9110 5.3).
std::string Joined(const http::request<http::string_body>& req, std::string_view name) {
  std::string out;
  auto range = req.equal_range(beast::string_view(name.data(), name.size()));
  for (auto it = range.first; it != range.second; ++it) {
    if (!out.empty()) out += ", ";
    out += std::string_view(it->value().data(), it->value().size());
  }
  return out;
}

// What the server needs of a connection, whatever its stream.
class SessionBase {
 public:
  virtual ~SessionBase() = default;
  virtual void Start() = 0;
  // Thread-safe: the work runs on the session's strand.
  virtual void BeginShutdown() = 0;
  virtual void ForceClose() = 0;
};

// Everything the server and its sessions share.
struct ServerState {
  explicit ServerState(const HttpServerOptions& o)
      : options(o), limiter(o.max_requests_per_second_per_client) {}

  void DoAccept();
  void OnAccept(beast::error_code ec, tcp::socket socket);
  void Unregister(std::uint64_t id);
  std::vector<std::shared_ptr<SessionBase>> LiveSessions();
  void Shutdown(std::chrono::milliseconds grace);

  const HttpServerOptions options;
  RateLimiter limiter;
  RequestHandler* handler = nullptr;  // set by Serve
  // path -> feed; set before Serve, read-only afterwards.
  std::vector<std::pair<std::string, LiveFeed*>> feeds;
  std::optional<ssl::context> tls;  // set by Listen when TLS is configured

  // Declared before the io_context: sessions destroyed with its queued
  // handlers still unregister here.
  mutable std::mutex mutex;
  std::condition_variable sessions_changed;
  std::unordered_map<std::uint64_t, std::weak_ptr<SessionBase>> sessions;
  std::uint64_t next_session_id = 0;
  bool shutdown_started = false;
  bool shutdown_done = false;

  net::io_context ioc;
  std::optional<net::executor_work_guard<net::io_context::executor_type>> work;
  tcp::acceptor acceptor{net::make_strand(ioc)};
  std::optional<net::steady_timer> accept_retry;
  std::vector<std::thread> threads;
  std::uint16_t port = 0;
};

}  // namespace

struct HttpServer::Impl : ServerState {
  using ServerState::ServerState;
};

namespace {

// A WebSocket session of a live feed. Lives on the strand of the connection
// it came from; every member is touched only there.
template <typename Stream>
class FeedSession final : public SessionBase,
                          public LiveFeedSubscriber,
                          public std::enable_shared_from_this<FeedSession<Stream>> {
 public:
  FeedSession(ServerState& server, std::uint64_t id, Stream&& stream, LiveFeed& feed,
              std::string client)
      : server_(server), id_(id), ws_(std::move(stream)), feed_(feed), client_(std::move(client)) {}
  ~FeedSession() override {
    feed_.Unsubscribe(this);
    server_.Unregister(id_);
  }
  FeedSession(const FeedSession&) = delete;
  FeedSession& operator=(const FeedSession&) = delete;

  // Answers the upgrade `request`. REQUIRES: on the session's strand, once.
  void Accept(http::request<http::string_body> request) {
    request_ = std::move(request);
    // The websocket stream keeps its own deadlines (below), not tcp_stream's.
    beast::get_lowest_layer(ws_).expires_never();
    websocket::stream_base::timeout timeout{};
    timeout.handshake_timeout = server_.options.request_timeout;
    timeout.idle_timeout = server_.options.idle_timeout;
    timeout.keep_alive_pings = true;  // a ping at half the idle time; no answer: closed
    ws_.set_option(timeout);
    ws_.read_message_max(feed_.options().max_incoming_bytes);
    ws_.set_option(websocket::stream_base::decorator(
        [name = server_.options.server_name](websocket::response_type& res) {
          res.set(http::field::server, name);
        }));
    ws_.async_accept(request_,
                     beast::bind_front_handler(&FeedSession::OnAccept, this->shared_from_this()));
  }

  void Start() override {}
  void BeginShutdown() override {
    net::post(ws_.get_executor(), [self = this->shared_from_this()] {
      self->shutting_down_ = true;
      self->Close(websocket::close_code::going_away);
    });
  }
  void ForceClose() override {
    net::post(ws_.get_executor(), [self = this->shared_from_this()] { self->CloseNow(); });
  }

  void Deliver(std::shared_ptr<const std::string> message) override {
    net::post(ws_.get_executor(),
              [self = this->shared_from_this(), m = std::move(message)] { self->Enqueue(m); });
  }
  void CloseFeed() override {
    net::post(ws_.get_executor(), [self = this->shared_from_this()] {
      self->Close(websocket::close_code::going_away);
    });
  }

 private:
  enum class State { kHandshake, kOpen, kClosing, kClosed };

  // The client's address stays out of these logs, as out of the access
  // log: the connection id ties the lines of one session together.
  void OnAccept(beast::error_code ec) {
    if (state_ == State::kClosed) return;
    if (ec) {
      log::Write(log::Level::kInfo, "live feed: WebSocket handshake failed",
                 {{"conn", id_}, {"error", ec.message()}});
      return CloseNow();
    }
    state_ = State::kOpen;
    if (shutting_down_) return Close(websocket::close_code::going_away);
    const SubscribeResult subscribed = feed_.Subscribe(this->shared_from_this(), client_);
    switch (subscribed) {
      case SubscribeResult::kSubscribed:
        break;
      case SubscribeResult::kStopped:
        log::Write(log::Level::kInfo, "live feed: session refused (the feed is stopped)",
                   {{"conn", id_}});
        return Close(websocket::close_code::going_away, "the feed is stopped");
      case SubscribeResult::kAtSessionLimit:
        log::Write(log::Level::kWarning, "live feed: session refused (at the session limit)",
                   {{"conn", id_}, {"max_sessions", feed_.options().max_sessions}});
        return Close(websocket::close_code::try_again_later, "too many sessions");
      case SubscribeResult::kAtClientLimit:
        log::Write(
            log::Level::kWarning, "live feed: session refused (at the per-client session limit)",
            {{"conn", id_}, {"max_sessions_per_client", feed_.options().max_sessions_per_client}});
        return Close(websocket::close_code::try_again_later, "too many sessions from this client");
    }
    log::Write(log::Level::kInfo, "live feed: session opened", {{"conn", id_}});
    DoRead();
  }

  // Clients send nothing of use; reading keeps pings, pongs and close
  // frames flowing and enforces the incoming size limit.
  void DoRead() {
    ws_.async_read(incoming_,
                   beast::bind_front_handler(&FeedSession::OnRead, this->shared_from_this()));
  }

  void OnRead(beast::error_code ec, std::size_t) {
    if (state_ == State::kClosed) return;
    if (ec) {
      if (ec != websocket::error::closed && ec != net::error::operation_aborted) {
        log::Write(log::Level::kInfo, "live feed: session ended",
                   {{"conn", id_}, {"reason", ec.message()}});
      }
      return CloseNow();
    }
    incoming_.consume(incoming_.size());
    DoRead();
  }

  void Enqueue(std::shared_ptr<const std::string> message) {
    if (state_ != State::kOpen) return;
    if (queue_.size() >= feed_.options().max_queued_messages) {
      log::Write(log::Level::kWarning, "live feed: slow client dropped (send queue full)",
                 {{"conn", id_}, {"max_queued_messages", feed_.options().max_queued_messages}});
      return CloseNow();
    }
    queue_.push_back(std::move(message));
    if (!writing_) DoWrite();
  }

  void DoWrite() {
    writing_ = true;
    ws_.text(true);
    ws_.async_write(net::buffer(*queue_.front()),
                    beast::bind_front_handler(&FeedSession::OnWrite, this->shared_from_this()));
  }

  void OnWrite(beast::error_code ec, std::size_t) {
    writing_ = false;
    if (state_ == State::kClosed) return;
    if (ec) return CloseNow();
    queue_.pop_front();
    if (state_ == State::kClosing) {
      if (queue_.empty() && close_code_) StartClose();
      return;
    }
    if (!queue_.empty()) DoWrite();
  }

  // A polite close: what is being written finishes, then a close frame.
  void Close(websocket::close_code code, std::string_view why = {}) {
    if (state_ == State::kClosed || state_ == State::kClosing) return;
    if (state_ == State::kHandshake) return CloseNow();
    state_ = State::kClosing;
    queue_.resize(writing_ ? 1 : 0);  // drop what has not started
    close_code_ = code;
    close_why_ = std::string(why);
    if (!writing_) StartClose();
  }

  void StartClose() {
    const websocket::close_reason reason(*close_code_, close_why_);
    close_code_.reset();
    ws_.async_close(reason,
                    [self = this->shared_from_this()](beast::error_code) { self->CloseNow(); });
  }

  void CloseNow() {
    if (state_ == State::kClosed) return;
    state_ = State::kClosed;
    queue_.clear();
    beast::error_code ignored;
    beast::get_lowest_layer(ws_).socket().shutdown(tcp::socket::shutdown_both, ignored);
    beast::get_lowest_layer(ws_).close();
  }

  ServerState& server_;
  const std::uint64_t id_;
  websocket::stream<Stream> ws_;
  LiveFeed& feed_;
  const std::string client_;  // the peer's address: the per-client session limit, never logged
  http::request<http::string_body> request_;
  beast::flat_buffer incoming_;
  std::deque<std::shared_ptr<const std::string>> queue_;
  std::optional<websocket::close_code> close_code_;
  std::string close_why_;  // the close frame's reason text (ASCII, short)
  State state_ = State::kHandshake;
  bool writing_ = false;
  bool shutting_down_ = false;
};

// Stream: PlainStream (HTTP) or TlsStream (HTTPS).
template <typename Stream>
class Session final : public SessionBase, public std::enable_shared_from_this<Session<Stream>> {
 public:
  static constexpr bool kTls = std::is_same_v<Stream, TlsStream>;

  // `tls_args`: the ssl::context for a TlsStream, nothing for a PlainStream.
  template <typename... TlsArgs>
  Session(ServerState& server, std::uint64_t id, tcp::socket&& socket, TlsArgs&... tls_args)
      : server_(server), id_(id), stream_(std::move(socket), tls_args...) {
    beast::error_code ec;
    const tcp::endpoint peer = Tcp().socket().remote_endpoint(ec);
    if (!ec) client_ = peer.address().to_string();
  }
  ~Session() override { server_.Unregister(id_); }
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  void Start() override {
    net::dispatch(stream_.get_executor(),
                  beast::bind_front_handler(&Session::Begin, this->shared_from_this()));
  }
  void BeginShutdown() override {
    net::post(stream_.get_executor(), [self = this->shared_from_this()] { self->OnShutdown(); });
  }
  void ForceClose() override {
    net::post(stream_.get_executor(), [self = this->shared_from_this()] {
      self->Warn("connection cut off at shutdown");
      self->CloseNow();
    });
  }

 private:
  enum class State { kHandshake, kIdle, kReading, kHandling, kWriting, kClosing, kClosed };

  beast::tcp_stream& Tcp() { return beast::get_lowest_layer(stream_); }

  void Begin() {
    if constexpr (kTls) {
      state_ = State::kHandshake;
      if (shutting_down_) return CloseNow();
      Tcp().expires_after(options().request_timeout);
      stream_.async_handshake(
          ssl::stream_base::server,
          beast::bind_front_handler(&Session::OnHandshake, this->shared_from_this()));
    } else {
      WaitForRequest();
    }
  }

  void OnHandshake(beast::error_code ec) {
    if (state_ == State::kClosed) return;
    if (ec) {
      // Scanners, plain HTTP on the HTTPS port, untrusted client
      // certificates: common and harmless, so info, and only OpenSSL's reason.
      // The connection id, not the client's address: no personal data in logs.
      log::Write(
          log::Level::kInfo, "TLS handshake failed",
          {{"conn", id_}, {"error", ec == beast::error::timeout ? "timed out" : ec.message()}});
      return CloseNow();
    }
    WaitForRequest();
  }

  const HttpServerOptions& options() const { return server_.options; }

  void WaitForRequest() {
    if (state_ == State::kClosed) return;
    if (shutting_down_) return CloseNow();
    parser_.reset();
    method_.clear();
    path_.clear();
    if (buffer_.size() > 0) return ReadHeader();  // a pipelined request is waiting
    state_ = State::kIdle;
    Tcp().expires_after(options().idle_timeout);
    stream_.async_read_some(
        buffer_.prepare(4096),
        beast::bind_front_handler(&Session::OnIdleData, this->shared_from_this()));
  }

  void OnIdleData(beast::error_code ec, std::size_t n) {
    if (state_ == State::kClosed) return;
    if (ec) return CloseNow();  // idle timeout, the client left, or shutdown
    buffer_.commit(n);
    ReadHeader();
  }

  void ReadHeader() {
    state_ = State::kReading;
    started_ = Clock::now();
    parser_.emplace();
    parser_->header_limit(
        static_cast<std::uint32_t>(std::min<std::size_t>(options().max_header_bytes, UINT32_MAX)));
    parser_->body_limit(static_cast<std::uint64_t>(options().max_body_bytes));
    // One deadline for the whole request: a client that trickles bytes is
    // cut off when it passes, whatever it has sent by then.
    Tcp().expires_after(options().request_timeout);
    http::async_read_header(
        stream_, buffer_, *parser_,
        beast::bind_front_handler(&Session::OnHeader, this->shared_from_this()));
  }

  void OnHeader(beast::error_code ec, std::size_t) {
    if (state_ == State::kClosed) return;
    if (ec) return OnReadError(ec);
    const auto& req = parser_->get();
    method_ = std::string(req.method_string());
    std::string_view target(req.target().data(), req.target().size());
    path_ = std::string(target.substr(0, std::min(target.find('?'), kMaxLoggedPath)));
    for (const auto& [feed_path, feed] : server_.feeds) {
      if (path_ != feed_path) continue;
      if (parser_->is_done() && websocket::is_upgrade(req)) {
        // An upgrade is a request like any other for the rate limit (and,
        // as there, answered without a warning: a flood must not flood the log).
        if (server_.limiter.enabled() && !server_.limiter.Allow(client_, Clock::now())) {
          state_ = State::kHandling;
          keep_alive_ = false;
          head_ = false;
          RestResponse limited = server_.handler->ProtocolError(
              429, "too many requests from this client; at most " +
                       std::to_string(options().max_requests_per_second_per_client) + " a second");
          limited.AddHeader("Retry-After", "1");
          return Send(std::move(limited));
        }
        return Upgrade(*feed);
      }
      Refuse(426, path_ + " is a WebSocket: send GET with Upgrade: websocket");
      return;
    }
    if (parser_->is_done()) return Dispatch();
    if (beast::iequals(req[http::field::expect], "100-continue")) {
      continue_.emplace(http::status::continue_, req.version());
      http::async_write(
          stream_, *continue_,
          beast::bind_front_handler(&Session::OnContinueSent, this->shared_from_this()));
      return;
    }
    ReadBody();
  }

  // Hands the connection to a FeedSession; this Session ends here.
  void Upgrade(LiveFeed& feed) {
    std::shared_ptr<FeedSession<Stream>> feed_session;
    {
      std::lock_guard lock(server_.mutex);
      if (!server_.shutdown_started) {
        const std::uint64_t id = ++server_.next_session_id;
        feed_session =
            std::make_shared<FeedSession<Stream>>(server_, id, std::move(stream_), feed, client_);
        server_.sessions.emplace(id, feed_session);
      }
    }
    if (!feed_session) return CloseNow();
    state_ = State::kClosed;  // the stream has moved: nothing here may touch it
    feed_session->Accept(parser_->release());
  }

  void OnContinueSent(beast::error_code ec, std::size_t) {
    if (state_ == State::kClosed) return;
    if (ec) return CloseNow();
    ReadBody();
  }

  void ReadBody() {
    http::async_read(stream_, buffer_, *parser_,
                     beast::bind_front_handler(&Session::OnBody, this->shared_from_this()));
  }

  void OnBody(beast::error_code ec, std::size_t) {
    if (state_ == State::kClosed) return;
    if (ec) return OnReadError(ec);
    Dispatch();
  }

  void OnReadError(beast::error_code ec) {
    if (ec == http::error::body_limit) {
      return Refuse(413, "the request body exceeds the limit of " +
                             std::to_string(options().max_body_bytes) + " bytes");
    }
    if (ec == http::error::header_limit) {
      return Refuse(431, "the request header exceeds the limit of " +
                             std::to_string(options().max_header_bytes) + " bytes");
    }
    if (ec == beast::error::timeout) {
      Warn("slow client cut off: request not complete within the request timeout");
      return CloseNow();
    }
    if (IsHttpError(ec) && ec != http::error::end_of_stream && ec != http::error::partial_message) {
      return Refuse(400, "malformed HTTP request: " + ec.message());
    }
    CloseNow();  // the client went away
  }

  void Dispatch() {
    state_ = State::kHandling;
    Tcp().expires_never();
    http::request<http::string_body>& req = parser_->get();
    keep_alive_ = req.keep_alive();
    head_ = req.method() == http::verb::head;
    version_ = req.version();
    RestRequest request;
    request.method = method_;
    request.target = std::string(req.target());
    request.accept = Joined(req, "Accept");
    request.content_type = Joined(req, "Content-Type");
    request.if_match = Joined(req, "If-Match");
    request.if_none_match = Joined(req, "If-None-Match");
    request.if_modified_since = Joined(req, "If-Modified-Since");
    request.if_none_exist = Joined(req, "If-None-Exist");
    request.prefer = Joined(req, "Prefer");
    request.authorization = Joined(req, "Authorization");
    request.remote_address = client_;
    request.body = std::move(req.body());
    parser_.reset();
    if (server_.limiter.enabled() && !server_.limiter.Allow(client_, Clock::now())) {
      // The request was read whole, so the connection stays usable.
      RestResponse limited = server_.handler->ProtocolError(
          429, "too many requests from this client; at most " +
                   std::to_string(options().max_requests_per_second_per_client) + " a second");
      limited.AddHeader("Retry-After", "1");
      return Send(std::move(limited));
    }
    auto self = this->shared_from_this();
    Responder responder{[self](std::function<void()> work) {
                          net::post(self->stream_.get_executor(), std::move(work));
                        },
                        [self](RestResponse response) {
                          net::dispatch(self->stream_.get_executor(),
                                        [self, response = std::move(response)]() mutable {
                                          self->Send(std::move(response));
                                        });
                        }};
    try {
      server_.handler->Handle(std::move(request), std::move(responder));
    } catch (const std::exception& e) {
      // Exceptions stop here: this request fails, the server goes on.
      log::Write(log::Level::kError, "handler failed",
                 {{"conn", id_}, {"path", path_}, {"error", e.what()}});
      if (state_ == State::kHandling) {
        Send(server_.handler->ProtocolError(500, "internal error while handling the request"));
      }
    }
  }

  void Send(RestResponse r) {
    if (state_ == State::kClosed) return;  // cut off while the handler worked
    FE_CHECK(state_ == State::kHandling);  // one response per request
    state_ = State::kWriting;
    status_ = r.status;
    response_ = {};
    response_.version(version_);
    response_.result(static_cast<unsigned>(r.status));
    response_.set(http::field::server, options().server_name);
    response_.set(http::field::date, FormatHttpDate(NowUnixMs()));
    for (auto& [name, value] : r.headers) response_.insert(name, value);
    if (!r.content_type.empty()) response_.set(http::field::content_type, r.content_type);
    response_.keep_alive(keep_alive_ && !shutting_down_);
    const bool bodiless = r.status / 100 == 1 || r.status == 204 || r.status == 304;
    if (bodiless) {
      response_.body().clear();
    } else if (head_) {
      response_.content_length(r.body.size());  // what GET would send, without it
    } else {
      response_.body() = std::move(r.body);
      response_.prepare_payload();
    }
    Tcp().expires_after(options().request_timeout);
    http::async_write(stream_, response_,
                      beast::bind_front_handler(&Session::OnWritten, this->shared_from_this()));
  }

  void OnWritten(beast::error_code ec, std::size_t bytes) {
    const double ms = std::chrono::duration<double, std::milli>(Clock::now() - started_).count();
    log::WriteBuffered(
        log::Level::kInfo, "request",
        {{"conn", id_},
         {"method", method_.empty() ? std::string_view("-") : std::string_view(method_)},
         {"path", path_.empty() ? std::string_view("-") : std::string_view(path_)},
         {"status", status_},
         {"bytes", bytes},
         {"duration_ms", ms}});
    if (state_ == State::kClosed) return;
    if (ec) return CloseNow();
    if (!response_.keep_alive()) return Linger();
    response_ = {};
    WaitForRequest();
  }

  // Answers a request that was not read completely, then closes.
  void Refuse(int status, std::string message) {
    Warn(message);
    state_ = State::kHandling;
    keep_alive_ = false;
    head_ = false;
    RestResponse response = server_.handler->ProtocolError(status, message);
    if (status == 426) response.AddHeader("Upgrade", "websocket");
    Send(std::move(response));
  }

  void Linger() {
    state_ = State::kClosing;
    if constexpr (kTls) {
      // close_notify, then wait (briefly) for the client's or its close.
      Tcp().expires_after(std::min(kLingerTime, options().request_timeout));
      stream_.async_shutdown(
          [self = this->shared_from_this()](beast::error_code) { self->CloseNow(); });
      return;
    }
    beast::error_code ignored;
    Tcp().socket().shutdown(tcp::socket::shutdown_send, ignored);
    Tcp().expires_after(std::min(kLingerTime, options().request_timeout));
    lingered_ = 0;
    stream_.async_read_some(
        net::buffer(discard_),
        beast::bind_front_handler(&Session::OnLinger, this->shared_from_this()));
  }

  void OnLinger(beast::error_code ec, std::size_t n) {
    if (state_ == State::kClosed) return;
    lingered_ += n;
    if (ec || lingered_ > kMaxLingerBytes) return CloseNow();
    stream_.async_read_some(
        net::buffer(discard_),
        beast::bind_front_handler(&Session::OnLinger, this->shared_from_this()));
  }

  void OnShutdown() {
    shutting_down_ = true;
    if (state_ == State::kIdle || state_ == State::kHandshake) CloseNow();
    // Otherwise the request in flight finishes; its response closes.
  }

  void CloseNow() {
    if (state_ == State::kClosed) return;
    state_ = State::kClosed;
    beast::error_code ignored;
    Tcp().socket().shutdown(tcp::socket::shutdown_both, ignored);
    Tcp().close();
  }

  void Warn(std::string_view what) {
    log::Write(log::Level::kWarning, what,
               {{"conn", id_}, {"path", path_.empty() ? std::string_view("-") : path_}});
  }

  ServerState& server_;
  const std::uint64_t id_;
  Stream stream_;
  std::string client_;  // the peer's address, for the per-client rate limit
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::optional<http::response<http::empty_body>> continue_;
  http::response<http::string_body> response_;
  std::array<char, 16384> discard_{};
  State state_ = State::kHandshake;
  bool shutting_down_ = false;
  bool keep_alive_ = false;
  bool head_ = false;
  unsigned version_ = 11;
  int status_ = 0;
  std::size_t lingered_ = 0;
  Clock::time_point started_ = Clock::now();
  std::string method_;
  std::string path_;
};

}  // namespace

void ServerState::DoAccept() {
  acceptor.async_accept(net::make_strand(ioc), [this](beast::error_code ec, tcp::socket socket) {
    OnAccept(ec, std::move(socket));
  });
}

void ServerState::OnAccept(beast::error_code ec, tcp::socket socket) {
  if (ec == net::error::operation_aborted || !acceptor.is_open()) return;
  if (ec) {
    log::Write(log::Level::kWarning, "accept failed", {{"error", ec.message()}});
    accept_retry.emplace(acceptor.get_executor(), kAcceptRetry);
    accept_retry->async_wait([this](beast::error_code wait_ec) {
      if (!wait_ec && acceptor.is_open()) DoAccept();
    });
    return;
  }
  std::shared_ptr<SessionBase> session;
  {
    std::lock_guard lock(mutex);
    if (!shutdown_started && sessions.size() < options.max_connections) {
      const std::uint64_t id = ++next_session_id;
      if (tls) {
        session = std::make_shared<Session<TlsStream>>(*this, id, std::move(socket), *tls);
      } else {
        session = std::make_shared<Session<PlainStream>>(*this, id, std::move(socket));
      }
      sessions.emplace(id, session);
    }
  }
  if (session) {
    session->Start();
  } else {
    // Over the cap: a short answer, written without waiting, then close.
    static constexpr std::string_view kBusy =
        "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nRetry-After: 1\r\n"
        "Connection: close\r\n\r\n";
    beast::error_code ignored;
    socket.non_blocking(true, ignored);
    socket.write_some(net::buffer(kBusy.data(), kBusy.size()), ignored);
    socket.shutdown(tcp::socket::shutdown_both, ignored);
    socket.close(ignored);
    log::Write(log::Level::kWarning, "connection refused: at the connection limit",
               {{"max_connections", options.max_connections}});
  }
  DoAccept();
}

void ServerState::Unregister(std::uint64_t id) {
  std::lock_guard lock(mutex);
  sessions.erase(id);
  sessions_changed.notify_all();
}

std::vector<std::shared_ptr<SessionBase>> ServerState::LiveSessions() {
  std::lock_guard lock(mutex);
  std::vector<std::shared_ptr<SessionBase>> out;
  for (auto& [id, weak] : sessions) {
    if (auto s = weak.lock()) out.push_back(std::move(s));
  }
  return out;
}

void ServerState::Shutdown(std::chrono::milliseconds grace) {
  {
    std::unique_lock lock(mutex);
    if (shutdown_started) {
      sessions_changed.wait(lock, [&] { return shutdown_done; });
      return;
    }
    shutdown_started = true;
    if (threads.empty()) {  // never served: nothing runs, nothing to wait for
      beast::error_code ignored;
      acceptor.close(ignored);
      shutdown_done = true;
      return;
    }
  }
  std::promise<void> closed;
  net::post(acceptor.get_executor(), [&] {
    beast::error_code ignored;
    acceptor.close(ignored);
    if (accept_retry) accept_retry->cancel();
    closed.set_value();
  });
  closed.get_future().wait();
  {
    std::vector<std::shared_ptr<SessionBase>> live = LiveSessions();
    log::Write(log::Level::kInfo, "stopped accepting", {{"connections", live.size()}});
    for (const auto& s : live) s->BeginShutdown();
  }
  bool drained = false;
  {
    std::unique_lock lock(mutex);
    drained = sessions_changed.wait_for(lock, grace, [&] { return sessions.empty(); });
  }
  if (!drained) {
    std::vector<std::shared_ptr<SessionBase>> live = LiveSessions();
    log::Write(log::Level::kWarning, "grace period over: cutting off connections",
               {{"connections", live.size()}});
    for (const auto& s : live) s->ForceClose();
    live.clear();
    std::unique_lock lock(mutex);
    drained =
        sessions_changed.wait_for(lock, std::chrono::seconds(1), [&] { return sessions.empty(); });
  }
  work.reset();
  // What is still queued (a session kept alive by a store callback that has
  // not come back) is not run: stop, and destroy it with the io_context.
  if (!drained) ioc.stop();
  for (std::thread& t : threads) t.join();
  threads.clear();
  {
    std::lock_guard lock(mutex);
    shutdown_done = true;
  }
  sessions_changed.notify_all();
}

namespace {

Status CheckReadable(const std::string& what, const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return IoError(what + " '" + path + "': cannot read: " + std::strerror(errno));
  return Status::Ok();
}

// The server's TLS context: TLS 1.2 or later with OpenSSL's default cipher
// lists, the certificate and its key, and optionally client verification.
Status LoadServerTls(const TlsServerOptions& t, std::optional<ssl::context>& out) {
  if (t.key_file.empty()) return InvalidArgument("TLS: a certificate needs its key file");
  FE_RETURN_IF_ERROR(CheckReadable("TLS certificate file", t.cert_file));
  FE_RETURN_IF_ERROR(CheckReadable("TLS key file", t.key_file));
  ssl::context& ctx = out.emplace(ssl::context::tls_server);
  SSL_CTX_set_min_proto_version(ctx.native_handle(), TLS1_2_VERSION);
  ctx.set_options(ssl::context::default_workarounds | ssl::context::no_compression |
                  ssl::context::single_dh_use);
  beast::error_code ec;
  ctx.use_certificate_chain_file(t.cert_file, ec);
  if (ec) {
    return InvalidArgument("TLS certificate file '" + t.cert_file +
                           "': not a PEM certificate chain: " + ec.message());
  }
  ctx.use_private_key_file(t.key_file, ssl::context::pem, ec);
  if (ec && ec.category() == net::error::get_ssl_category() &&
      ERR_GET_REASON(static_cast<unsigned long>(ec.value())) == X509_R_KEY_VALUES_MISMATCH) {
    return InvalidArgument("TLS key file '" + t.key_file + "' does not match the certificate in '" +
                           t.cert_file + "'");
  }
  if (ec) {
    return InvalidArgument("TLS key file '" + t.key_file +
                           "': not a PEM private key: " + ec.message());
  }
  if (SSL_CTX_check_private_key(ctx.native_handle()) != 1) {
    return InvalidArgument("TLS key file '" + t.key_file + "' does not match the certificate in '" +
                           t.cert_file + "'");
  }
  if (!t.client_ca_file.empty()) {
    FE_RETURN_IF_ERROR(CheckReadable("TLS client CA file", t.client_ca_file));
    ctx.load_verify_file(t.client_ca_file, ec);
    STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(t.client_ca_file.c_str());
    if (ec || names == nullptr) {
      return InvalidArgument("TLS client CA file '" + t.client_ca_file +
                             "': not a PEM certificate bundle" +
                             (ec ? ": " + ec.message() : std::string()));
    }
    SSL_CTX_set_client_CA_list(ctx.native_handle(), names);  // takes ownership
    ctx.set_verify_mode(ssl::verify_peer | ssl::verify_fail_if_no_peer_cert);
    // Session resumption with client verification needs an id context.
    static constexpr unsigned char kSessionContext[] = "fhir-engine";
    SSL_CTX_set_session_id_context(ctx.native_handle(), kSessionContext,
                                   sizeof kSessionContext - 1);
  }
  return Status::Ok();
}

}  // namespace

HttpServer::HttpServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

HttpServer::~HttpServer() {
  if (impl_ && !impl_->threads.empty()) impl_->Shutdown(impl_->options.request_timeout);
}

std::uint16_t HttpServer::port() const { return impl_->port; }

void HttpServer::Shutdown(std::chrono::milliseconds grace) { impl_->Shutdown(grace); }

std::size_t HttpServer::connection_count() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->sessions.size();
}

Result<std::unique_ptr<HttpServer>> HttpServer::Listen(const HttpServerOptions& options) {
  auto impl = std::make_unique<Impl>(options);
  if (options.tls.enabled()) {
    FE_RETURN_IF_ERROR(LoadServerTls(options.tls, impl->tls));
  } else if (!options.tls.key_file.empty() || !options.tls.client_ca_file.empty()) {
    return InvalidArgument("TLS: a key file or client CA file needs a certificate file");
  }
  const std::string where = options.host + ":" + std::to_string(options.port);
  beast::error_code ec;
  tcp::resolver resolver(impl->ioc);
  auto endpoints = resolver.resolve(options.host, std::to_string(options.port),
                                    tcp::resolver::passive | tcp::resolver::numeric_service, ec);
  if (ec || endpoints.empty()) {
    return InvalidArgument("host '" + options.host + "' cannot be resolved: " + ec.message());
  }
  const tcp::endpoint endpoint = endpoints.begin()->endpoint();
  tcp::acceptor& acceptor = impl->acceptor;
  if (acceptor.open(endpoint.protocol(), ec); ec) return IoError(where + ": " + ec.message());
  if (acceptor.set_option(net::socket_base::reuse_address(true), ec); ec) {
    return IoError(where + ": " + ec.message());
  }
  if (acceptor.bind(endpoint, ec); ec) return IoError(where + ": " + ec.message());
  if (acceptor.listen(net::socket_base::max_listen_connections, ec); ec) {
    return IoError(where + ": " + ec.message());
  }
  impl->port = acceptor.local_endpoint(ec).port();
  return std::unique_ptr<HttpServer>(new HttpServer(std::move(impl)));
}

void HttpServer::AddLiveFeed(std::string path, LiveFeed& feed) {
  FE_CHECK(impl_->handler == nullptr && !path.empty() && path.front() == '/');
  impl_->feeds.emplace_back(std::move(path), &feed);
}

void HttpServer::Serve(RequestHandler& handler) {
  FE_CHECK(impl_->handler == nullptr);
  impl_->handler = &handler;
  impl_->work.emplace(net::make_work_guard(impl_->ioc));
  ServerState* raw = impl_.get();
  net::post(raw->acceptor.get_executor(), [raw] { raw->DoAccept(); });
  const int threads = std::max(1, raw->options.threads);
  for (int i = 0; i < threads; ++i) {
    raw->threads.emplace_back([raw] {
      for (;;) {
        try {
          raw->ioc.run();
          return;
        } catch (const std::exception& e) {
          // Nothing should throw out of a handler; if one does, log and go on.
          log::Write(log::Level::kError, "exception escaped an io handler", {{"error", e.what()}});
        }
      }
    });
  }
}

}  // namespace fhirengine::rest

// The HTTP(S) client on Beast and Asio's OpenSSL layer. Each request runs to
// completion on its connection's private io_context on the caller's thread
// (blocking API; deadlines are tcp_stream expiries); connections kept alive
// wait in a per-origin pool; Cancel posts a close to every connection in use.
#include "engine/net/http_client.h"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <cctype>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <fstream>
#include <map>
#include <mutex>
#include <optional>
#include <unordered_set>
#include <variant>

#include "engine/net/url.h"

namespace fhirengine::net {

std::string HttpResponse::Header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (key.size() == name.size() &&
        std::equal(key.begin(), key.end(), name.begin(), [](char a, char b) {
          return std::tolower(static_cast<unsigned char>(a)) ==
                 std::tolower(static_cast<unsigned char>(b));
        })) {
      return value;
    }
  }
  return {};
}

namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace asio = boost::asio;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

constexpr std::uint32_t kMaxResponseHeaderBytes = 64u << 10;

Status Unavailable(std::string message) {
  return Status(StatusCode::kUnavailable, std::move(message));
}

std::string Millis(std::chrono::milliseconds ms) { return std::to_string(ms.count()) + " ms"; }

// RFC 9110 token characters, for header names.
bool IsToken(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u) == 0 && std::strchr("!#$%&'*+-.^_`|~", c) == nullptr) return false;
  }
  return true;
}

bool IsFieldValue(std::string_view s) {
  return s.find_first_of(std::string_view("\r\n\0", 3)) == std::string_view::npos;
}

// kIoError when `path` cannot be opened for reading (the OpenSSL messages
// for a missing file are less clear).
Status CheckReadable(const std::string& what, const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return IoError(what + " '" + path + "': cannot read: " + std::strerror(errno));
  return Status::Ok();
}

// Stale keep-alive connections fail like this before the server sends a byte.
bool IsClosedByPeer(const beast::error_code& ec) {
  return ec == http::error::end_of_stream || ec == asio::error::eof ||
         ec == asio::error::connection_reset || ec == asio::error::broken_pipe ||
         ec == ssl::error::stream_truncated;
}

// OpenSSL's "key values mismatch" from loading a key that is not the certificate's.
bool IsKeyMismatch(const beast::error_code& ec) {
  return ec.category() == asio::error::get_ssl_category() &&
         ERR_GET_REASON(static_cast<unsigned long>(ec.value())) == X509_R_KEY_VALUES_MISMATCH;
}

bool IsIdempotent(std::string_view method) {
  return method == "GET" || method == "HEAD" || method == "PUT" || method == "DELETE" ||
         method == "OPTIONS" || method == "TRACE";
}

// One connection to one origin with its own io_context. Used by one thread
// at a time (checked out of the pool); Abort may come from any thread.
class Connection {
 public:
  Connection(const HttpUrl& url, ssl::context* tls) : url_(url) {
    if (url.https) {
      tls_.emplace(ioc_, *tls);
    } else {
      plain_.emplace(ioc_);
    }
  }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  bool connected() const { return connected_; }
  bool reusable() const { return reusable_; }
  bool aborted() const { return aborted_.load(); }

  // Whether a pooled connection still looks usable: nothing to read on it
  // (a kept-alive connection that has something to read was closed by the
  // server, or sent what nobody asked for). Checked before reuse, since a
  // request that is not idempotent is not retried on a new connection.
  bool LooksAlive() {
    if (!connected_ || !Tcp().socket().is_open()) return false;
    if (tls_ && SSL_pending(tls_->native_handle()) > 0) return false;
    char byte = 0;
    const ssize_t n = ::recv(Tcp().socket().native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
    return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
  }

  // Closes the socket from any thread: the operation in progress (or the
  // next one) fails at once.
  void Abort() {
    aborted_.store(true);
    asio::post(ioc_, [this] {
      resolver_.cancel();
      Tcp().close();
    });
  }

  // Resolves, connects and (https) handshakes, all within `timeout`.
  Status Connect(std::chrono::milliseconds timeout) {
    const std::string where = url_.ForMessages();
    const Clock::time_point deadline = Clock::now() + timeout;
    tcp::resolver::results_type endpoints;
    beast::error_code ec;
    bool resolve_timed_out = false;
    {
      asio::steady_timer timer(ioc_, timeout);
      timer.async_wait([&](beast::error_code e) {
        if (e) return;
        resolve_timed_out = true;
        resolver_.cancel();
      });
      resolver_.async_resolve(
          url_.host, std::to_string(url_.port),
          url_.host_is_ip ? tcp::resolver::numeric_host : tcp::resolver::flags(),
          [&](beast::error_code e, tcp::resolver::results_type r) {
            ec = e;
            endpoints = std::move(r);
            timer.cancel();
          });
      RunIo();
    }
    if (aborted()) return Unavailable(where + ": cancelled");
    if (resolve_timed_out) {
      return Unavailable(where + ": cannot resolve '" + url_.host +
                         "' within the connect timeout (" + Millis(timeout) + ")");
    }
    if (ec) return Unavailable(where + ": cannot resolve '" + url_.host + "': " + ec.message());

    Tcp().expires_at(deadline);
    ec = Run([&](auto handler) { Tcp().async_connect(endpoints, handler); });
    if (aborted()) return Unavailable(where + ": cancelled");
    if (ec == beast::error::timeout) {
      return Unavailable(where + ": cannot connect within the connect timeout (" + Millis(timeout) +
                         ")");
    }
    if (ec) return Unavailable(where + ": cannot connect: " + ec.message());

    if (tls_) {
      SSL* native = tls_->native_handle();
      X509_VERIFY_PARAM* param = SSL_get0_param(native);
      int set = 0;
      if (url_.host_is_ip) {
        set = X509_VERIFY_PARAM_set1_ip_asc(param, url_.host.c_str());
      } else {
        // SNI carries names only (RFC 6066 3), never IP literals.
        // SSL_set_tlsext_host_name, without the macro's C-style cast.
        SSL_ctrl(native, SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
                 const_cast<char*>(url_.host.c_str()));
        X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
        set = X509_VERIFY_PARAM_set1_host(param, url_.host.c_str(), url_.host.size());
      }
      if (set != 1) return Internal(where + ": cannot set the host name to verify");
      ec = Run([&](auto handler) { tls_->async_handshake(ssl::stream_base::client, handler); });
      if (aborted()) return Unavailable(where + ": cancelled");
      if (ec) {
        const long verify = SSL_get_verify_result(native);
        if (verify == X509_V_ERR_HOSTNAME_MISMATCH || verify == X509_V_ERR_IP_ADDRESS_MISMATCH) {
          return Unavailable(where +
                             ": TLS handshake failed: host name mismatch (the certificate " +
                             "does not cover '" + url_.host + "')");
        }
        if (verify != X509_V_OK) {
          return Unavailable(where + ": TLS handshake failed: certificate verify failed (" +
                             X509_verify_cert_error_string(verify) + ")");
        }
        if (ec == beast::error::timeout) {
          return Unavailable(where + ": TLS handshake not complete within the connect timeout (" +
                             Millis(timeout) + ")");
        }
        return Unavailable(where + ": TLS handshake failed: " + ec.message());
      }
    }
    connected_ = true;
    return Status::Ok();
  }

  // Why an exchange failed: `stale` when a kept-alive connection turned out
  // closed before the server sent anything (worth one retry on a new one).
  struct Failure {
    Status status;
    bool stale = false;
  };

  // Writes the request and reads the whole response within `read_timeout`.
  std::variant<HttpResponse, Failure> Exchange(http::request<http::string_body>& req,
                                               const HttpClientOptions& options, bool reused) {
    const std::string where = url_.ForMessages();
    reusable_ = false;
    Tcp().expires_after(options.read_timeout);
    beast::error_code ec = Run([&](auto handler) {
      if (tls_) {
        http::async_write(*tls_, req, handler);
      } else {
        http::async_write(*plain_, req, handler);
      }
    });
    if (aborted()) return Failure{Unavailable(where + ": cancelled")};
    if (ec == beast::error::timeout) {
      return Failure{Unavailable(where + ": request not sent within the read timeout (" +
                                 Millis(options.read_timeout) + ")")};
    }
    if (ec) {
      return Failure{Unavailable(where + ": cannot send the request: " + ec.message()), reused};
    }
    http::response_parser<http::string_body> parser;
    parser.header_limit(kMaxResponseHeaderBytes);
    parser.body_limit(static_cast<std::uint64_t>(options.max_response_bytes));
    if (req.method() == http::verb::head) parser.skip(true);
    ec = Run([&](auto handler) {
      if (tls_) {
        http::async_read(*tls_, buffer_, parser, handler);
      } else {
        http::async_read(*plain_, buffer_, parser, handler);
      }
    });
    if (aborted()) return Failure{Unavailable(where + ": cancelled")};
    if (ec == http::error::body_limit) {
      return Failure{ResourceExhausted(where + ": response body larger than the limit of " +
                                       std::to_string(options.max_response_bytes) + " bytes")};
    }
    if (ec == http::error::header_limit) {
      return Failure{ResourceExhausted(where + ": response header larger than the limit of " +
                                       std::to_string(kMaxResponseHeaderBytes) + " bytes")};
    }
    if (ec == beast::error::timeout) {
      return Failure{Unavailable(where + ": no complete response within the read timeout (" +
                                 Millis(options.read_timeout) + ")")};
    }
    if (ec) {
      const bool stale = reused && !parser.got_some() && IsClosedByPeer(ec) &&
                         IsIdempotent(std::string_view(req.method_string()));
      return Failure{Unavailable(where + ": cannot read the response: " + ec.message()), stale};
    }
    Tcp().expires_never();
    http::response<http::string_body> res = parser.release();
    HttpResponse out;
    out.status = static_cast<int>(res.result_int());
    for (const auto& field : res) {
      out.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
    }
    out.body = std::move(res.body());
    reusable_ = res.keep_alive() && !res.need_eof() && buffer_.size() == 0;
    return out;
  }

 private:
  beast::tcp_stream& Tcp() { return tls_ ? beast::get_lowest_layer(*tls_) : *plain_; }

  void RunIo() {
    ioc_.restart();
    ioc_.run();
  }

  // Starts one asynchronous operation and runs the io_context until it (and
  // whatever Abort posted) is done.
  template <typename Start>
  beast::error_code Run(Start start) {
    beast::error_code result;
    start([&result](beast::error_code ec, auto&&...) { result = ec; });
    RunIo();
    return result;
  }

  const HttpUrl url_;
  asio::io_context ioc_{1};  // declared first: destroyed after the streams
  tcp::resolver resolver_{ioc_};
  std::optional<beast::tcp_stream> plain_;
  std::optional<beast::ssl_stream<beast::tcp_stream>> tls_;
  beast::flat_buffer buffer_;
  bool connected_ = false;
  bool reusable_ = false;
  std::atomic<bool> aborted_{false};
};

class PooledHttpClient final : public HttpClient {
 public:
  PooledHttpClient(const HttpClientOptions& options, ssl::context tls)
      : options_(options), tls_(std::move(tls)) {}

  Result<HttpResponse> Send(const HttpRequest& request) override {
    Result<HttpUrl> parsed = ParseHttpUrl(request.url);
    if (!parsed.ok()) return parsed.status();
    const HttpUrl& url = *parsed;
    const std::string where = url.ForMessages();
    Result<http::request<http::string_body>> built = Build(request, url);
    if (!built.ok()) return InvalidArgument(where + ": " + built.status().message());
    http::request<http::string_body>& req = *built;

    std::unique_ptr<Connection> conn;
    const std::string origin = url.Origin();
    {
      std::unique_lock lock(mutex_);
      Origin& pool = pools_[origin];
      changed_.wait(lock, [&] {
        return cancelled_ ||
               pool.active < std::max<std::size_t>(1, options_.max_connections_per_origin);
      });
      if (cancelled_) return Unavailable(where + ": cancelled");
      ++pool.active;
      while (!conn && !pool.idle.empty()) {
        conn = std::move(pool.idle.back());
        pool.idle.pop_back();
        if (!conn->LooksAlive()) conn.reset();
      }
    }
    struct Release {
      PooledHttpClient* self;
      const std::string& origin;
      ~Release() {
        std::lock_guard lock(self->mutex_);
        auto it = self->pools_.find(origin);
        if (it != self->pools_.end()) --it->second.active;
        self->changed_.notify_all();
      }
    } release{this, origin};

    for (int attempt = 0;; ++attempt) {
      const bool reused = conn != nullptr;
      if (!conn) conn = std::make_unique<Connection>(url, &tls_);
      if (!Track(conn.get())) return Unavailable(where + ": cancelled");
      Status connected = Status::Ok();
      if (!conn->connected()) connected = conn->Connect(options_.connect_timeout);
      std::variant<HttpResponse, Connection::Failure> outcome =
          connected.ok()
              ? conn->Exchange(req, options_, reused)
              : std::variant<HttpResponse, Connection::Failure>(Connection::Failure{connected});
      Untrack(conn.get());
      if (auto* failure = std::get_if<Connection::Failure>(&outcome)) {
        conn.reset();
        if (failure->stale && attempt == 0) continue;
        return failure->status;
      }
      if (conn->reusable() && !conn->aborted()) {
        std::lock_guard lock(mutex_);
        auto it = pools_.find(origin);
        if (!cancelled_ && it != pools_.end() &&
            it->second.idle.size() < options_.max_connections_per_origin) {
          it->second.idle.push_back(std::move(conn));
        }
      }
      return std::get<HttpResponse>(std::move(outcome));
    }
  }

  void Cancel() override {
    std::vector<std::unique_ptr<Connection>> idle;
    {
      std::lock_guard lock(mutex_);
      cancelled_ = true;
      for (Connection* c : in_use_) c->Abort();
      for (auto& [origin, pool] : pools_) {
        for (auto& c : pool.idle) idle.push_back(std::move(c));
        pool.idle.clear();
      }
    }
    changed_.notify_all();
  }

 private:
  struct Origin {
    std::size_t active = 0;
    std::vector<std::unique_ptr<Connection>> idle;
  };

  Result<http::request<http::string_body>> Build(const HttpRequest& request,
                                                 const HttpUrl& url) const {
    if (!IsToken(request.method)) return InvalidArgument("bad method '" + request.method + "'");
    http::request<http::string_body> req;
    req.version(11);
    const http::verb verb = http::string_to_verb(request.method);
    if (verb == http::verb::unknown) {
      req.method_string(request.method);
    } else {
      req.method(verb);
    }
    req.target(url.target);
    req.set(http::field::host, url.host_header);
    req.set(http::field::user_agent, options_.user_agent);
    for (const auto& [name, value] : request.headers) {
      if (!IsToken(name) || !IsFieldValue(value)) {
        return InvalidArgument("bad header '" + (IsToken(name) ? name : std::string("?")) + "'");
      }
      if (beast::iequals(name, "Host") || beast::iequals(name, "User-Agent") ||
          beast::iequals(name, "Content-Length") || beast::iequals(name, "Transfer-Encoding") ||
          beast::iequals(name, "Connection")) {
        req.set(name, value);
      } else {
        req.insert(name, value);
      }
    }
    req.body() = request.body;
    req.prepare_payload();
    return req;
  }

  // Registers a connection in use, so Cancel can abort it; false once cancelled.
  bool Track(Connection* c) {
    std::lock_guard lock(mutex_);
    if (cancelled_) return false;
    in_use_.insert(c);
    return true;
  }
  void Untrack(Connection* c) {
    std::lock_guard lock(mutex_);
    in_use_.erase(c);
  }

  const HttpClientOptions options_;
  ssl::context tls_;  // shared by all connections (read-only after Create)
  std::mutex mutex_;
  std::condition_variable changed_;
  std::map<std::string, Origin> pools_;
  std::unordered_set<Connection*> in_use_;
  bool cancelled_ = false;
};

}  // namespace

Result<std::unique_ptr<HttpClient>> HttpClient::Create(const HttpClientOptions& options) {
  if (options.max_response_bytes == 0 || options.max_connections_per_origin == 0 ||
      options.connect_timeout.count() <= 0 || options.read_timeout.count() <= 0) {
    return InvalidArgument(
        "HTTP client options: timeouts, max_response_bytes and max_connections_per_origin must be "
        "positive");
  }
  if (!IsFieldValue(options.user_agent)) {
    return InvalidArgument("HTTP client options: bad user agent");
  }
  ssl::context tls(ssl::context::tls_client);
  SSL_CTX_set_min_proto_version(tls.native_handle(), TLS1_2_VERSION);
  tls.set_verify_mode(ssl::verify_peer);
  beast::error_code ec;
  const TlsClientOptions& t = options.tls;
  if (t.ca_file.empty()) {
    tls.set_default_verify_paths(ec);
    if (ec) return IoError("cannot load the system's trusted certificates: " + ec.message());
  } else {
    FE_RETURN_IF_ERROR(CheckReadable("CA file", t.ca_file));
    tls.load_verify_file(t.ca_file, ec);
    if (ec) {
      return InvalidArgument("CA file '" + t.ca_file +
                             "': not a PEM certificate bundle: " + ec.message());
    }
  }
  if (t.client_cert_file.empty() != t.client_key_file.empty()) {
    return InvalidArgument(
        "a client certificate needs both a certificate file and a key file (one is missing)");
  }
  if (!t.client_cert_file.empty()) {
    FE_RETURN_IF_ERROR(CheckReadable("client certificate file", t.client_cert_file));
    FE_RETURN_IF_ERROR(CheckReadable("client key file", t.client_key_file));
    tls.use_certificate_chain_file(t.client_cert_file, ec);
    if (ec) {
      return InvalidArgument("client certificate file '" + t.client_cert_file +
                             "': not a PEM certificate: " + ec.message());
    }
    tls.use_private_key_file(t.client_key_file, ssl::context::pem, ec);
    if (ec && IsKeyMismatch(ec)) {
      return InvalidArgument("client key file '" + t.client_key_file +
                             "' does not match the certificate in '" + t.client_cert_file + "'");
    }
    if (ec) {
      return InvalidArgument("client key file '" + t.client_key_file +
                             "': not a PEM private key: " + ec.message());
    }
    if (SSL_CTX_check_private_key(tls.native_handle()) != 1) {
      return InvalidArgument("client key file '" + t.client_key_file +
                             "' does not match the certificate in '" + t.client_cert_file + "'");
    }
  }
  return std::unique_ptr<HttpClient>(new PooledHttpClient(options, std::move(tls)));
}

}  // namespace fhirengine::net

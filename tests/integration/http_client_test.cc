// net::HttpClient against real loopback servers: the engine's own HttpServer
// (plain and HTTPS, with and without client certificates) with a tiny
// handler, and a raw listening socket that never answers. Certificates come
// from tests/support/test_pki.
#include "engine/net/http_client.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include "engine/rest/http_server.h"
#include "tests/support/shared_engine.h"
#include "tests/support/test_pki.h"

namespace fhirengine::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

// Answers "METHOD target body" as text/plain, /big with 1 MiB, and
// /status/NNN with that status; every response carries X-Connections, the
// server's open connection count while it answered.
class EchoHandler : public rest::RequestHandler {
 public:
  void Handle(rest::RestRequest request, rest::Responder responder) override {
    rest::RestResponse r;
    r.content_type = "text/plain";
    if (request.target == "/big") {
      r.body.assign(1u << 20, 'x');
    } else if (request.target.starts_with("/status/")) {
      r.status = std::stoi(request.target.substr(8));
      r.body = "status";
    } else {
      r.body = request.method + " " + request.target + " " + request.body;
    }
    r.AddHeader("X-Connections", std::to_string(server.load()->connection_count()));
    responder.reply(std::move(r));
  }
  rest::RestResponse ProtocolError(int status, std::string_view message) const override {
    rest::RestResponse r;
    r.status = status;
    r.content_type = "text/plain";
    r.body = std::string(message);
    return r;
  }
  std::atomic<rest::HttpServer*> server{nullptr};
};

// A socket that listens on loopback and never answers: connections complete
// in the kernel's backlog, requests are never read.
class SilentListener {
 public:
  SilentListener() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&addr), len) == 0 && ::listen(fd_, 16) == 0 &&
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
      port_ = ntohs(addr.sin_port);
    }
  }
  ~SilentListener() {
    for (int fd : accepted_) ::close(fd);
    ::close(fd_);
  }
  SilentListener(const SilentListener&) = delete;
  SilentListener& operator=(const SilentListener&) = delete;

  std::uint16_t port() const { return port_; }
  int fd() const { return fd_; }
  // Accepts one connection (kept open, never read); false when none came.
  bool AcceptWithin(milliseconds deadline) {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(deadline.count())) != 1) return false;
    const int fd = ::accept(fd_, nullptr, nullptr);
    if (fd < 0) return false;
    accepted_.push_back(fd);
    return true;
  }

 private:
  int fd_ = -1;
  std::uint16_t port_ = 0;
  std::vector<int> accepted_;
};

class HttpClientTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new std::filesystem::path(MakeTempDir("net-client"));
    Result<TestPki> made = MakeTestPki(dir_->string());
    ASSERT_TRUE(made.ok()) << made.status().ToString();
    pki_ = new TestPki(std::move(made).value());
  }
  static void TearDownTestSuite() {
    std::filesystem::remove_all(*dir_);
    delete dir_;
    delete pki_;
  }
  void TearDown() override {
    if (server_) server_->Shutdown(seconds(5));
  }

  // Starts the engine's HttpServer on a free loopback port.
  std::uint16_t Serve(const rest::TlsServerOptions& tls = {},
                      milliseconds idle_timeout = seconds(60)) {
    rest::HttpServerOptions options;
    options.threads = 2;
    options.tls = tls;
    options.request_timeout = seconds(10);
    options.idle_timeout = idle_timeout;
    Result<std::unique_ptr<rest::HttpServer>> listening = rest::HttpServer::Listen(options);
    EXPECT_TRUE(listening.ok()) << listening.status().ToString();
    if (!listening.ok()) return 0;
    server_ = std::move(listening).value();
    handler_.server = server_.get();
    server_->Serve(handler_);
    return server_->port();
  }
  static rest::TlsServerOptions ServerTls() { return {pki_->server_cert, pki_->server_key, ""}; }

  static std::unique_ptr<net::HttpClient> Client(net::HttpClientOptions options = {}) {
    Result<std::unique_ptr<net::HttpClient>> client = net::HttpClient::Create(options);
    EXPECT_TRUE(client.ok()) << client.status().ToString();
    return client.ok() ? std::move(client).value() : nullptr;
  }
  static net::HttpClientOptions TrustingTestCa() {
    net::HttpClientOptions options;
    options.tls.ca_file = pki_->ca_cert;
    return options;
  }
  static Result<net::HttpResponse> Get(net::HttpClient& client, const std::string& url) {
    net::HttpRequest request;
    request.url = url;
    return client.Send(request);
  }

  static std::filesystem::path* dir_;
  static TestPki* pki_;
  EchoHandler handler_;  // outlives server_
  std::unique_ptr<rest::HttpServer> server_;
};

std::filesystem::path* HttpClientTest::dir_ = nullptr;
TestPki* HttpClientTest::pki_ = nullptr;

TEST_F(HttpClientTest, HttpsGetVerifiedByTheTestCa) {
  const std::uint16_t port = Serve(ServerTls());
  auto client = Client(TrustingTestCa());
  ASSERT_TRUE(client);
  for (const std::string host : {"127.0.0.1", "localhost"}) {
    Result<net::HttpResponse> r =
        Get(*client, "https://" + host + ":" + std::to_string(port) + "/hello?x=1");
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->body, "GET /hello?x=1 ");
    EXPECT_EQ(r->Header("content-type"), "text/plain");
  }
}

TEST_F(HttpClientTest, PostSendsTheBodyAndHeaders) {
  const std::uint16_t port = Serve(ServerTls());
  auto client = Client(TrustingTestCa());
  ASSERT_TRUE(client);
  net::HttpRequest request;
  request.method = "POST";
  request.url = "https://127.0.0.1:" + std::to_string(port) + "/token";
  request.headers = {{"Content-Type", "application/x-www-form-urlencoded"}};
  request.body = "grant_type=client_credentials";
  Result<net::HttpResponse> r = client->Send(request);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->body, "POST /token grant_type=client_credentials");
}

TEST_F(HttpClientTest, UntrustedCaFailsWithCertificateVerifyFailed) {
  const std::uint16_t port = Serve(ServerTls());
  net::HttpClientOptions options;
  options.tls.ca_file = pki_->other_ca_cert;
  auto client = Client(options);
  ASSERT_TRUE(client);
  const std::string url = "https://127.0.0.1:" + std::to_string(port) + "/fhir/metadata";
  Result<net::HttpResponse> r = Get(*client, url);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(r.status().message(),
            url +
                ": TLS handshake failed: certificate verify failed (unable to get local issuer "
                "certificate)");
}

TEST_F(HttpClientTest, CertificateForAnotherHostFailsWithHostNameMismatch) {
  const std::uint16_t port = Serve({pki_->wrong_host_cert, pki_->wrong_host_key, ""});
  auto client = Client(TrustingTestCa());
  ASSERT_TRUE(client);
  for (const std::string host : {"127.0.0.1", "localhost"}) {
    Result<net::HttpResponse> r =
        Get(*client, "https://" + host + ":" + std::to_string(port) + "/");
    ASSERT_FALSE(r.ok()) << host;
    EXPECT_EQ(r.status().code(), StatusCode::kUnavailable);
    EXPECT_NE(r.status().message().find("TLS handshake failed: host name mismatch"),
              std::string::npos)
        << r.status().message();
    EXPECT_NE(r.status().message().find("'" + host + "'"), std::string::npos);
  }
}

TEST_F(HttpClientTest, PlainHttpAndAnyStatusIsAResponse) {
  const std::uint16_t port = Serve();
  auto client = Client();
  ASSERT_TRUE(client);
  Result<net::HttpResponse> ok = Get(*client, "http://127.0.0.1:" + std::to_string(port) + "/a");
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_EQ(ok->body, "GET /a ");
  Result<net::HttpResponse> missing =
      Get(*client, "http://127.0.0.1:" + std::to_string(port) + "/status/404");
  ASSERT_TRUE(missing.ok()) << missing.status().ToString();
  EXPECT_EQ(missing->status, 404);
  Result<net::HttpResponse> failing =
      Get(*client, "http://127.0.0.1:" + std::to_string(port) + "/status/503");
  ASSERT_TRUE(failing.ok()) << failing.status().ToString();
  EXPECT_EQ(failing->status, 503);
}

TEST_F(HttpClientTest, PlainHttpToTheHttpsPortFailsAndTheServerGoesOn) {
  const std::uint16_t port = Serve(ServerTls());
  auto plain = Client();
  ASSERT_TRUE(plain);
  Result<net::HttpResponse> r = Get(*plain, "http://127.0.0.1:" + std::to_string(port) + "/");
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable);
  auto tls = Client(TrustingTestCa());
  ASSERT_TRUE(tls);
  Result<net::HttpResponse> after = Get(*tls, "https://127.0.0.1:" + std::to_string(port) + "/");
  ASSERT_TRUE(after.ok()) << after.status().ToString();
  EXPECT_EQ(after->status, 200);
}

TEST_F(HttpClientTest, ReadTimeoutFiresWhenTheServerNeverAnswers) {
  SilentListener silent;
  ASSERT_NE(silent.port(), 0);
  net::HttpClientOptions options;
  options.read_timeout = milliseconds(200);
  auto client = Client(options);
  ASSERT_TRUE(client);
  const std::string url = "http://127.0.0.1:" + std::to_string(silent.port()) + "/slow?secret=1";
  Result<net::HttpResponse> r = Get(*client, url);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(r.status().message(), "http://127.0.0.1:" + std::to_string(silent.port()) +
                                      "/slow: no complete response within the read timeout "
                                      "(200 ms)");
}

TEST_F(HttpClientTest, ConnectTimeoutCoversTheTlsHandshake) {
  SilentListener silent;  // accepts TCP, never answers the ClientHello
  auto options = TrustingTestCa();
  options.connect_timeout = milliseconds(200);
  auto client = Client(options);
  ASSERT_TRUE(client);
  Result<net::HttpResponse> r =
      Get(*client, "https://127.0.0.1:" + std::to_string(silent.port()) + "/");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(r.status().message().find("TLS handshake not complete within the connect timeout"),
            std::string::npos)
      << r.status().message();
}

TEST_F(HttpClientTest, RefusedConnectionIsUnavailable) {
  std::uint16_t port = 0;
  {
    SilentListener closed_again;
    port = closed_again.port();
  }
  auto client = Client();
  ASSERT_TRUE(client);
  Result<net::HttpResponse> r = Get(*client, "http://127.0.0.1:" + std::to_string(port) + "/");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(r.status().message().find("cannot connect"), std::string::npos) << r.status().message();
}

TEST_F(HttpClientTest, OversizedResponseIsResourceExhausted) {
  const std::uint16_t port = Serve(ServerTls());
  auto options = TrustingTestCa();
  options.max_response_bytes = 1000;
  auto client = Client(options);
  ASSERT_TRUE(client);
  Result<net::HttpResponse> big =
      Get(*client, "https://127.0.0.1:" + std::to_string(port) + "/big");
  ASSERT_FALSE(big.ok());
  EXPECT_EQ(big.status().code(), StatusCode::kResourceExhausted);
  EXPECT_NE(big.status().message().find("larger than the limit of 1000 bytes"), std::string::npos)
      << big.status().message();
  Result<net::HttpResponse> small =
      Get(*client, "https://127.0.0.1:" + std::to_string(port) + "/small");
  ASSERT_TRUE(small.ok()) << small.status().ToString();
}

TEST_F(HttpClientTest, ClientCertificateIsRequiredWhenTheServerAsks) {
  const std::uint16_t port = Serve({pki_->server_cert, pki_->server_key, pki_->ca_cert});
  const std::string url = "https://127.0.0.1:" + std::to_string(port) + "/mtls";
  auto with_cert = TrustingTestCa();
  with_cert.tls.client_cert_file = pki_->client_cert;
  with_cert.tls.client_key_file = pki_->client_key;
  auto client = Client(with_cert);
  ASSERT_TRUE(client);
  Result<net::HttpResponse> accepted = Get(*client, url);
  ASSERT_TRUE(accepted.ok()) << accepted.status().ToString();
  EXPECT_EQ(accepted->body, "GET /mtls ");

  auto anonymous = Client(TrustingTestCa());
  ASSERT_TRUE(anonymous);
  Result<net::HttpResponse> refused = Get(*anonymous, url);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), StatusCode::kUnavailable);

  auto foreign = TrustingTestCa();  // a certificate the server's client CA did not sign
  foreign.tls.client_cert_file = pki_->other_ca_cert;
  foreign.tls.client_key_file = pki_->other_ca_key;
  auto stranger = Client(foreign);
  ASSERT_TRUE(stranger);
  Result<net::HttpResponse> refused_too = Get(*stranger, url);
  ASSERT_FALSE(refused_too.ok());
  EXPECT_EQ(refused_too.status().code(), StatusCode::kUnavailable);
}

TEST_F(HttpClientTest, KeptAliveConnectionIsReused) {
  const std::uint16_t port = Serve(ServerTls());
  auto client = Client(TrustingTestCa());
  ASSERT_TRUE(client);
  for (int i = 0; i < 3; ++i) {
    Result<net::HttpResponse> r =
        Get(*client, "https://127.0.0.1:" + std::to_string(port) + "/n" + std::to_string(i));
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    // A client that opened a new connection while keeping the old one idle
    // would be seen here as 2.
    EXPECT_EQ(r->Header("X-Connections"), "1") << "request " << i;
  }
  EXPECT_EQ(server_->connection_count(), 1u);  // kept alive in the pool
}

// A server that accepts exactly one connection and answers every request on
// it: a client that does not reuse that connection gets no answer (its
// second connection waits in the backlog) and fails with a read timeout.
TEST_F(HttpClientTest, SecondRequestRidesTheSameConnection) {
  SilentListener listener;
  std::thread one_connection([&listener] {
    pollfd p{listener.fd(), POLLIN, 0};
    if (::poll(&p, 1, 10'000) != 1) return;
    const int fd = ::accept(listener.fd(), nullptr, nullptr);
    std::string pending;
    char buf[4096];
    for (int answered = 0; answered < 3;) {
      const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
      if (n <= 0) break;
      pending.append(buf, static_cast<std::size_t>(n));
      for (std::size_t end; (end = pending.find("\r\n\r\n")) != std::string::npos; ++answered) {
        pending.erase(0, end + 4);
        static constexpr std::string_view kOk = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
        if (::send(fd, kOk.data(), kOk.size(), MSG_NOSIGNAL) < 0) break;
      }
    }
    ::close(fd);
  });
  net::HttpClientOptions options;
  options.read_timeout = seconds(5);
  auto client = Client(options);
  ASSERT_TRUE(client);
  for (int i = 0; i < 3; ++i) {
    Result<net::HttpResponse> r = Get(
        *client, "http://127.0.0.1:" + std::to_string(listener.port()) + "/" + std::to_string(i));
    EXPECT_TRUE(r.ok()) << "request " << i << ": " << r.status().ToString();
    if (!r.ok()) break;
    EXPECT_EQ(r->body, "ok");
  }
  client.reset();  // closes the pooled connection, so the server thread ends
  one_connection.join();
}

TEST_F(HttpClientTest, PooledConnectionClosedByTheServerIsNotUsedForAPost) {
  for (const bool tls : {false, true}) {
    const std::uint16_t port =
        Serve(tls ? ServerTls() : rest::TlsServerOptions{}, milliseconds(50));
    auto client = Client(TrustingTestCa());
    ASSERT_TRUE(client);
    net::HttpRequest post;
    post.method = "POST";
    post.url =
        (tls ? "https" : "http") + std::string("://127.0.0.1:") + std::to_string(port) + "/t";
    post.body = "x";
    Result<net::HttpResponse> first = client->Send(post);
    ASSERT_TRUE(first.ok()) << first.status().ToString();
    // The server closes the idle kept-alive connection the client pooled.
    const auto deadline = std::chrono::steady_clock::now() + seconds(10);
    while (server_->connection_count() != 0 && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(milliseconds(5));  // polling the condition, not a fixed wait
    }
    ASSERT_EQ(server_->connection_count(), 0u);
    // POST is not retried on a fresh connection, so the pool must not offer the dead one.
    Result<net::HttpResponse> second = client->Send(post);
    ASSERT_TRUE(second.ok()) << second.status().ToString();
    EXPECT_EQ(second->body, "POST /t x");
    server_->Shutdown(seconds(5));
    server_.reset();
  }
}

TEST_F(HttpClientTest, ConcurrentRequestsToOneOriginShareTheCap) {
  const std::uint16_t port = Serve();
  net::HttpClientOptions options;
  options.max_connections_per_origin = 1;
  auto client = Client(options);
  ASSERT_TRUE(client);
  std::vector<std::future<std::vector<std::string>>> workers;
  for (int t = 0; t < 4; ++t) {
    workers.push_back(std::async(std::launch::async, [&client, port] {
      std::vector<std::string> seen;
      for (int i = 0; i < 5; ++i) {
        Result<net::HttpResponse> r =
            Get(*client, "http://127.0.0.1:" + std::to_string(port) + "/");
        seen.push_back(r.ok() ? r->Header("X-Connections") : r.status().ToString());
      }
      return seen;
    }));
  }
  for (auto& w : workers) {
    for (const std::string& connections : w.get()) EXPECT_EQ(connections, "1");
  }
}

TEST_F(HttpClientTest, CancelAbortsARequestInFlightAndRefusesNewOnes) {
  SilentListener silent;
  net::HttpClientOptions options;
  options.read_timeout = seconds(120);  // only Cancel can end the request in time
  auto client = Client(options);
  ASSERT_TRUE(client);
  const std::string url = "http://127.0.0.1:" + std::to_string(silent.port()) + "/hang";
  auto pending = std::async(std::launch::async, [&] { return Get(*client, url); });
  ASSERT_TRUE(silent.AcceptWithin(seconds(10)));  // the request is on its way
  client->Cancel();
  ASSERT_EQ(pending.wait_for(seconds(30)), std::future_status::ready);
  Result<net::HttpResponse> r = pending.get();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(r.status().message(),
            "http://127.0.0.1:" + std::to_string(silent.port()) + "/hang: cancelled");
  Result<net::HttpResponse> after = Get(*client, url);
  EXPECT_EQ(after.status().message(), r.status().message());
}

TEST_F(HttpClientTest, BadUrlsAndHeadersAreInvalidArguments) {
  auto client = Client();
  ASSERT_TRUE(client);
  EXPECT_EQ(Get(*client, "/relative").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(Get(*client, "ftp://example.org/").status().code(), StatusCode::kInvalidArgument);
  net::HttpRequest injected;
  injected.url = "http://127.0.0.1:9/";
  injected.headers = {{"X-A", "1\r\nX-Injected: 2"}};
  EXPECT_EQ(client->Send(injected).status().code(), StatusCode::kInvalidArgument);
}

TEST_F(HttpClientTest, CreateNamesUnusableFiles) {
  net::HttpClientOptions missing;
  missing.tls.ca_file = (*dir_ / "absent.pem").string();
  Result<std::unique_ptr<net::HttpClient>> a = net::HttpClient::Create(missing);
  EXPECT_EQ(a.status().code(), StatusCode::kIoError);
  EXPECT_NE(a.status().message().find("absent.pem"), std::string::npos);

  net::HttpClientOptions not_pem;
  not_pem.tls.ca_file = pki_->server_key;  // a key, not a certificate
  EXPECT_EQ(net::HttpClient::Create(not_pem).status().code(), StatusCode::kInvalidArgument);

  net::HttpClientOptions half;
  half.tls.client_cert_file = pki_->client_cert;
  EXPECT_EQ(net::HttpClient::Create(half).status().code(), StatusCode::kInvalidArgument);

  net::HttpClientOptions mismatched;
  mismatched.tls.client_cert_file = pki_->client_cert;
  mismatched.tls.client_key_file = pki_->server_key;
  Result<std::unique_ptr<net::HttpClient>> m = net::HttpClient::Create(mismatched);
  EXPECT_EQ(m.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(m.status().message().find("does not match"), std::string::npos) << m.status().message();
}

TEST_F(HttpClientTest, ServerRefusesUnusableTlsFiles) {
  rest::HttpServerOptions options;
  options.tls = {(*dir_ / "absent.pem").string(), pki_->server_key, ""};
  EXPECT_EQ(rest::HttpServer::Listen(options).status().code(), StatusCode::kIoError);
  options.tls = {pki_->server_cert, pki_->client_key, ""};
  Result<std::unique_ptr<rest::HttpServer>> mismatched = rest::HttpServer::Listen(options);
  EXPECT_EQ(mismatched.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(mismatched.status().message().find("does not match"), std::string::npos);
}

}  // namespace
}  // namespace fhirengine::testing

// The HTTP/1.1 server on Boost.Beast: one io_context on N threads, a strand
// per connection, keep-alive, hard limits (header and body size, read and
// write deadlines, connection count), graceful shutdown, and HTTPS (TLS 1.2+,
// optionally requiring client certificates) when given a certificate. It
// knows HTTP, not FHIR: every complete request goes to a RequestHandler.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "engine/core/status.h"
#include "engine/rest/live_feed.h"
#include "engine/rest/rest_types.h"

namespace fhirengine::rest {

// HTTPS: with a certificate the server speaks TLS 1.2 or later only (no
// plain HTTP on that port). The handshake has the request timeout as its
// deadline; a failed handshake closes that connection.
struct TlsServerOptions {
  std::string cert_file;       // PEM certificate chain (server first); empty: plain HTTP
  std::string key_file;        // PEM private key of that certificate
  std::string client_ca_file;  // PEM CA bundle; set: clients must present a certificate it signed

  bool enabled() const { return !cert_file.empty(); }
};

struct HttpServerOptions {
  std::string host = "127.0.0.1";  // an IP address literal
  std::uint16_t port = 0;          // 0: the kernel picks a free port
  int threads = 2;
  std::size_t max_body_bytes = 16u << 20;
  std::size_t max_header_bytes = 16u << 10;
  // From the first byte of a request to its last; also bounds each response
  // write. A client slower than this is cut off.
  std::chrono::milliseconds request_timeout{30'000};
  // How long an idle keep-alive connection is kept open.
  std::chrono::milliseconds idle_timeout{60'000};
  std::size_t max_connections = 1024;
  // Requests a second one client address may make (bursts of one second's
  // worth); beyond it 429 with Retry-After. 0: no limit.
  double max_requests_per_second_per_client = 0;
  std::string server_name = "fhir-engine";  // the Server header
  TlsServerOptions tls;
};

class HttpServer {
 public:
  // Binds and listens (connections wait in the kernel's backlog until
  // Serve). kIoError when the address cannot be bound ("127.0.0.1:8080:
  // Address already in use"), kInvalidArgument for a host that does not
  // resolve. With TLS: kIoError when a certificate or key file cannot be
  // read, kInvalidArgument when it is not PEM or the key does not match.
  static Result<std::unique_ptr<HttpServer>> Listen(const HttpServerOptions& options);

  // Serves `feed` as a WebSocket at `path` ("/capacity/live"): a GET with
  // Upgrade: websocket there becomes a feed session (plain or TLS, as the
  // server); any other request there gets 426 Upgrade Required. Sessions
  // count against max_connections, are pinged and closed after idle_timeout
  // without a pong, and close with "going away" at Shutdown. `feed` must
  // outlive the server. REQUIRES: before Serve.
  void AddLiveFeed(std::string path, LiveFeed& feed);

  // Starts accepting and the io threads. `handler` must outlive the server.
  // REQUIRES: called once.
  void Serve(RequestHandler& handler);

  // Calls Shutdown() with the request timeout as grace if not done yet.
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // The bound port (the real one when started with port 0).
  std::uint16_t port() const;

  // Stops accepting, closes idle connections, lets requests in flight finish
  // (their responses carry Connection: close) for up to `grace`, then cuts
  // what is left and joins the io threads. Work posted afterwards (a late
  // store callback) stays queued and is destroyed with the server, so
  // anything holding a Responder (the store's queue) must be drained before
  // the server is destroyed. Thread-safe (not from an io thread);
  // idempotent; blocks.
  void Shutdown(std::chrono::milliseconds grace);

  // Open connections now (for logs and tests).
  std::size_t connection_count() const;

 private:
  struct Impl;
  explicit HttpServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace fhirengine::rest

// An HTTP/1.1 client for adapters and SMART token requests: http and https
// (OpenSSL, certificate chain and host name verified, a configurable CA
// bundle, an optional client certificate), connect and read deadlines, a cap
// on response size, kept-alive connections reused per origin.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/core/status.h"

namespace fhirengine::net {

struct TlsClientOptions {
  std::string ca_file;           // PEM bundle; empty: the system's trust store
  std::string client_cert_file;  // PEM; optional (mutual TLS)
  std::string client_key_file;   // PEM; required with client_cert_file
};

struct HttpClientOptions {
  TlsClientOptions tls;
  std::chrono::milliseconds connect_timeout{10'000};  // TCP connect plus TLS handshake
  std::chrono::milliseconds read_timeout{30'000};     // from request sent to whole response read
  std::size_t max_response_bytes = 64u << 20;
  std::size_t max_connections_per_origin = 4;  // bound on concurrent requests to one source
  std::string user_agent = "fhir-engine";
};

struct HttpRequest {
  std::string method = "GET";
  std::string url;  // absolute: http://host:port/path?query or https://...
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

struct HttpResponse {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  // The first header of that name (case-insensitive); empty when absent.
  std::string Header(std::string_view name) const;
};

class HttpClient {
 public:
  // Loads the CA bundle and client certificate. kInvalidArgument or
  // kIoError naming the file when they cannot be read or do not match.
  static Result<std::unique_ptr<HttpClient>> Create(const HttpClientOptions& options);
  virtual ~HttpClient() = default;

  // Sends one request and reads the whole response (any status is a
  // response, not an error). Thread-safe; at most
  // max_connections_per_origin requests to one origin at a time (others
  // wait). Errors: kInvalidArgument for a URL that is not absolute http(s);
  // kUnavailable when the peer cannot be reached, a deadline passes or TLS
  // fails (the message says which: "certificate verify failed", "host name
  // mismatch"); kResourceExhausted for a response over the cap; kUnavailable
  // "cancelled" after Cancel.
  virtual Result<HttpResponse> Send(const HttpRequest& request) = 0;

  // Aborts requests in progress and refuses new ones. Thread-safe.
  virtual void Cancel() = 0;
};

}  // namespace fhirengine::net

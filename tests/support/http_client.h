// A small synchronous HTTP/1.1 client for integration tests, on Beast: one
// keep-alive connection, every operation with a deadline (async operations
// run to completion on a private io_context), plus raw byte access for
// malformed and slow-client tests.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace fhirengine::testing {

struct HttpResponse {
  int status = 0;     // 0 when the exchange failed (see error)
  std::string error;  // why it failed
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  bool keep_alive = false;

  // The first value of header `name` (case-insensitive), or "".
  std::string Header(std::string_view name) const;
  bool HasHeader(std::string_view name) const;
};

using HeaderList = std::vector<std::pair<std::string, std::string>>;

class HttpClient {
 public:
  // Connects to 127.0.0.1:port; check connected().
  explicit HttpClient(std::uint16_t port,
                      std::chrono::milliseconds timeout = std::chrono::seconds(20));
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  bool connected() const;
  const std::string& connect_error() const;

  // One request on this connection (Host and Content-Length are added).
  HttpResponse Request(std::string_view method, std::string_view target,
                       const HeaderList& headers = {}, std::string_view body = {});

  // Writes raw bytes; false on error or timeout.
  bool SendRaw(std::string_view bytes);
  // Reads one response (an interim 1xx included); `head` for HEAD requests.
  HttpResponse ReadResponse(bool head = false);
  // Waits until the server closes the connection (reads and drops anything
  // it sends); true when it closed within `deadline`.
  bool WaitForClose(std::chrono::milliseconds deadline);
  void Close();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace fhirengine::testing

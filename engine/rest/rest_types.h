// The HTTP exchange as the FHIR layer sees it, free of Beast types so the
// FHIR logic compiles and tests without the network stack.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace fhirengine::rest {

// One request. Repeated header fields arrive joined with ", " (RFC 9110 5.3).
struct RestRequest {
  std::string method;  // "GET", case as sent
  std::string target;  // origin-form: "/fhir/Patient/1?_format=xml"
  std::string accept;
  std::string content_type;
  std::string if_match;
  std::string if_none_match;
  std::string if_modified_since;
  std::string if_none_exist;
  std::string prefer;
  std::string authorization;   // the Authorization header: never logged
  std::string remote_address;  // the client's IP address
  std::string body;
};

struct RestResponse {
  int status = 200;
  std::string content_type;  // empty: no body
  std::string body;
  // Besides Content-Type, Content-Length, Date and Server (set by the server).
  std::vector<std::pair<std::string, std::string>> headers;

  void AddHeader(std::string name, std::string value) {
    headers.emplace_back(std::move(name), std::move(value));
  }
};

// How a handler answers one request. Both functions are thread-safe.
struct Responder {
  // Runs `work` later on the connection's own executor (its strand); for
  // callbacks that arrive on other threads, such as the store's writer.
  std::function<void(std::function<void()>)> resume;
  // Sends the response. Call exactly once, on the connection's executor
  // (inside Handle or inside work given to `resume`).
  std::function<void(RestResponse)> reply;
};

// What the HTTP server serves. Implementations are shared by all io threads.
class RequestHandler {
 public:
  virtual ~RequestHandler() = default;
  // Answers `request` through `responder`, synchronously or later; must not
  // block for long (the caller is an io thread).
  virtual void Handle(RestRequest request, Responder responder) = 0;
  // The response to a request the server refused before it was complete
  // (oversized, malformed): `status` with an explanation in the body.
  virtual RestResponse ProtocolError(int status, std::string_view message) const = 0;
};

}  // namespace fhirengine::rest

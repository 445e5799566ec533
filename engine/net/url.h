// Absolute http:// and https:// URLs split into what a client needs to
// connect and to write the request line (parsed with Boost.URL, whose
// headers stay in url.cc).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "engine/core/status.h"

namespace fhirengine::net {

struct HttpUrl {
  bool https = false;
  std::string host;         // as connected to: a name, an IPv4 or IPv6 literal (no brackets)
  bool host_is_ip = false;  // an IP literal: no SNI, verified as an IP address
  std::uint16_t port = 0;   // explicit or the scheme's default (80, 443)
  std::string host_header;  // the Host header: host (bracketed for IPv6) and a non-default port
  std::string target;       // origin-form: path (at least "/") and "?query"; no fragment

  // "https://host:port": the key of the connection pool.
  std::string Origin() const;
  // Origin() and the path without the query (which may carry secrets): for
  // error messages and logs.
  std::string ForMessages() const;
};

// Parses an absolute URL. kInvalidArgument for anything but http(s) with a
// host, for user information ("user:password@", which would end up in logs),
// and for a bad port.
Result<HttpUrl> ParseHttpUrl(std::string_view url);

}  // namespace fhirengine::net

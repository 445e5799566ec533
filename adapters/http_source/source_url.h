// Absolute http(s) URLs of pulled sources: parsing into scheme, host, port
// and target, the origin check that keeps paging links on the configured
// server (no SSRF, no credentials sent elsewhere), and query encoding.
// Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "engine/core/status.h"

namespace fhirengine::adapters::http_source {

struct SourceUrl {
  std::string scheme;      // "http" or "https", lower case
  std::string host;        // lower case; IPv6 literals keep their brackets
  std::uint16_t port = 0;  // explicit or the scheme's default
  std::string target;      // path plus query ("/fhir/Location?_count=10"); "/" at least

  // "https://host:443": scheme, host and port, the unit of trust.
  std::string Origin() const;
  // The URL again, without a fragment.
  std::string ToString() const;
};

// Parses an absolute http:// or https:// URL. kInvalidArgument (saying why)
// for other schemes, user info ("user:pw@host": credentials belong in
// "auth"), a missing or malformed host or port, control characters or
// spaces. A fragment is dropped.
Result<SourceUrl> ParseSourceUrl(std::string_view text);

// Resolves a paging link (`link` from a response of `origin_of`) and checks
// that it stays on `origin_of`'s origin. Absolute links must have the same
// scheme, host and port; a link starting with "/" is taken relative to that
// origin. kInvalidArgument naming the offending host for anything else: a
// source must never redirect the adapter (and its credentials) elsewhere.
Result<SourceUrl> ResolveSameOriginLink(const SourceUrl& origin_of, std::string_view link);

// Percent-encodes a query component (RFC 3986 unreserved characters kept).
std::string EncodeQueryComponent(std::string_view text);

// Appends "name=value" (both encoded) to `url` with '?' or '&'.
void AppendQueryParam(std::string& url, std::string_view name, std::string_view value);

}  // namespace fhirengine::adapters::http_source

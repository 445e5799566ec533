// What a pulled source's HTTP response means for a poll: success, a pause the
// source asked for (429/503 with Retry-After, as delta-seconds or an
// HTTP-date), or an error Status whose message says what failed without
// echoing secrets. Pure functions; thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string_view>

#include "engine/core/status.h"
#include "engine/net/http_client.h"

namespace fhirengine::adapters::http_source {

// The first header `name` of `response` (case-insensitive); empty when
// absent.
std::string_view ResponseHeader(const net::HttpResponse& response, std::string_view name);

// Longest pause a source can ask for; longer values are capped to it.
inline constexpr std::chrono::milliseconds kMaxRetryAfter = std::chrono::hours(1);

// Parses a Retry-After value (RFC 9110 10.2.3): delta-seconds ("120") or an
// IMF-fixdate ("Wed, 21 Oct 2015 07:28:00 GMT", relative to `now_ms`; a
// date in the past gives 0). Capped at kMaxRetryAfter. nullopt when empty
// or unparseable.
std::optional<std::chrono::milliseconds> ParseRetryAfter(std::string_view value,
                                                         std::int64_t now_ms);

struct ResponseOutcome {
  Status status;  // OK for 2xx
  // Set for 429 and 503 (from Retry-After; nullopt when absent or bad).
  std::optional<std::chrono::milliseconds> retry_after;
  bool throttled = false;  // 429 or 503
};

// Maps `response` to an outcome. `what` names the request for messages
// ("GET https://ehr.example.org/fhir/Location"): callers pass a URL without
// credentials. 401/403 -> kFailedPrecondition ("check the credentials"),
// 404 -> kNotFound, 429/503 -> kUnavailable with retry_after, other 4xx ->
// kInvalidArgument, other 5xx and 1xx/3xx -> kUnavailable. The message
// carries at most a short, sanitised excerpt of an error body (an
// OperationOutcome's first diagnostics when there is one).
ResponseOutcome ClassifyResponse(const net::HttpResponse& response, std::string_view what,
                                 std::int64_t now_ms);

}  // namespace fhirengine::adapters::http_source

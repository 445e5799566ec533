// GET requests to a pulled source: the Authorization header from a
// RequestAuthorizer (none, Basic, static Bearer, or a token client), one
// retry after a 401 when the authorizer can renew its credentials, and the
// response classified into an outcome (see response_outcome.h).
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "adapters/http_source/http_source_settings.h"
#include "adapters/http_source/source_url.h"
#include "engine/core/status.h"
#include "engine/net/http_client.h"

namespace fhirengine::adapters::http_source {

// Supplies the Authorization header. Implementations are thread-safe.
class RequestAuthorizer {
 public:
  virtual ~RequestAuthorizer() = default;
  // The header's value ("Basic ...", "Bearer ..."); empty for no header.
  // Errors (a token request that failed) come back as a Status whose message
  // carries no secret.
  virtual Result<std::string> Authorization() = 0;
  // Called after a 401: drops cached credentials. True when a new attempt
  // may succeed (a fresh token), false when nothing would change.
  virtual bool InvalidateAfterUnauthorized() { return false; }
};

// none, basic or bearer. REQUIRES: auth.type != kSmartBackend.
std::unique_ptr<RequestAuthorizer> MakeStaticAuthorizer(const AuthSettings& auth);

// Standard base64 (RFC 4648, with padding), for HTTP Basic credentials.
std::string Base64Encode(std::string_view bytes);

struct FetchResult {
  Status status;  // transport error, or a non-2xx response classified
  std::optional<std::chrono::milliseconds> retry_after;  // 429/503 with Retry-After
  net::HttpResponse response;                            // when a response came
};

// Thread-safe (the client and authorizer are).
class SourceFetcher {
 public:
  SourceFetcher(std::shared_ptr<net::HttpClient> client,
                std::shared_ptr<RequestAuthorizer> authorizer);

  // GET `url` with Accept: `accept`. A 401 is retried once when the
  // authorizer renewed its credentials.
  FetchResult Get(const SourceUrl& url, std::string_view accept) const;

  // Aborts requests in progress (net::HttpClient::Cancel).
  void Cancel() const;

 private:
  std::shared_ptr<net::HttpClient> client_;
  std::shared_ptr<RequestAuthorizer> authorizer_;
};

}  // namespace fhirengine::adapters::http_source

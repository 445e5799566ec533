// The client side of SMART Backend Services, for adapters that pull from
// another FHIR server: signs a client assertion (RFC 7523: iss = sub =
// client_id, aud = the token URL, exp at most 5 minutes ahead, a random
// jti, the key's kid in the header), exchanges it for an access token with
// the client_credentials grant, and caches the token until shortly before
// it expires. The transport is injected (engine/net's HttpClient::Send in
// production) so this library does not link the network stack.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "engine/auth/jws.h"
#include "engine/core/status.h"
#include "engine/net/http_client.h"

namespace fhirengine::auth {

struct SmartBackendClientOptions {
  std::string token_url;         // absolute: https://ehr.example/auth/token
  std::string client_id;         // as registered with the server
  std::string private_key_file;  // PEM; unencrypted PKCS#8 or traditional
  std::string private_key_pem;   // used instead of the file when not empty (tests)
  std::string key_id;            // the "kid" of the registered public key
  JwsAlgorithm algorithm = JwsAlgorithm::kEs384;
  std::string scope;  // space-separated: "system/Location.rs system/Encounter.rs"
  // A token is renewed this long before it expires (at most half its life).
  std::chrono::seconds refresh_margin{30};
  // The assertion's exp is now + this (capped at 300 s, SMART's limit).
  std::chrono::seconds assertion_lifetime{300};
  // The clock in Unix milliseconds; empty: the system clock. For tests.
  std::function<std::int64_t()> now_ms;
};

// Sends one request, returns the whole response (any status), or a
// transport error (kUnavailable, ...). engine/net's HttpClient::Send fits.
using HttpTransport = std::function<Result<net::HttpResponse>(const net::HttpRequest&)>;

// Thread-safe: concurrent callers share one cached token; while one renews
// it, the others wait for that renewal rather than start their own.
class SmartBackendClient {
 public:
  // Checks the options and loads the key: kInvalidArgument for missing
  // fields, a key that is not a private key fitting `algorithm`; kIoError
  // when the key file cannot be read.
  static Result<std::unique_ptr<SmartBackendClient>> Create(SmartBackendClientOptions options,
                                                            HttpTransport transport);

  // A valid access token: the cached one, or a new one from the server.
  // kFailedPrecondition when the server refuses (400/401: the message
  // carries its error and error_description, e.g. "invalid_client: ...");
  // kUnavailable when it cannot be reached or answers 429/5xx; kInternal
  // for a response that is not a token response.
  Result<std::string> AccessToken();

  // A token is cached for at most this long, whatever its expires_in.
  static constexpr std::int64_t kMaxCachedTokenSeconds = 24 * 3600;

  // "Bearer <token>" for the Authorization header (as AccessToken).
  Result<std::string> AuthorizationHeader();

  // Forgets the cached token, so the next call gets a new one (after the
  // resource server answered 401).
  void Invalidate();

  // A freshly signed client assertion (each call has a new jti).
  Result<std::string> BuildAssertion() const;

  // How many token requests were sent (tests, metrics).
  std::uint64_t token_requests() const;

 private:
  SmartBackendClient(SmartBackendClientOptions options, KeyHandle key, HttpTransport transport)
      : options_(std::move(options)), key_(std::move(key)), transport_(std::move(transport)) {}
  std::int64_t NowMs() const;

  const SmartBackendClientOptions options_;
  const KeyHandle key_;
  const HttpTransport transport_;

  mutable std::mutex mutex_;
  std::string token_;             // empty: none cached
  std::int64_t renew_at_ms_ = 0;  // when the cached token must be replaced
  std::uint64_t token_requests_ = 0;
};

}  // namespace fhirengine::auth

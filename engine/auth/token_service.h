// The SMART Backend Services authorization server's logic, free of HTTP:
// checks a client_credentials request with a private_key_jwt assertion
// (RFC 7523; signature by the registered client's key, iss = sub =
// client_id, aud = this token endpoint, exp, jti never replayed), narrows
// the requested scopes to the client's, and issues short-lived opaque
// bearer tokens held in memory; looks tokens up for the API guard.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <variant>
#include <vector>

#include "engine/auth/jwk.h"
#include "engine/auth/scopes.h"

namespace fhirengine::auth {

inline constexpr std::string_view kJwtBearerAssertionType =
    "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

// A client allowed to ask for tokens.
struct RegisteredClient {
  std::string client_id;
  JwkSet keys;     // its public keys; the assertion's "kid" picks one
  ScopeSet scope;  // the most it may be granted
};

struct TokenServiceOptions {
  std::string token_url;  // this endpoint's own absolute URL: the assertion's required "aud"
  std::chrono::seconds token_lifetime{300};
  // An assertion's exp may lie at most this far ahead (SMART: 5 minutes).
  std::chrono::seconds max_assertion_lifetime{300};
  std::chrono::seconds clock_skew{30};       // tolerance for exp and nbf
  std::size_t max_tokens = 100'000;          // live access tokens held at once
  std::size_t max_replay_entries = 100'000;  // unexpired jti remembered at once
  // The clock, in Unix milliseconds; empty: the system clock. For tests.
  std::function<std::int64_t()> now_ms;
};

// The form fields of a token request (RFC 6749 4.4.2, RFC 7521 4.2).
struct TokenRequest {
  std::string grant_type;
  std::string client_assertion_type;
  std::string client_assertion;  // never logged
  std::string scope;
  std::optional<std::string> client_id;  // optional; must match the assertion when sent
};

// A successful answer (RFC 6749 5.1).
struct IssuedToken {
  std::string access_token;     // never logged
  std::int64_t expires_in = 0;  // seconds
  std::string scope;            // granted, v2 form
  std::string client_id;
};

// An error answer (RFC 6749 5.2).
struct TokenError {
  int http_status = 400;  // 400; 401 for invalid_client; 503 when the tables are full
  std::string error;      // invalid_request, invalid_client, invalid_grant, invalid_scope,
                          // unsupported_grant_type, temporarily_unavailable
  std::string description;
  std::string client_id;  // when known, for the log
};

// What a valid access token carries.
struct AccessGrant {
  std::string client_id;
  ScopeSet scope;
  std::int64_t expires_at_ms = 0;
};

// Thread-safe: one instance serves every io thread.
class TokenService {
 public:
  TokenService(TokenServiceOptions options, std::vector<RegisteredClient> clients);

  // Checks `request` and issues a token, or says why not.
  std::variant<IssuedToken, TokenError> Exchange(const TokenRequest& request);

  // The grant of a live token; nullptr for unknown and expired tokens.
  std::shared_ptr<const AccessGrant> Lookup(std::string_view access_token) const;

  const TokenServiceOptions& options() const { return options_; }
  const std::vector<RegisteredClient>& clients() const { return clients_; }

  // Live tokens and remembered jti values (for tests and metrics).
  std::size_t TokenCountForTest() const;
  std::size_t ReplayCountForTest() const;

 private:
  std::int64_t NowMs() const;
  // Checks the assertion; the client on success.
  std::variant<const RegisteredClient*, TokenError> CheckAssertion(const TokenRequest& request,
                                                                   std::int64_t now_ms);

  TokenServiceOptions options_;
  std::vector<RegisteredClient> clients_;

  mutable std::shared_mutex mutex_;
  // SHA-256 of the token -> grant: the tokens themselves are not kept.
  std::unordered_map<std::string, std::shared_ptr<const AccessGrant>> tokens_;
  // "client_id\njti" -> the assertion's exp (Unix ms) plus skew.
  std::unordered_map<std::string, std::int64_t> seen_jti_;
  std::int64_t last_purge_ms_ = 0;  // expired entries go at most once a minute
};

}  // namespace fhirengine::auth

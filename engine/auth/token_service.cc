// Assertion checks, scope narrowing and the in-memory token table.
#include "engine/auth/token_service.h"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <charconv>
#include <cmath>

#include "engine/auth/base64url.h"
#include "engine/core/time_format.h"
#include "engine/json/json_parser.h"

namespace fhirengine::auth {
namespace {

constexpr std::size_t kTokenBytes = 32;  // 256 bits
constexpr std::size_t kMaxJtiBytes = 256;

TokenError Error(int status, std::string error, std::string description,
                 std::string client_id = {}) {
  return TokenError{status, std::move(error), std::move(description), std::move(client_id)};
}

std::string Sha256(std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  FE_CHECK(EVP_Digest(data.data(), data.size(), digest, &len, EVP_sha256(), nullptr) == 1);
  return std::string(reinterpret_cast<const char*>(digest), len);
}

// A NumericDate (RFC 7519 2): seconds, possibly fractional; nullopt if absent or not a number.
std::optional<std::int64_t> NumericDateMs(const json::Value& payload, std::string_view name) {
  const json::Value* v = payload.Find(name);
  if (v == nullptr || !v->IsNumber()) return std::nullopt;
  const std::string text(v->text());
  double seconds = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), seconds);
  if (ec != std::errc() || !std::isfinite(seconds) || seconds < 0 || seconds > 1e11) {
    return std::nullopt;
  }
  return static_cast<std::int64_t>(seconds * 1000.0);
}

std::optional<std::string_view> StringClaim(const json::Value& payload, std::string_view name) {
  const json::Value* v = payload.Find(name);
  if (v == nullptr || !v->IsString()) return std::nullopt;
  return v->text();
}

bool AudienceMatches(const json::Value& payload, std::string_view token_url) {
  const json::Value* aud = payload.Find("aud");
  if (aud == nullptr) return false;
  if (aud->IsString()) return aud->text() == token_url;
  for (const json::Value& a : aud->elements()) {
    if (a.IsString() && a.text() == token_url) return true;
  }
  return false;
}

}  // namespace

TokenService::TokenService(TokenServiceOptions options, std::vector<RegisteredClient> clients)
    : options_(std::move(options)), clients_(std::move(clients)) {}

std::int64_t TokenService::NowMs() const {
  return options_.now_ms ? options_.now_ms() : NowUnixMs();
}

std::variant<const RegisteredClient*, TokenError> TokenService::CheckAssertion(
    const TokenRequest& request, std::int64_t now_ms) {
  Result<DecodedJws> jws = DecodeJws(request.client_assertion);
  if (!jws.ok()) return Error(401, "invalid_client", "client_assertion: " + jws.status().message());
  Result<json::Document> doc = json::Parse(jws->payload_json);
  if (!doc.ok() || !doc->root().IsObject()) {
    return Error(401, "invalid_client", "client_assertion: the payload is not a JSON object");
  }
  const json::Value& claims = doc->root();
  const auto iss = StringClaim(claims, "iss");
  const auto sub = StringClaim(claims, "sub");
  if (!iss || iss->empty() || !sub || *iss != *sub) {
    return Error(401, "invalid_client", "client_assertion: iss and sub must both be the client_id");
  }
  const std::string client_id(*iss);
  if (request.client_id && *request.client_id != client_id) {
    return Error(401, "invalid_client", "client_id does not match the assertion's iss", client_id);
  }
  const RegisteredClient* client = nullptr;
  for (const RegisteredClient& c : clients_) {
    if (c.client_id == client_id) client = &c;
  }
  if (client == nullptr) {
    return Error(401, "invalid_client", "the client is not registered", client_id);
  }
  if (!jws->kid) {
    return Error(401, "invalid_client", "client_assertion: the header has no kid", client_id);
  }
  const Jwk* key = client->keys.Find(jws->kid);
  if (key == nullptr) {
    return Error(401, "invalid_client",
                 "client_assertion: no registered key of this client has kid \"" +
                     jws->kid->substr(0, 64) + "\"",
                 client_id);
  }
  if (key->alg && *key->alg != jws->alg) {
    return Error(401, "invalid_client",
                 "client_assertion: alg " + std::string(JwsAlgorithmName(jws->alg)) +
                     " does not match the key's " + std::string(JwsAlgorithmName(*key->alg)),
                 client_id);
  }
  if (Status s = VerifyJws(*jws, *key->key); !s.ok()) {
    return Error(401, "invalid_client", "client_assertion: " + s.message(), client_id);
  }
  // The signature holds: the claims are the client's own.
  if (!AudienceMatches(claims, options_.token_url)) {
    return Error(401, "invalid_client",
                 "client_assertion: aud must be this token endpoint, " + options_.token_url,
                 client_id);
  }
  const std::int64_t skew_ms = options_.clock_skew.count() * 1000;
  const std::optional<std::int64_t> exp = NumericDateMs(claims, "exp");
  if (!exp) return Error(401, "invalid_client", "client_assertion: exp is required", client_id);
  if (*exp + skew_ms <= now_ms) {
    return Error(401, "invalid_client", "client_assertion: expired (exp is past)", client_id);
  }
  if (*exp > now_ms + options_.max_assertion_lifetime.count() * 1000 + skew_ms) {
    return Error(401, "invalid_client",
                 "client_assertion: exp lies more than " +
                     std::to_string(options_.max_assertion_lifetime.count()) + " s in the future",
                 client_id);
  }
  if (const std::optional<std::int64_t> nbf = NumericDateMs(claims, "nbf");
      nbf && *nbf > now_ms + skew_ms) {
    return Error(401, "invalid_client", "client_assertion: not valid yet (nbf)", client_id);
  }
  const auto jti = StringClaim(claims, "jti");
  if (!jti || jti->empty() || jti->size() > kMaxJtiBytes) {
    return Error(401, "invalid_client",
                 "client_assertion: jti is required (a unique string of at most 256 bytes)",
                 client_id);
  }
  std::unique_lock lock(mutex_);
  if (now_ms - last_purge_ms_ >= 60'000) {
    last_purge_ms_ = now_ms;
    std::erase_if(seen_jti_, [now_ms](const auto& e) { return e.second <= now_ms; });
    std::erase_if(tokens_, [now_ms](const auto& e) { return e.second->expires_at_ms <= now_ms; });
  }
  const std::string replay_key = client_id + "\n" + std::string(*jti);
  if (auto it = seen_jti_.find(replay_key); it != seen_jti_.end() && it->second > now_ms) {
    return Error(401, "invalid_client", "client_assertion: this jti was used before", client_id);
  }
  if (seen_jti_.size() >= options_.max_replay_entries) {
    std::erase_if(seen_jti_, [now_ms](const auto& e) { return e.second <= now_ms; });
    if (seen_jti_.size() >= options_.max_replay_entries) {
      return Error(503, "temporarily_unavailable",
                   "too many assertions in flight; try again shortly", client_id);
    }
  }
  seen_jti_[replay_key] = *exp + skew_ms;
  return client;
}

std::variant<IssuedToken, TokenError> TokenService::Exchange(const TokenRequest& request) {
  if (request.grant_type.empty()) return Error(400, "invalid_request", "grant_type is required");
  if (request.grant_type != "client_credentials") {
    return Error(400, "unsupported_grant_type", "grant_type must be client_credentials");
  }
  if (request.client_assertion_type != kJwtBearerAssertionType) {
    return Error(400, "invalid_request",
                 "client_assertion_type must be " + std::string(kJwtBearerAssertionType));
  }
  if (request.client_assertion.empty()) {
    return Error(400, "invalid_request", "client_assertion is required");
  }
  if (request.scope.empty()) return Error(400, "invalid_request", "scope is required");
  Result<ScopeSet> requested = ScopeSet::Parse(request.scope);
  if (!requested.ok()) return Error(400, "invalid_scope", requested.status().message());
  const std::int64_t now_ms = NowMs();
  auto checked = CheckAssertion(request, now_ms);
  if (TokenError* e = std::get_if<TokenError>(&checked)) return std::move(*e);
  const RegisteredClient& client = *std::get<const RegisteredClient*>(checked);
  ScopeSet granted = client.scope.Narrow(*requested);
  if (granted.empty()) {
    return Error(400, "invalid_scope",
                 "none of the requested scopes is allowed for this client (allowed: " +
                     client.scope.ToString() + ")",
                 client.client_id);
  }
  unsigned char random[kTokenBytes];
  if (RAND_bytes(random, sizeof random) != 1) {
    return Error(503, "temporarily_unavailable", "no randomness available", client.client_id);
  }
  IssuedToken issued;
  issued.access_token =
      Base64UrlEncode(std::string_view(reinterpret_cast<const char*>(random), sizeof random));
  issued.expires_in = options_.token_lifetime.count();
  issued.scope = granted.ToString();
  issued.client_id = client.client_id;
  auto grant = std::make_shared<AccessGrant>();
  grant->client_id = client.client_id;
  grant->scope = std::move(granted);
  grant->expires_at_ms = now_ms + options_.token_lifetime.count() * 1000;
  std::unique_lock lock(mutex_);
  if (tokens_.size() >= options_.max_tokens) {
    std::erase_if(tokens_, [now_ms](const auto& e) { return e.second->expires_at_ms <= now_ms; });
    if (tokens_.size() >= options_.max_tokens) {
      return Error(503, "temporarily_unavailable", "too many live access tokens; try again later",
                   client.client_id);
    }
  }
  tokens_.emplace(Sha256(issued.access_token), std::move(grant));
  return issued;
}

std::shared_ptr<const AccessGrant> TokenService::Lookup(std::string_view access_token) const {
  if (access_token.empty() || access_token.size() > 512) return nullptr;
  const std::string key = Sha256(access_token);
  std::shared_lock lock(mutex_);
  auto it = tokens_.find(key);
  if (it == tokens_.end() || it->second->expires_at_ms <= NowMs()) return nullptr;
  return it->second;
}

std::size_t TokenService::TokenCountForTest() const {
  std::shared_lock lock(mutex_);
  return tokens_.size();
}

std::size_t TokenService::ReplayCountForTest() const {
  std::shared_lock lock(mutex_);
  return seen_jti_.size();
}

}  // namespace fhirengine::auth

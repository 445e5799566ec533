// Client assertions, the token request and the token cache.
#include "engine/auth/smart_backend_client.h"

#include <openssl/rand.h>

#include <algorithm>
#include <charconv>
#include <fstream>

#include "engine/auth/base64url.h"
#include "engine/auth/jwk.h"
#include "engine/auth/token_service.h"
#include "engine/core/log.h"
#include "engine/core/time_format.h"
#include "engine/json/json_parser.h"

namespace fhirengine::auth {
namespace {

constexpr std::size_t kMaxKeyFileBytes = 64 * 1024;
constexpr std::int64_t kMaxAssertionSeconds = 300;

// application/x-www-form-urlencoded value: RFC 3986 unreserved kept, the rest %XX.
std::string FormEncode(std::string_view in) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (char ch : in) {
    const auto c = static_cast<unsigned char>(ch);
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '.' || c == '_' || c == '~') {
      out += ch;
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

std::string_view JsonString(const json::Value& obj, std::string_view name) {
  const json::Value* v = obj.Find(name);
  return v != nullptr && v->IsString() ? v->text() : std::string_view();
}

}  // namespace

Result<std::unique_ptr<SmartBackendClient>> SmartBackendClient::Create(
    SmartBackendClientOptions options, HttpTransport transport) {
  if (!options.token_url.starts_with("https://") && !options.token_url.starts_with("http://")) {
    return InvalidArgument("smart: token_url must be an absolute http(s) URL");
  }
  if (options.client_id.empty()) return InvalidArgument("smart: client_id is required");
  if (options.key_id.empty()) return InvalidArgument("smart: key_id (the kid) is required");
  if (options.scope.empty()) return InvalidArgument("smart: scope is required");
  if (!transport) return InvalidArgument("smart: no transport");
  std::string pem = options.private_key_pem;
  if (pem.empty()) {
    if (options.private_key_file.empty()) {
      return InvalidArgument("smart: private_key_file is required");
    }
    std::ifstream in(options.private_key_file, std::ios::binary);
    if (!in) return IoError("smart: cannot read " + options.private_key_file);
    char buffer[4096];
    while (in.read(buffer, sizeof buffer) || in.gcount() > 0) {
      pem.append(buffer, static_cast<std::size_t>(in.gcount()));
      if (pem.size() > kMaxKeyFileBytes) {
        return InvalidArgument("smart: " + options.private_key_file + " is not a key (too large)");
      }
    }
  }
  Result<KeyHandle> key = ParsePrivateKeyPem(pem);
  if (!key.ok()) {
    return InvalidArgument("smart: " +
                           (options.private_key_file.empty() ? std::string("the private key")
                                                             : options.private_key_file) +
                           ": " + key.status().message());
  }
  if (Status s = CheckKeyForAlgorithm(**key, options.algorithm); !s.ok()) {
    return InvalidArgument("smart: " + s.message());
  }
  return std::unique_ptr<SmartBackendClient>(
      new SmartBackendClient(std::move(options), std::move(key).value(), std::move(transport)));
}

std::int64_t SmartBackendClient::NowMs() const {
  return options_.now_ms ? options_.now_ms() : NowUnixMs();
}

Result<std::string> SmartBackendClient::BuildAssertion() const {
  unsigned char random[24];
  if (RAND_bytes(random, sizeof random) != 1) return Internal("smart: no randomness for the jti");
  const std::string jti =
      Base64UrlEncode(std::string_view(reinterpret_cast<const char*>(random), sizeof random));
  const std::int64_t now_s = NowMs() / 1000;
  const std::int64_t lifetime =
      std::clamp<std::int64_t>(options_.assertion_lifetime.count(), 1, kMaxAssertionSeconds);
  std::string header = "{\"alg\":";
  log::AppendJsonString(header, JwsAlgorithmName(options_.algorithm));
  header += ",\"typ\":\"JWT\",\"kid\":";
  log::AppendJsonString(header, options_.key_id);
  header += '}';
  std::string payload = "{\"iss\":";
  log::AppendJsonString(payload, options_.client_id);
  payload += ",\"sub\":";
  log::AppendJsonString(payload, options_.client_id);
  payload += ",\"aud\":";
  log::AppendJsonString(payload, options_.token_url);
  payload += ",\"iat\":" + std::to_string(now_s) + ",\"exp\":" + std::to_string(now_s + lifetime) +
             ",\"jti\":";
  log::AppendJsonString(payload, jti);
  payload += '}';
  return SignJws(header, payload, *key_, options_.algorithm);
}

Result<std::string> SmartBackendClient::AccessToken() {
  std::lock_guard lock(mutex_);
  const std::int64_t now = NowMs();
  if (!token_.empty() && now < renew_at_ms_) return token_;
  token_.clear();
  Result<std::string> assertion = BuildAssertion();
  if (!assertion.ok()) return assertion.status();
  net::HttpRequest request;
  request.method = "POST";
  request.url = options_.token_url;
  request.headers = {{"Content-Type", "application/x-www-form-urlencoded"},
                     {"Accept", "application/json"}};
  request.body =
      "grant_type=client_credentials&client_assertion_type=" + FormEncode(kJwtBearerAssertionType) +
      "&client_assertion=" + FormEncode(*assertion) + "&scope=" + FormEncode(options_.scope);
  ++token_requests_;
  Result<net::HttpResponse> response = transport_(request);
  if (!response.ok()) {
    return Status(StatusCode::kUnavailable, "smart: token request to " + options_.token_url + ": " +
                                                response.status().message());
  }
  Result<json::Document> doc = json::Parse(response->body);
  const bool object = doc.ok() && doc->root().IsObject();
  if (response->status != 200) {
    std::string detail = "HTTP " + std::to_string(response->status);
    if (object && !JsonString(doc->root(), "error").empty()) {
      detail += ": " + std::string(JsonString(doc->root(), "error"));
      if (std::string_view d = JsonString(doc->root(), "error_description"); !d.empty()) {
        detail += ": " + std::string(d.substr(0, 500));
      }
    }
    const StatusCode code = response->status == 429 || response->status >= 500
                                ? StatusCode::kUnavailable
                                : StatusCode::kFailedPrecondition;
    return Status(code, "smart: the token endpoint " + options_.token_url + " refused: " + detail);
  }
  if (!object) return Internal("smart: the token response is not a JSON object");
  const json::Value& root = doc->root();
  const std::string_view token = JsonString(root, "access_token");
  std::string type(JsonString(root, "token_type"));
  std::transform(type.begin(), type.end(), type.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  const json::Value* expires_in = root.Find("expires_in");
  std::int64_t seconds = 0;
  if (expires_in != nullptr && expires_in->IsNumber()) {
    const std::string_view t = expires_in->text();
    auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), seconds);
    if (ec != std::errc() || end != t.data() + t.size()) seconds = 0;
  }
  if (token.empty() || type != "bearer" || seconds <= 0) {
    return Internal(
        "smart: the token response lacks access_token, token_type bearer or a positive "
        "expires_in");
  }
  // A server may grant long tokens; renewing at least daily bounds the
  // arithmetic below and how long a revoked grant keeps working here.
  seconds = std::min<std::int64_t>(seconds, kMaxCachedTokenSeconds);
  const std::int64_t margin = std::min<std::int64_t>(options_.refresh_margin.count(), seconds / 2);
  token_ = std::string(token);
  renew_at_ms_ = now + (seconds - margin) * 1000;
  return token_;
}

Result<std::string> SmartBackendClient::AuthorizationHeader() {
  Result<std::string> token = AccessToken();
  if (!token.ok()) return token.status();
  return "Bearer " + *token;
}

void SmartBackendClient::Invalidate() {
  std::lock_guard lock(mutex_);
  token_.clear();
  renew_at_ms_ = 0;
}

std::uint64_t SmartBackendClient::token_requests() const {
  std::lock_guard lock(mutex_);
  return token_requests_;
}

}  // namespace fhirengine::auth

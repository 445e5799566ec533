// The settings every pulled HTTP source shares ("auth", "tls", "timeouts",
// "max-concurrent-requests"): their JSON Schema fragments, and parsing into
// the HTTP client's options and an auth description, with file paths
// resolved against the config's folder and checked to exist.
#pragma once

#include <string>

#include "engine/core/status.h"
#include "engine/json/json_value.h"
#include "engine/net/http_client.h"

namespace fhirengine::adapters::http_source {

enum class AuthType { kNone, kBasic, kBearer, kSmartBackend };

struct AuthSettings {
  AuthType type = AuthType::kNone;
  std::string username;  // basic
  std::string password;  // basic (a secret: never logged)
  std::string token;     // bearer (a secret: never logged)
  // smart-backend (SMART Backend Services, client_credentials + private_key_jwt)
  std::string client_id;
  std::string token_url;  // empty: discovered from .well-known/smart-configuration
  std::string private_key_file;
  std::string key_id;
  std::string algorithm = "RS384";  // or ES384
  std::string scope;
};

struct HttpSourceSettings {
  net::HttpClientOptions client;
  AuthSettings auth;
};

// JSON Schema (draft-04) property definitions, for embedding in an adapter's
// settings schema: "auth", "tls", "timeouts", "max-concurrent-requests".
// The text is a comma-separated list of properties (no braces).
std::string HttpSourceSchemaProperties(bool allow_smart_backend);

// Reads the shared keys from `settings` (other keys are ignored here).
// Relative file paths resolve against `config_dir`. kInvalidArgument naming
// the key ("auth.private-key-file: cannot read /etc/x.pem") for missing
// companions (basic without username), unreadable files, a smart-backend
// auth when `allow_smart_backend` is false, or out-of-range numbers.
Result<HttpSourceSettings> ParseHttpSourceSettings(const json::Value& settings,
                                                   const std::string& config_dir,
                                                   bool allow_smart_backend);

// Helpers for the adapters' own keys (kInvalidArgument naming `key`).
Result<std::string> RequiredString(const json::Value& settings, const char* key);
std::string OptionalString(const json::Value& settings, const char* key, std::string fallback = {});
// An integer member in [min, max]; `fallback` when absent.
Result<long long> OptionalInteger(const json::Value& settings, const char* key, long long fallback,
                                  long long min, long long max);
Result<bool> OptionalBool(const json::Value& settings, const char* key, bool fallback);

}  // namespace fhirengine::adapters::http_source

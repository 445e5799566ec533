// The "auth" section of the engine's configuration: SMART Backend Services
// on or off, the access token lifetime, and the registered clients with
// their public keys and the scopes they may be granted.
//
//   "auth": {
//     "mode": "smart",                 // or "off" (loopback only, for the local demo)
//     "token-lifetime-s": 300,
//     "clients": [
//       { "client-id": "regional-engine",
//         "jwks": {"keys": [...]},      // or "jwks-file": "keys/regional-engine.jwks.json"
//         "scope": "system/Location.rs system/Encounter.rs" }
//     ]
//   }
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "engine/auth/token_service.h"
#include "engine/core/status.h"
#include "engine/json/json_value.h"

namespace fhirengine::auth {

enum class AuthMode { kOff, kSmart };

struct AuthConfig {
  AuthMode mode = AuthMode::kOff;  // the default when "auth" is absent
  std::chrono::seconds token_lifetime{300};
  std::vector<RegisteredClient> clients;
};

// Parses the "auth" object. `where` prefixes messages ("demo.json: $.auth").
// "jwks-file" paths are relative to the working directory. kInvalidArgument
// for unknown keys, wrong types, a bad JWKS or scope, "smart" without
// clients, repeated client ids; kIoError for an unreadable jwks-file.
Result<AuthConfig> ParseAuthConfig(const json::Value& value, std::string_view where);

// "off" only when `host` is a loopback address (127.0.0.0/8, ::1,
// localhost): kInvalidArgument otherwise, naming the host.
Status CheckAuthModeForHost(const AuthConfig& config, std::string_view host);

bool IsLoopbackHost(std::string_view host);

}  // namespace fhirengine::auth

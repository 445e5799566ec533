// The guard in front of the FHIR API: a rest::AccessPolicy that accepts
// "Authorization: Bearer <token>" with a live token from the TokenService
// and grants what the token's SMART scopes allow.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "engine/auth/scopes.h"
#include "engine/auth/token_service.h"
#include "engine/rest/access_policy.h"

namespace fhirengine::auth {

// The bit of a SMART permission for an access right.
std::uint8_t PermissionFor(rest::AccessRight right);

// The access of one token: its scopes. Immutable.
class ScopedAccess final : public rest::RequestAccess {
 public:
  explicit ScopedAccess(std::shared_ptr<const AccessGrant> grant) : grant_(std::move(grant)) {}
  std::optional<std::string> MissingScope(std::string_view type,
                                          rest::AccessRight right) const override;
  const AccessGrant& grant() const { return *grant_; }

 private:
  std::shared_ptr<const AccessGrant> grant_;
};

// Thread-safe; `service` must outlive it.
class SmartAccessGuard final : public rest::AccessPolicy {
 public:
  explicit SmartAccessGuard(const TokenService& service) : service_(service) {}

  // kInvalidArgument (answered 401) for a missing or non-Bearer
  // Authorization header and for unknown or expired tokens; the message
  // never repeats the token.
  Result<std::shared_ptr<const rest::RequestAccess>> Authenticate(
      const rest::RestRequest& request) const override;

 private:
  const TokenService& service_;
};

}  // namespace fhirengine::auth

// Bearer token checks and scope decisions for the FHIR API.
#include "engine/auth/access_guard.h"

#include <cctype>

namespace fhirengine::auth {

std::uint8_t PermissionFor(rest::AccessRight right) {
  switch (right) {
    case rest::AccessRight::kCreate:
      return kPermCreate;
    case rest::AccessRight::kRead:
      return kPermRead;
    case rest::AccessRight::kUpdate:
      return kPermUpdate;
    case rest::AccessRight::kDelete:
      return kPermDelete;
    case rest::AccessRight::kSearch:
      return kPermSearch;
  }
  return kAllPermissions;  // unreachable; the strictest answer
}

std::optional<std::string> ScopedAccess::MissingScope(std::string_view type,
                                                      rest::AccessRight right) const {
  const std::uint8_t perm = PermissionFor(right);
  if (grant_->scope.Allows(type, perm)) return std::nullopt;
  return "system/" + std::string(type) + "." + PermissionLetters(perm);
}

Result<std::shared_ptr<const rest::RequestAccess>> SmartAccessGuard::Authenticate(
    const rest::RestRequest& request) const {
  std::string_view header = request.authorization;
  while (!header.empty() && header.front() == ' ') header.remove_prefix(1);
  while (!header.empty() && header.back() == ' ') header.remove_suffix(1);
  if (header.empty()) {
    return InvalidArgument(
        "this server needs an access token: send Authorization: Bearer <token> "
        "(get one at " +
        service_.options().token_url + ")");
  }
  constexpr std::string_view kScheme = "bearer ";
  bool bearer = header.size() > kScheme.size();
  for (std::size_t i = 0; bearer && i < kScheme.size(); ++i) {
    bearer = std::tolower(static_cast<unsigned char>(header[i])) == kScheme[i];
  }
  if (!bearer) return InvalidArgument("the Authorization header is not a Bearer token");
  std::string_view token = header.substr(kScheme.size());
  while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
  std::shared_ptr<const AccessGrant> grant = service_.Lookup(token);
  if (!grant) {
    return InvalidArgument("the access token is unknown or expired; get a new one at " +
                           service_.options().token_url);
  }
  return std::shared_ptr<const rest::RequestAccess>(std::make_shared<ScopedAccess>(grant));
}

}  // namespace fhirengine::auth

// SMART App Launch scopes for backend services: "system/Location.rs",
// "system/*.cruds", and the v1 forms "system/Encounter.read", ".write",
// ".*"; parsed into permissions per resource type (c create, r read/vread/
// instance history, u update/patch, d delete, s search/type history), and
// the granted set (requested narrowed to what a client may have).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "engine/core/status.h"

namespace fhirengine::auth {

// A bit set of SMART v2 permissions.
enum Permission : std::uint8_t {
  kPermCreate = 1,
  kPermRead = 2,
  kPermUpdate = 4,
  kPermDelete = 8,
  kPermSearch = 16,
};
inline constexpr std::uint8_t kAllPermissions = 31;

// "cruds" letters of `perms`, in that order ("rs").
std::string PermissionLetters(std::uint8_t perms);

// One parsed scope.
struct Scope {
  std::string type;  // a resource type name, or "*"
  std::uint8_t perms = 0;
};

// Parses one scope. kInvalidArgument for "patient/" and "user/" scopes (a
// backend service acts as itself), granular scopes with "?" parameters,
// an empty or unordered permission string ("sr"), v1 suffixes other than
// read/write/*, and a type that is not a FHIR name ([A-Z][A-Za-z]*) or "*".
Result<Scope> ParseScope(std::string_view text);

// A set of permissions per resource type. Value type; thread-safe to read.
class ScopeSet {
 public:
  // Parses space-separated scopes (RFC 6749 3.3); the first bad one is the
  // error. At most 100 scopes.
  static Result<ScopeSet> Parse(std::string_view scopes);

  void Add(const Scope& scope);
  bool empty() const { return wildcard_ == 0 && by_type_.empty(); }

  // Whether every bit of `perms` is granted on `type` ("*": on every type,
  // which only a wildcard scope grants).
  bool Allows(std::string_view type, std::uint8_t perms) const;

  // What `requested` may keep under this set (the client's allowed scopes):
  // per type, the requested permissions that are also allowed.
  ScopeSet Narrow(const ScopeSet& requested) const;

  // v2 form, wildcard first, then types in name order:
  // "system/*.rs system/Location.cruds". Types the wildcard already covers
  // fully are left out.
  std::string ToString() const;

 private:
  std::uint8_t PermsFor(std::string_view type) const;

  std::uint8_t wildcard_ = 0;
  std::map<std::string, std::uint8_t, std::less<>> by_type_;
};

}  // namespace fhirengine::auth

// SMART scope parsing, narrowing and rendering.
#include "engine/auth/scopes.h"

#include <vector>

namespace fhirengine::auth {
namespace {

constexpr std::size_t kMaxScopes = 100;
constexpr std::size_t kMaxScopeBytes = 256;
constexpr std::string_view kLetters = "cruds";

bool IsTypeName(std::string_view t) {
  if (t.empty() || t.size() > 64 || t[0] < 'A' || t[0] > 'Z') return false;
  for (char c : t) {
    if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))) {
      return false;
    }
  }
  return true;
}

}  // namespace

std::string PermissionLetters(std::uint8_t perms) {
  std::string out;
  for (std::size_t i = 0; i < kLetters.size(); ++i) {
    if ((perms & (1u << i)) != 0) out += kLetters[i];
  }
  return out;
}

Result<Scope> ParseScope(std::string_view text) {
  const std::string quoted = "scope '" + std::string(text.substr(0, kMaxScopeBytes)) + "'";
  if (text.size() > kMaxScopeBytes) return InvalidArgument(quoted + "... is too long");
  const std::size_t slash = text.find('/');
  if (slash == std::string_view::npos) {
    return InvalidArgument(quoted + " is not a resource scope (system/Type.permissions)");
  }
  const std::string_view context = text.substr(0, slash);
  if (context != "system") {
    return InvalidArgument(quoted + ": a backend service holds system/ scopes only");
  }
  if (text.find('?') != std::string_view::npos) {
    return InvalidArgument(quoted + ": granular scopes (with '?') are not supported");
  }
  const std::string_view rest = text.substr(slash + 1);
  const std::size_t dot = rest.find('.');
  if (dot == std::string_view::npos) return InvalidArgument(quoted + " has no '.permissions'");
  Scope scope;
  scope.type = std::string(rest.substr(0, dot));
  if (scope.type != "*" && !IsTypeName(scope.type)) {
    return InvalidArgument(quoted + ": '" + scope.type + "' is not a resource type or '*'");
  }
  const std::string_view perms = rest.substr(dot + 1);
  if (perms == "read") {
    scope.perms = kPermRead | kPermSearch;
  } else if (perms == "write") {
    scope.perms = kPermCreate | kPermUpdate | kPermDelete;
  } else if (perms == "*") {
    scope.perms = kAllPermissions;
  } else {
    // v2: a non-empty subsequence of "cruds", in that order.
    std::size_t next = 0;
    for (char c : perms) {
      const std::size_t at = kLetters.find(c, next);
      if (at == std::string_view::npos) {
        return InvalidArgument(quoted +
                               ": permissions are letters of 'cruds' in that order, or "
                               "read, write, *");
      }
      scope.perms = static_cast<std::uint8_t>(scope.perms | (1u << at));
      next = at + 1;
    }
    if (scope.perms == 0) return InvalidArgument(quoted + " grants nothing");
  }
  return scope;
}

Result<ScopeSet> ScopeSet::Parse(std::string_view scopes) {
  ScopeSet set;
  std::size_t count = 0;
  std::size_t pos = 0;
  while (pos < scopes.size()) {
    if (scopes[pos] == ' ') {
      ++pos;
      continue;
    }
    std::size_t end = scopes.find(' ', pos);
    if (end == std::string_view::npos) end = scopes.size();
    if (++count > kMaxScopes) {
      return InvalidArgument("more than " + std::to_string(kMaxScopes) + " scopes");
    }
    Result<Scope> scope = ParseScope(scopes.substr(pos, end - pos));
    if (!scope.ok()) return scope.status();
    set.Add(*scope);
    pos = end;
  }
  return set;
}

void ScopeSet::Add(const Scope& scope) {
  if (scope.perms == 0) return;
  if (scope.type == "*") {
    wildcard_ = static_cast<std::uint8_t>(wildcard_ | scope.perms);
  } else {
    std::uint8_t& p = by_type_[scope.type];
    p = static_cast<std::uint8_t>(p | scope.perms);
  }
}

std::uint8_t ScopeSet::PermsFor(std::string_view type) const {
  std::uint8_t perms = wildcard_;
  if (type != "*") {
    if (auto it = by_type_.find(type); it != by_type_.end()) {
      perms = static_cast<std::uint8_t>(perms | it->second);
    }
  }
  return perms;
}

bool ScopeSet::Allows(std::string_view type, std::uint8_t perms) const {
  return (PermsFor(type) & perms) == perms;
}

ScopeSet ScopeSet::Narrow(const ScopeSet& requested) const {
  ScopeSet out;
  out.wildcard_ = static_cast<std::uint8_t>(requested.wildcard_ & wildcard_);
  auto add = [&out](const std::string& type, std::uint8_t perms) {
    if (perms != 0) out.Add(Scope{type, perms});
  };
  // A type named on either side gets what both sides grant it (the other
  // side's wildcard counts for it).
  for (const auto& [type, perms] : requested.by_type_) {
    add(type, static_cast<std::uint8_t>(perms & PermsFor(type)));
  }
  for (const auto& [type, perms] : by_type_) {
    add(type, static_cast<std::uint8_t>(perms & requested.PermsFor(type)));
  }
  return out;
}

std::string ScopeSet::ToString() const {
  std::string out;
  auto append = [&out](std::string_view type, std::uint8_t perms) {
    if (!out.empty()) out += ' ';
    out += "system/";
    out += type;
    out += '.';
    out += PermissionLetters(perms);
  };
  if (wildcard_ != 0) append("*", wildcard_);
  for (const auto& [type, perms] : by_type_) {
    if ((perms & ~wildcard_) != 0) append(type, static_cast<std::uint8_t>(perms | wildcard_));
  }
  return out;
}

}  // namespace fhirengine::auth

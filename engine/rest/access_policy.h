// The hook through which the FHIR API learns what a request may do: who
// sent it (its Authorization header) and which interactions on which
// resource types its credentials grant. Implemented outside engine/rest
// (engine/auth's SMART Backend Services guard); without a policy the API
// is open. Header-only, free of Beast, so implementations need not link
// fe_rest.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "engine/core/status.h"
#include "engine/rest/rest_types.h"

namespace fhirengine::rest {

// The SMART v2 permissions (c r u d s): create; read (read, vread, instance
// history); update (update, patch); delete; search (type search, type
// history).
enum class AccessRight : std::uint8_t { kCreate, kRead, kUpdate, kDelete, kSearch };

// What one authenticated request may do. Immutable; thread-safe.
class RequestAccess {
 public:
  virtual ~RequestAccess() = default;
  // nullopt when `right` on resource type `type` is granted; `type` "*"
  // asks for every type at once (system-level search and history).
  // Otherwise the scope that would grant it ("system/Patient.r"), for the
  // 403 message.
  virtual std::optional<std::string> MissingScope(std::string_view type,
                                                  AccessRight right) const = 0;
};

// Shared by all io threads; thread-safe.
class AccessPolicy {
 public:
  virtual ~AccessPolicy() = default;
  // The access granted to `request`'s credentials, or why there is none
  // (no Authorization header, an unknown or expired token): any error
  // status is answered 401 with its message. Never logs credentials.
  virtual Result<std::shared_ptr<const RequestAccess>> Authenticate(
      const RestRequest& request) const = 0;
};

}  // namespace fhirengine::rest

// The FHIR R4 RESTful interactions over the resource store: capabilities,
// read, vread, create (conditional), update (create-on-update,
// conditional), patch (JSON Patch), delete (conditional), history
// (instance, type, system), search, batch and transaction Bundles,
// conditional headers, Prefer, content negotiation and an OperationOutcome
// for every error.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "engine/core/limits.h"
#include "engine/rest/access_policy.h"
#include "engine/rest/operation_registry.h"
#include "engine/rest/profile_conformance.h"
#include "engine/rest/rest_types.h"
#include "engine/store/resource_store.h"
#include "engine/validation/issue.h"

namespace fhirengine::rest {

struct FhirApiOptions {
  // Absolute base for fullUrl and Location: "http://127.0.0.1:8080/fhir".
  std::string base_url;
  std::string software_version;
  ParseLimits parse_limits;
  std::size_t default_history_count = 100;
  std::size_t max_history_count = 1000;
  // Most entries in one batch or transaction Bundle; more are refused (413).
  std::size_t max_bundle_entries = 10'000;
  // Who may do what (engine/auth's SMART guard); must outlive the API.
  // nullptr: every request is allowed. With a policy every request but GET
  // /fhir/metadata needs credentials (401 login) and each interaction,
  // Bundle entries included, needs its right on its type (403 forbidden).
  const AccessPolicy* access_policy = nullptr;
  // The SMART token endpoint, advertised in the CapabilityStatement's
  // rest.security; empty: none.
  std::string smart_token_url;
  // Operations other parts of the engine answer ($evaluate-measure, ...);
  // must be filled before the API is constructed and outlive it. nullptr: none.
  const OperationRegistry* operations = nullptr;
  // The profiles $validate knows and the ones every create and update of a
  // type must conform to (422 otherwise). nullptr: structural validation
  // only, and $validate knows no profile.
  std::shared_ptr<const ProfileConformance> profiles;
};

// Shared by all io threads; holds no mutable state after construction.
// Reads run on the calling thread (quick SQLite lookups); writes go to the
// store's writer with Submit() and answer through Responder::resume.
class FhirApi final : public RequestHandler {
 public:
  // `store` must outlive this object and every write it submitted.
  FhirApi(store::ResourceStore& store, FhirApiOptions options);

  void Handle(RestRequest request, Responder responder) override;
  RestResponse ProtocolError(int status, std::string_view message) const override;

 private:
  store::ResourceStore& store_;
  FhirApiOptions options_;
  // The CapabilityStatement, serialised once: [json, json pretty, xml, xml pretty].
  std::array<std::string, 4> capabilities_;
};

// The HTTP status for a store failure (kFailedPrecondition 412, kNotFound
// 404, kAlreadyExists 409, kUnavailable 503, kInvalidArgument 400,
// kResourceExhausted 413, others 500), and its OperationOutcome issue type.
int HttpStatusFor(const Status& status);
validation::IssueType IssueTypeFor(int http_status);

// The standard reason phrase ("Not Found"), for entry.response.status.
std::string_view ReasonPhrase(int http_status);

// A new server-assigned id: 32 lowercase hex digits from the kernel CSPRNG.
std::string NewResourceId();

}  // namespace fhirengine::rest

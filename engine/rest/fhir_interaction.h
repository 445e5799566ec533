// What the FHIR interactions share inside engine/rest: the request context,
// OperationOutcome responses, the one write path (PreparePut) and the one
// criteria matcher (FindMatches). Defined in fhir_api.cc; used there and by
// bundle_interaction.cc. Not a public API: nothing outside engine/rest
// includes it.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "engine/fhir/resource_format.h"
#include "engine/json/json_value.h"
#include "engine/rest/fhir_api.h"
#include "engine/rest/negotiation.h"
#include "engine/rest/rest_types.h"
#include "engine/rest/route.h"
#include "engine/store/resource_store.h"
#include "engine/validation/issue.h"

namespace fhirengine::rest {

// What the client asked for, beyond the interaction itself.
struct Context {
  fhir::Format format = fhir::Format::kJson;
  bool pretty = false;
  PreferReturn prefer = PreferReturn::kUnspecified;
  // What the request's credentials allow; null when no policy is set.
  std::shared_ptr<const RequestAccess> access;
};

// The shared state every interaction needs.
struct Env {
  store::ResourceStore& store;
  const FhirApiOptions& options;
};

// Why `ctx.access` does not allow `route` with the search parameters
// `params` (their _include and _revinclude need read on the types they
// pull in): the 403 message naming the missing scope, or nullopt when it is
// allowed (always, without an access policy).
std::optional<std::string> AccessDenied(const Context& ctx, const Route& route,
                                        std::span<const QueryParam> params);

// Why `ctx.access` may not search `type` on the side of another interaction
// (If-None-Exist, ifNoneExist, a transaction's conditional reference): a
// match answers with, or links to, a resource the client may not see
// otherwise. The 403 message naming `what` and the missing scope, or nullopt.
std::optional<std::string> SideSearchDenied(const Context& ctx, std::string_view type,
                                            std::string_view what);

// An OperationOutcome response in the negotiated format.
RestResponse IssuesResponse(const Context& ctx, int status,
                            std::span<const validation::Issue> issues);
// One error issue; its type follows the status (IssueTypeFor).
RestResponse ErrorResponse(const Context& ctx, int status, std::string message);

// base/type/id/_history/version: Location and entry.response.location.
std::string VersionUrl(const std::string& base, const std::string& type, const std::string& id,
                       std::int64_t version);

// Parses the request body as a `type` resource into `out` (syntax only);
// the error response (400, 413, 415) when it is not one.
std::optional<RestResponse> ParseBody(const Env& env, const Context& ctx, const RestRequest& req,
                                      const std::string& type, json::Document& out);

// The stored canonical JSON in the negotiated format.
Result<std::string> RenderStored(const Context& ctx, const std::string& stored_json);

// Structural validation of `resource`: its findings (empty when valid), or
// kInternal when the validator could not run.
Result<std::vector<validation::Issue>> ValidateResource(const json::Value& resource);

// THE validation of every create, update and patch, direct or in a Bundle:
// the structural validation, then the profiles required for `type`
// (env.options.profiles). Its findings when it found an error (empty when
// the resource may be stored), or kInternal when the validator could not run.
Result<std::vector<validation::Issue>> ValidateForWrite(const Env& env, const json::Value& resource,
                                                        std::string_view type);

// THE way every put reaches the store: a deep copy of `resource` with its
// id set, meta.versionId/lastUpdated placeholders and canonical member
// order, owned by the returned op's stamp, which fills in the two values on
// the writer thread and writes the text. `resource` is not changed.
// REQUIRES: `resource` is a valid `type` resource.
store::WriteOp PreparePut(const json::Value& resource, const std::string& type,
                          const std::string& id, std::optional<std::int64_t> expected_version);

// The query parameters of a criteria string "Type?a=1&b=2" or "a=1&b=2";
// kInvalidArgument on bad percent-encoding or when there are none.
Result<std::vector<QueryParam>> ParseCriteria(std::string_view criteria);

// THE criteria matcher behind If-None-Exist, ifNoneExist, conditional
// update and delete, and conditional references in transactions: the
// current, non-deleted `type` resources matching `criteria` (the search
// matcher with strict handling: kInvalidArgument for unknown or unsupported
// parameters), kInternal for store failures.
Result<std::vector<store::StoredResource>> FindMatches(const Env& env, const std::string& type,
                                                       std::span<const QueryParam> criteria);

// THE type-level search behind GET /fhir/{type}?params and search entries
// of batches and transactions: a searchset Bundle as canonical JSON text
// (RunSearch); kInvalidArgument for bad parameters.
Result<std::string> SearchType(const Env& env, const std::string& type,
                               std::span<const QueryParam> params);

// Where a conditional update goes: the one match (updated at its version),
// or, with no match, a new resource (the body's id, else a new one).
struct ConditionalTarget {
  std::string id;
  // The match's version (a concurrent write in between fails with 412), or
  // 0: create only (R5 3.2.0.9.4: no match but the id exists is a 409).
  std::int64_t expected_version = 0;
  bool matched = false;
};

// Resolves PUT type?criteria. `body_id` is the body's id ("" when absent).
// kFailedPrecondition for several matches, kInvalidArgument when the body's
// id differs from the match's, and FindMatches' errors.
Result<ConditionalTarget> ResolveConditionalUpdate(const Env& env, const std::string& type,
                                                   std::span<const QueryParam> criteria,
                                                   std::string_view body_id);

// The HTTP status for a Status of criteria or a search: HttpStatusFor, but
// kUnimplemented is the client's unsupported parameter (400 not-supported),
// not a 501 for the whole interaction.
int CriteriaHttpStatus(const Status& status);

// The criteria of a request: its query without _format and _pretty.
std::vector<QueryParam> CriteriaOf(std::span<const QueryParam> query);

}  // namespace fhirengine::rest

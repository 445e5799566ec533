// Request targets to FHIR interactions: parsing the origin-form target
// (percent-decoding, query parameters) and matching the R4 RESTful URL
// patterns under /fhir. Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "engine/core/status.h"
#include "engine/fhir/type_model.h"

namespace fhirengine::rest {

inline constexpr std::string_view kFhirBasePath = "/fhir";

struct QueryParam {
  std::string name;
  std::string value;
};

struct RequestTarget {
  std::string path;                   // as sent, without the query: for logs
  std::vector<std::string> segments;  // decoded; "/fhir/Patient/1" -> {fhir, Patient, 1}
  std::vector<QueryParam> query;      // decoded, in order; repeats kept

  // The first value of `name`, or nullptr.
  const std::string* Find(std::string_view name) const;
};

// Parses "/path?query". kInvalidArgument for targets that are not
// origin-form (absolute URLs, '*'), bad percent-encoding or NUL bytes.
Result<RequestTarget> ParseRequestTarget(std::string_view target);

// Parses "a=1&b=x%20y" ('+' is a space) into `out`; kInvalidArgument on bad
// percent-encoding.
Status ParseQueryString(std::string_view query, std::vector<QueryParam>& out);

// Percent-encodes a query parameter name or value for links the server
// writes: RFC 3986 unreserved characters and ':' stay as they are (so
// "_include=Encounter:location" reads as written), everything else is %XX.
std::string EncodeQueryComponent(std::string_view in);

// FHIR ids: [A-Za-z0-9\-\.]{1,64}.
bool IsValidId(std::string_view id);

enum class Interaction {
  kHealth,
  kCapabilities,
  kRead,
  kVread,
  kCreate,
  kUpdate,
  kPatch,
  kDelete,
  kHistoryInstance,
  kHistoryType,
  kHistorySystem,
  kSearchType,         // GET [type]?..., POST [type]/_search
  kSearchSystem,       // GET ?..., POST _search
  kBatch,              // POST /fhir with a batch or transaction Bundle
  kConditionalUpdate,  // PUT /fhir/{type}?criteria
  kConditionalDelete,  // DELETE /fhir/{type}?criteria
  kValidate,           // POST /fhir/{type}/$validate, POST /fhir/{type}/{id}/$validate
};

struct Route {
  Interaction interaction = Interaction::kCapabilities;
  std::string type;          // resource type, when the URL names one
  std::string id;            // resource id, instance-level interactions
  std::int64_t version = 0;  // vread only
};

// Why a target does not map to an implemented interaction.
struct RouteError {
  int http_status = 404;  // 400 bad id, 404 unknown, 405 wrong method, 501 not implemented
  std::string message;
  std::string allow;  // the Allow header for 405
};

using RouteResult = std::variant<Route, RouteError>;

// Matches `method` and decoded `segments` against the interactions this
// server implements. HEAD is accepted wherever GET is.
RouteResult MatchRoute(std::string_view method, std::span<const std::string> segments,
                       const fhir::TypeModel& model = fhir::TypeModel::R4());

}  // namespace fhirengine::rest

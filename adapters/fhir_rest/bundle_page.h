// One page of a FHIR search or history response: the Bundle (JSON or XML)
// turned into entries ready to become source records, plus its `next` link.
// Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/core/limits.h"
#include "engine/core/status.h"
#include "engine/fhir/resource_format.h"

namespace fhirengine::adapters::fhir_rest {

struct BundlePageEntry {
  std::string resource_json;  // the resource as compact JSON; empty when the entry has none
  std::string resource_type;
  std::string id;
  std::string version_id;  // meta.versionId (or from the history entry's etag W/"n")
  // meta.lastUpdated, or for a history entry without resource its
  // response.lastModified.
  std::optional<std::int64_t> last_updated_ms;
  std::string full_url;
  std::string request_method;  // history Bundles: "PUT", "POST", "DELETE"...
  // A history entry recording a deletion: request.method DELETE, or no
  // resource at all.
  bool deleted = false;
};

struct BundlePage {
  std::string type;  // Bundle.type: "searchset", "history"
  std::vector<BundlePageEntry> entries;
  std::string next_link;                       // link with relation "next"; empty on the last page
  std::optional<std::int64_t> bundle_time_ms;  // Bundle.meta.lastUpdated
};

// Parses `body` (a Bundle in `format`). Search entries whose search.mode is
// "include" or "outcome" are skipped (they are not matches). History entries
// are kept, deletions marked. kInvalidArgument when the body is not a Bundle
// (an OperationOutcome's diagnostics are quoted), an entry's resource has no
// resourceType or id, or a timestamp is malformed; kResourceExhausted over
// `limits`.
Result<BundlePage> ParseBundlePage(std::string_view body, fhir::Format format,
                                   const ParseLimits& limits = {});

// "Location/123" or ".../Location/123/_history/4" -> type and id; false when
// the reference has no Type/id pair.
bool SplitTypeAndId(std::string_view reference, std::string& type, std::string& id);

}  // namespace fhirengine::adapters::fhir_rest

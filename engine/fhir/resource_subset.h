// The _summary and _elements forms of a resource (FHIR R4 search.html#summary
// and #elements): which elements a subset keeps, driven by the type model's
// isSummary and cardinality, and the SUBSETTED tag that marks the result.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "engine/core/status.h"
#include "engine/fhir/type_model.h"
#include "engine/json/json_value.h"

namespace fhirengine::fhir {

enum class SummaryMode {
  kFalse,  // the whole resource
  kTrue,   // elements marked isSummary (recursively), plus id and meta
  kText,   // text, id, meta and the top-level mandatory elements
  kData,   // everything but text
  kCount,  // searches only: the caller answers with a count, never a resource
};

// Parses a _summary value ("true", "text", "data", "count", "false"; case
// sensitive, as the specification's codes are). kInvalidArgument otherwise.
Result<SummaryMode> ParseSummaryMode(std::string_view text);

// Limits on an _elements list, so a query string cannot make us do
// unbounded work.
inline constexpr std::size_t kMaxElementNames = 100;
inline constexpr std::size_t kMaxElementNameLength = 128;

// Splits an _elements value ("identifier,active, name") into names.
// kInvalidArgument for an empty list or name, a name with characters an
// element name cannot have, or more than the limits above.
Result<std::vector<std::string>> ParseElementsList(std::string_view text);

// The SUBSETTED tag (http://terminology.hl7.org/CodeSystem/v3-ObservationValue).
inline constexpr std::string_view kSubsettedSystem =
    "http://terminology.hl7.org/CodeSystem/v3-ObservationValue";
inline constexpr std::string_view kSubsettedCode = "SUBSETTED";

struct SubsetOutcome {
  // Something was removed, so the resource now carries the SUBSETTED tag.
  bool subsetted = false;
  // _elements names the resource type does not define, in request order
  // (ignored by the subset; strict handling rejects the request with them).
  std::vector<std::string> unknown_elements;
};

// Replaces `resource`, which must live in `doc`, with its `mode` form; adds
// meta.tag SUBSETTED when anything was removed (once: an existing SUBSETTED
// tag is not repeated). Contained and other nested resources (Bundle.entry.
// resource) follow the same rules under _summary=true, each tagged itself.
// Primitive extensions ("_name") follow their element; an extension kept in
// a summary is kept whole (its url and value are not summary elements, but an
// extension without them means nothing). Members the definitions do not
// know are kept by data (it removes only text) and dropped by true and text.
// kInvalidArgument when `resource` is not an object with a known concrete
// resourceType, or for kCount (a search-only mode the caller handles).
// Thread safety: as `doc` (the model is immutable).
Result<SubsetOutcome> ApplySummary(json::Document& doc, json::Value& resource, SummaryMode mode,
                                   const TypeModel& model = TypeModel::R4());

// Replaces `resource` with the elements named in `names` (top-level element
// names: "identifier", "value" or "value[x]" for a whole choice,
// "valueQuantity" for one of its types), plus resourceType, id, meta and the
// mandatory top-level elements; tags it SUBSETTED when anything was removed.
// Names the type does not define are listed in the outcome, not applied;
// members the definitions do not know are dropped.
// kInvalidArgument as for ApplySummary.
Result<SubsetOutcome> ApplyElements(json::Document& doc, json::Value& resource,
                                    std::span<const std::string> names,
                                    const TypeModel& model = TypeModel::R4());

}  // namespace fhirengine::fhir

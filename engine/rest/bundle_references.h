// Reference rewriting for transaction Bundles: finds every reference in a
// resource (Reference.reference at any depth, inside contained resources and
// extensions too) and replaces the ones a transaction resolves, such as
// urn:uuid: fullUrls, with the Type/id the server assigned. Pure; thread-safe
// on distinct documents.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "engine/core/status.h"
#include "engine/json/json_value.h"

namespace fhirengine::rest {

// Given a reference's text, the text to put in its place (nullopt: keep it),
// or an error that stops the rewrite.
using ReferenceResolver = std::function<Result<std::optional<std::string>>(std::string_view)>;

// Calls `resolve` on the string value of every member named "reference" in
// `resource` (which lives in `doc`), depth first in document order, and
// replaces the values it answers for. In R4 every string member named
// "reference" is Reference.reference or a uri element (DetectedIssue,
// Expression, Immunization.education), which FHIR's transaction rules rewrite
// as well; Identifier-typed "reference" members are objects and are entered,
// not resolved. Returns the first error of `resolve`, else OK.
Status RewriteReferences(json::Document& doc, json::Value& resource,
                         const ReferenceResolver& resolve);

// Whether `url` is a local identifier a transaction assigns: urn:uuid: or
// urn:oid: (FHIR R4 3.1.0.11.2).
bool IsLocalUrn(std::string_view url);

// Whether `reference` is a conditional reference "Type?criteria" (FHIR R4
// 3.1.0.11.2): a resource type name, then '?'.
bool IsConditionalReference(std::string_view reference);

}  // namespace fhirengine::rest

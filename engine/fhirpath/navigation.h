// Walking a resource's JSON tree the way FHIRPath sees it: elements by name
// (choice elements by their base name, primitives together with their
// "_name" twins, contained resources typed by their resourceType) and all
// children of an element in order.
#pragma once

#include <string_view>

#include "engine/fhir/type_model.h"
#include "engine/fhirpath/value.h"

namespace fhirengine::fhirpath::internal {

// The input item for a resource (or untyped JSON when it has no known
// resourceType).
Node RootNode(const json::Value& resource, const fhir::TypeModel& model);

// Appends the elements of `node` named `name` (in document order). Returns
// false when `name` is not an element of the node's type, so the caller can
// report a misspelt path; untyped nodes accept any name. With
// `lenient_choice` the JSON names of choice elements (valueQuantity) work too.
bool AppendMember(const Node& node, std::string_view name, const fhir::TypeModel& model,
                  bool lenient_choice, Collection& out);

// Appends every child element of `node` (FHIRPath children()); for a
// primitive, the id and extensions of its "_name" twin.
void AppendChildren(const Node& node, const fhir::TypeModel& model, Collection& out);

// Appends the extensions of `node` whose url is `url` (extension(url)).
void AppendExtensions(const Node& node, std::string_view url, const fhir::TypeModel& model,
                      Collection& out);

}  // namespace fhirengine::fhirpath::internal

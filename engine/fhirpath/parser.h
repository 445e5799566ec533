// Recursive-descent parser from FHIRPath tokens to the compiled tree,
// following the N1 grammar and operator precedence; depth-limited so that
// hostile nesting is an error, never a stack overflow.
#pragma once

#include <memory>
#include <string_view>

#include "engine/core/status.h"
#include "engine/fhir/type_model.h"
#include "engine/fhirpath/ast.h"

namespace fhirengine::fhirpath::internal {

// Parses `text` into a tree. Errors are kInvalidArgument with the position;
// kResourceExhausted when the tree would be deeper than `max_depth`.
Result<std::unique_ptr<Ast>> Parse(std::string_view text, const fhir::TypeModel& model,
                                   int max_depth);

// Resolves a type name as written ("Patient", "FHIR.string", "System.Integer").
Result<TypeSpec> ResolveTypeSpec(std::string_view text, const fhir::TypeModel& model);

}  // namespace fhirengine::fhirpath::internal

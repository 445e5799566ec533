// Evaluates a compiled FHIRPath tree: path navigation, operators with
// three-valued logic and empty propagation, the functions that evaluate an
// argument per item ($this, $index, $total), variables and resolve().
#pragma once

#include <string_view>

#include "engine/core/status.h"
#include "engine/fhirpath/ast.h"
#include "engine/fhirpath/fhirpath.h"

namespace fhirengine::fhirpath::internal {

// Evaluates `root` (compiled from `text`, used for error positions) on
// `input`. Recursion is bounded by the tree's height (checked at compile time).
Result<Collection> EvaluateAst(const Ast& root, std::string_view text, const Collection& input,
                               const EvaluationContext& context);

}  // namespace fhirengine::fhirpath::internal

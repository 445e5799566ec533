// A native check of the invariant FHIR R4 puts on every element: ele-1. It
// gives exactly the verdict the FHIRPath evaluator gives for the same node
// (tests/unit/fhirpath and the corpus test compare both) without walking an
// expression tree. ext-1 is not here: on Extension nodes with both or neither
// of value[x] and extensions the evaluator answers true where the plain
// reading of the expression gives false (found by the comparison test), and a
// native check must not change results; it stays FHIRPath until that is settled.
#pragma once

#include <optional>
#include <string_view>

#include "engine/fhir/type_model.h"
#include "engine/fhirpath/value.h"

namespace fhirengine::fhirpath {

enum class ElementInvariant : std::uint8_t {
  kNone,
  kEle1,  // hasValue() or (children().count() > id.count())
};

// The native check for a constraint, chosen by its key AND its exact
// expression text: a profile that changes the expression gets kNone (and is
// evaluated as FHIRPath).
ElementInvariant FindElementInvariant(std::string_view key, std::string_view expression);

// The invariant's verdict on `node` (the focus the expression would get), or
// std::nullopt when the native check does not decide it (an element name the
// node's type does not know, which the evaluator reports as an error): the
// caller then evaluates the expression itself.
std::optional<bool> CheckElementInvariant(ElementInvariant invariant, const Node& node,
                                          const fhir::TypeModel& model);

}  // namespace fhirengine::fhirpath

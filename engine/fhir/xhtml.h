// The Narrative div (FHIR type xhtml): checking it and moving it between its
// JSON form (a string) and its XML form (an inline element).
#pragma once

#include <string>
#include <string_view>

namespace fhirengine::fhir {

// Returns "" when `div` is well-formed XML whose root is <div> in the XHTML
// namespace (http://www.w3.org/1999/xhtml), without DOCTYPE or entity
// declarations; otherwise a short reason.
std::string CheckXhtmlDiv(std::string_view div);

}  // namespace fhirengine::fhir

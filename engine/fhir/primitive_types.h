// Lexical rules of the R4 primitive types, written out by hand (fast, no
// backtracking, no recursion) to match the official regexes; the unit tests
// check them against those regexes.
#pragma once

#include <string>
#include <string_view>

#include "engine/fhir/type_model.h"

namespace fhirengine::fhir {

// Returns an empty string when `text` is a valid lexical form of `type`,
// otherwise a short reason ("not a valid date: month 13").
// xhtml is checked by xhtml.h, not here (always valid here).
std::string CheckPrimitive(Primitive type, std::string_view text);

// True for a JSON number text that is valid for FHIR's decimal (the JSON number grammar).
bool IsJsonNumber(std::string_view text);

// Text with control characters other than tab, CR and LF (which FHIR strings
// may not contain and XML 1.0 cannot carry)?
bool HasForbiddenControlCharacter(std::string_view text);

}  // namespace fhirengine::fhir

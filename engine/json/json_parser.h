// Parses JSON text into a json::Document, enforcing ParseLimits and the rules
// FHIR adds to JSON: valid UTF-8, no duplicate member names.
#pragma once

#include <string_view>

#include "engine/core/limits.h"
#include "engine/core/status.h"
#include "engine/json/json_value.h"

namespace fhirengine::json {

// Returns the document, or kInvalidArgument for malformed JSON (the message
// names line and column: "line 3, column 14: missing a comma ..."), or
// kResourceExhausted when a limit is hit. A leading UTF-8 BOM is skipped.
// Never recurses on input nesting (iterative parser), so any input is safe.
Result<Document> Parse(std::string_view text, const ParseLimits& limits = {});

}  // namespace fhirengine::json

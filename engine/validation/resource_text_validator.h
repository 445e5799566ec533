// The whole check of one resource text, as every entry point needs it (CLI
// validate, tests, and later the REST $validate): detect the format, parse
// within limits, validate the structure. Parse failures become issues too.
#pragma once

#include <string_view>
#include <vector>

#include "engine/core/limits.h"
#include "engine/fhir/type_model.h"
#include "engine/validation/issue.h"

namespace fhirengine::validation {

// Every finding for `text` (JSON or XML, detected from the content). Empty
// when the resource is valid. Thread-safe.
std::vector<Issue> ValidateResourceText(std::string_view text, const ParseLimits& limits = {},
                                        const fhir::TypeModel& model = fhir::TypeModel::R4());

}  // namespace fhirengine::validation

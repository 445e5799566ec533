// Structural validation of a resource against the base R4 definitions:
// known resourceType, known elements, JSON kinds of primitives, lexical forms
// of primitives, cardinality, no empty objects/arrays/strings, the JSON rules
// for primitive extensions ("_name") and choice types.
#pragma once

#include "engine/core/status.h"
#include "engine/fhir/type_model.h"
#include "engine/json/json_value.h"
#include "engine/validation/issue.h"

namespace fhirengine::validation {

// Reports every finding to `sink` with a FHIRPath expression
// ("Patient.name[0].given[1]"). Thread-safe (the model is immutable).
// Returns OK whenever validation ran, whatever it found.
Status ValidateStructure(const json::Value& resource, IssueSink& sink,
                         const fhir::TypeModel& model = fhir::TypeModel::R4());

}  // namespace fhirengine::validation

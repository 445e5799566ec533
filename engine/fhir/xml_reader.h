// Reads FHIR XML (http://hl7.org/fhir namespace) into the JSON model, driven by
// the type model: repeating elements become arrays, value attributes become
// JSON strings, numbers or booleans by their type, primitive ids and
// extensions become "_name" members, the XHTML div is carried as text.
#pragma once

#include <string_view>

#include "engine/core/limits.h"
#include "engine/core/status.h"
#include "engine/fhir/type_model.h"
#include "engine/json/json_value.h"

namespace fhirengine::fhir {

// Returns the resource as a json::Document (members in definition order, as
// Canonicalize would order them), or kInvalidArgument naming the line and
// element ("line 12: unknown element 'foo' in Patient.contact"), or
// kResourceExhausted when a limit is hit. Errors of well-formedness come
// before errors against the model. Refused besides unknown names: elements
// out of definition order, a non-repeating element twice, text outside the
// div, unknown attributes, primitives without value/id/extension, abstract
// resource types and processing instructions. Comments are dropped and
// xsi:* attributes (xsi:schemaLocation) ignored; the div keeps its comments.
// Safe on hostile input: no DTD, no entities, no network; depth and size
// capped; builds no libxml2 tree. Thread-safe (`model` is immutable).
Result<json::Document> ParseXml(std::string_view xml, const TypeModel& model = TypeModel::R4(),
                                const ParseLimits& limits = {});

}  // namespace fhirengine::fhir

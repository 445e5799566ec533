// Writes a resource held in the JSON model as FHIR XML: elements in definition
// order, value attributes, id/url as attributes, primitive extensions, choice
// names, the XHTML div inline, contained and nested resources.
#pragma once

#include <string>

#include "engine/core/status.h"
#include "engine/fhir/type_model.h"
#include "engine/json/json_value.h"

namespace fhirengine::fhir {

struct XmlWriteOptions {
  bool pretty = false;      // indent with two spaces
  bool declaration = true;  // <?xml version="1.0" encoding="UTF-8"?>
};

// Returns the XML text, or kInvalidArgument naming the JSON path
// ("Patient.name[0].given[1]: ...") when `resource` does not fit the type
// model or XML: unknown resourceType or member, wrong JSON kind, arrays
// where one value is allowed (or the reverse), "name"/"_name" arrays of
// different lengths, empty arrays, a malformed div (CheckXhtmlDiv), or text
// XML 1.0 cannot carry (control characters, invalid UTF-8). Never crashes on
// any json::Value. Cardinality and value rules are the validator's job, not
// checked here. The div's string is written as it is, apart from the escapes
// of AppendXhtmlDivToXml, so that ParseXml gives it back byte for byte.
// Thread-safe (`resource` and `model` are only read).
Result<std::string> WriteXml(const json::Value& resource, const TypeModel& model = TypeModel::R4(),
                             const XmlWriteOptions& options = {});

}  // namespace fhirengine::fhir

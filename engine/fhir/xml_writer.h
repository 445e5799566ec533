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
  bool pretty = false;       // indent with two spaces
  bool declaration = true;   // <?xml version="1.0" encoding="UTF-8"?>
};

// Returns the XML text, or kInvalidArgument when `resource` does not fit the
// type model (unknown resourceType or element, wrong JSON kind, malformed div).
Result<std::string> WriteXml(const json::Value& resource, const TypeModel& model = TypeModel::R4(),
                             const XmlWriteOptions& options = {});

}  // namespace fhirengine::fhir

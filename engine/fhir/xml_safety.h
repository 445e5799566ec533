// The one way the engine parses XML with libxml2: no DTD (a DOCTYPE is
// rejected outright), no entity substitution, no network, no external
// entities, with size and depth capped; errors are returned, never printed.
#pragma once

#include <libxml/tree.h>

#include <memory>
#include <string_view>

#include "engine/core/limits.h"
#include "engine/core/status.h"

namespace fhirengine::fhir {

struct XmlDocDeleter {
  void operator()(xmlDoc* doc) const { xmlFreeDoc(doc); }
};
using XmlDocPtr = std::unique_ptr<xmlDoc, XmlDocDeleter>;

// Parses `xml` safely. kInvalidArgument with "line N: reason" for malformed
// XML or any DOCTYPE; kResourceExhausted for size or depth over the limits.
Result<XmlDocPtr> ParseXmlSafely(std::string_view xml, const ParseLimits& limits);

}  // namespace fhirengine::fhir

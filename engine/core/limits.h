// Hard limits on untrusted input, shared by the JSON and XML readers. Every
// parser takes these explicitly; the defaults suit one FHIR resource or Bundle.
#pragma once

#include <cstddef>

namespace fhirengine {

struct ParseLimits {
  // Whole document, in bytes.
  std::size_t max_document_bytes = 64u << 20;
  // Nesting of objects/arrays (JSON) or elements (XML). Deepest R4 example: 20.
  std::size_t max_depth = 100;
  // One string or attribute value, in bytes (Attachment.data can be large).
  std::size_t max_string_bytes = 32u << 20;
};

}  // namespace fhirengine

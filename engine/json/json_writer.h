// Serialises a json::Value as JSON text: deterministic (member order as held,
// numbers as their exact text), compact or pretty-printed.
#pragma once

#include <string>

#include "engine/json/json_value.h"

namespace fhirengine::json {

struct WriteOptions {
  bool pretty = false;  // two-space indentation, as the FHIR examples
};

std::string Write(const Value& value, const WriteOptions& options = {});
// Appends to `out` (no reallocation churn on hot paths).
void WriteTo(const Value& value, std::string& out, const WriteOptions& options = {});

}  // namespace fhirengine::json

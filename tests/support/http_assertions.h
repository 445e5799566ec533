// What the integration tests ask of an HTTP response: a JSON member by path,
// whether it is an OperationOutcome, and a description for failure messages.
#pragma once

#include <string>
#include <vector>

#include "engine/json/json_value.h"
#include "tests/support/http_client.h"

namespace fhirengine::testing {

// The value at `path` (object keys, or array indexes as decimal strings),
// or nullptr.
const json::Value* JsonFind(const json::Document& doc, const std::vector<std::string>& path);

// The string at `path` in the JSON `body`, or "" when the body does not
// parse, the path is missing or the value is not a string.
std::string JsonString(const std::string& body, const std::vector<std::string>& path);

// Whether `path` exists in the JSON `body`.
bool JsonHas(const std::string& body, const std::vector<std::string>& path);

bool IsOperationOutcome(const HttpResponse& r);

// "status N (error)\n" and the start of the body.
std::string Describe(const HttpResponse& r);

}  // namespace fhirengine::testing

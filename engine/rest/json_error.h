// The error answer of the engine's JSON endpoints outside the FHIR API
// (/health, /admin/, /capacity/...): {"error": "message"} with the status.
#pragma once

#include <string_view>

#include "engine/rest/rest_types.h"

namespace fhirengine::rest {

RestResponse JsonErrorResponse(int status, std::string_view message);

}  // namespace fhirengine::rest

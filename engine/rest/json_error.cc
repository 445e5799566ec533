// {"error": ...} answers (see json_error.h).
#include "engine/rest/json_error.h"

#include "engine/core/log.h"

namespace fhirengine::rest {

RestResponse JsonErrorResponse(int status, std::string_view message) {
  RestResponse r;
  r.status = status;
  r.content_type = "application/json";
  r.body = "{\"error\":";
  log::AppendJsonString(r.body, message);
  r.body += "}";
  return r;
}

}  // namespace fhirengine::rest

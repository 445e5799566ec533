// GET /capacity/summary (see capacity_summary_endpoint.h).
#include "engine/capacity/capacity_summary_endpoint.h"

#include "engine/capacity/capacity_summary_json.h"
#include "engine/rest/json_error.h"

namespace fhirengine::capacity {

void CapacitySummaryEndpoint::Handle(rest::RestRequest request, rest::Responder responder) {
  if (request.method != "GET" && request.method != "HEAD") {
    rest::RestResponse r = ProtocolError(405, "only GET and HEAD are allowed here");
    r.AddHeader("Allow", "GET, HEAD");
    return responder.reply(std::move(r));
  }
  rest::RestResponse r;
  r.status = 200;
  r.content_type = "application/json";
  r.body = CapacitySummaryJson(view_.Snapshot());
  r.AddHeader("Cache-Control", "no-store");
  responder.reply(std::move(r));
}

rest::RestResponse CapacitySummaryEndpoint::ProtocolError(int status,
                                                          std::string_view message) const {
  return rest::JsonErrorResponse(status, message);
}

}  // namespace fhirengine::capacity

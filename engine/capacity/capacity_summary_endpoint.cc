// GET /capacity/summary (see capacity_summary_endpoint.h).
#include "engine/capacity/capacity_summary_endpoint.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "engine/capacity/capacity_summary_json.h"

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
  rest::RestResponse r;
  r.status = status;
  r.content_type = "application/json";
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> w(buffer);
  w.StartObject();
  w.Key("error");
  w.String(message.data(), static_cast<rapidjson::SizeType>(message.size()));
  w.EndObject();
  r.body = std::string(buffer.GetString(), buffer.GetSize());
  return r;
}

}  // namespace fhirengine::capacity

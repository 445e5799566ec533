// GET /capacity/summary: the capacity summary JSON (docs/capacity.md) from a
// CapacityView. Aggregate counts only, no patient data: served without a
// token, like /health.
#pragma once

#include <string_view>

#include "engine/capacity/capacity_model.h"
#include "engine/rest/rest_types.h"

namespace fhirengine::capacity {

class CapacitySummaryEndpoint final : public rest::RequestHandler {
 public:
  // `view` outlives the endpoint.
  explicit CapacitySummaryEndpoint(const CapacityView& view) : view_(view) {}
  // GET or HEAD: 200 with the summary; any other method: 405.
  void Handle(rest::RestRequest request, rest::Responder responder) override;
  rest::RestResponse ProtocolError(int status, std::string_view message) const override;

 private:
  const CapacityView& view_;
};

}  // namespace fhirengine::capacity

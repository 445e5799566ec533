// Dispatches requests to the engine's endpoints by path: exact paths
// (/health, /metrics, /auth/token), prefixes (/admin/), and one fallback
// (the FHIR API) for everything else.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/rest/rest_types.h"

namespace fhirengine::rest {

// Routes are added before the server starts; afterwards the router is
// read-only and thread-safe. Handlers must outlive the router.
class PathRouter : public RequestHandler {
 public:
  explicit PathRouter(RequestHandler& fallback) : fallback_(&fallback) {}

  // `path` matches the target's path exactly ("/health", not "/health/x").
  void AddExact(std::string path, RequestHandler& handler);
  // `prefix` ends with '/' and matches every path below it ("/admin/").
  void AddPrefix(std::string prefix, RequestHandler& handler);

  void Handle(RestRequest request, Responder responder) override;
  // The fallback's answer (an OperationOutcome from the FHIR API).
  RestResponse ProtocolError(int status, std::string_view message) const override;

  // The handler for `target` (origin-form, query ignored).
  RequestHandler& Select(std::string_view target) const;

 private:
  RequestHandler* fallback_;
  std::vector<std::pair<std::string, RequestHandler*>> exact_;
  std::vector<std::pair<std::string, RequestHandler*>> prefixes_;
};

}  // namespace fhirengine::rest

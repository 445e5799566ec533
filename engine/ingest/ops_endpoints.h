// The engine's operations endpoints beside the FHIR API: GET /health (JSON),
// GET /metrics (Prometheus text) and GET /admin/quarantine (JSON list).
// /health and /metrics carry no patient data and stay open; /admin/ is
// where authorisation must apply (see serve_command.cc).
#pragma once

#include <string>

#include "engine/ingest/ingest_service.h"
#include "engine/rest/access_policy.h"
#include "engine/rest/rest_types.h"

namespace fhirengine::ingest {

class HealthEndpoint final : public rest::RequestHandler {
 public:
  explicit HealthEndpoint(const IngestService& service) : service_(service) {}
  void Handle(rest::RestRequest request, rest::Responder responder) override;
  rest::RestResponse ProtocolError(int status, std::string_view message) const override;

 private:
  const IngestService& service_;
};

class MetricsEndpoint final : public rest::RequestHandler {
 public:
  explicit MetricsEndpoint(const IngestService& service) : service_(service) {}
  void Handle(rest::RestRequest request, rest::Responder responder) override;
  rest::RestResponse ProtocolError(int status, std::string_view message) const override;

 private:
  const IngestService& service_;
};

// GET /admin/quarantine?adapter=NAME&_count=N&_offset=M: newest first,
// {"total": n, "entries": [{"seq", "adapter", "received", "locator",
// "reason", "record"}]}. _count 1..1000 (default 100). Quarantined records
// may carry patient data: with an access policy (SMART auth on) a request
// needs a token whose scopes read every type (system/*.r), else 401/403.
class QuarantineEndpoint final : public rest::RequestHandler {
 public:
  QuarantineEndpoint(const store::ResourceStore& store, const rest::AccessPolicy* policy)
      : store_(store), policy_(policy) {}
  void Handle(rest::RestRequest request, rest::Responder responder) override;
  rest::RestResponse ProtocolError(int status, std::string_view message) const override;

 private:
  const store::ResourceStore& store_;
  const rest::AccessPolicy* policy_;  // null: open (auth off)
};

// The quarantine page as JSON, shared by the endpoint and the CLI;
// kInvalidArgument for a bad query.
Result<std::string> QuarantineJson(const store::ResourceStore& store, std::string_view query);

}  // namespace fhirengine::ingest

// The HTTP face of the authorization server: POST /auth/token (an OAuth 2.0
// token request, RFC 6749 4.4 with RFC 7523 client authentication) and GET
// /.well-known/smart-configuration (SMART discovery). JSON answers with
// Cache-Control: no-store; tokens and assertions are never logged.
#pragma once

#include <string>
#include <string_view>

#include "engine/auth/token_service.h"
#include "engine/rest/rest_types.h"

namespace fhirengine::auth {

// The token endpoint's URL for a FHIR base URL: ".../fhir" becomes
// ".../auth/token"; any other base gets "/auth/token" after its origin.
std::string TokenUrlForBase(std::string_view fhir_base_url);

class TokenEndpoint final : public rest::RequestHandler {
 public:
  // `service` must outlive this handler.
  explicit TokenEndpoint(TokenService& service) : service_(service) {}

  void Handle(rest::RestRequest request, rest::Responder responder) override;
  rest::RestResponse ProtocolError(int status, std::string_view message) const override;

  // The answer to one request, synchronously (what Handle replies).
  rest::RestResponse Answer(const rest::RestRequest& request);

 private:
  TokenService& service_;
};

class SmartConfigurationEndpoint final : public rest::RequestHandler {
 public:
  // The discovery document is built once from `service`'s options and clients.
  explicit SmartConfigurationEndpoint(const TokenService& service);

  void Handle(rest::RestRequest request, rest::Responder responder) override;
  rest::RestResponse ProtocolError(int status, std::string_view message) const override;

  const std::string& document() const { return document_; }

 private:
  std::string document_;
};

}  // namespace fhirengine::auth

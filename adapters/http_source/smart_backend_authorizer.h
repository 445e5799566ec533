// SMART Backend Services credentials for a pulled FHIR source: the
// Authorization header from engine/auth's SmartBackendClient (signed
// private_key_jwt assertion, client_credentials grant, token cached until
// shortly before expiry, renewed after a 401). When no token URL is
// configured it is discovered once from the source's
// .well-known/smart-configuration.
#pragma once

#include <memory>

#include "adapters/http_source/http_source_settings.h"
#include "adapters/http_source/source_fetcher.h"
#include "adapters/http_source/source_url.h"
#include "engine/core/status.h"
#include "engine/net/http_client.h"

namespace fhirengine::adapters::http_source {

// REQUIRES: auth.type == kSmartBackend. With a configured token URL the key
// is loaded now (kInvalidArgument/kIoError naming auth.private-key-file);
// otherwise at the first request, after discovery. `client` sends the token
// and discovery requests (it is the source's own client: same TLS
// settings). A discovered token endpoint must be https, or on the FHIR
// base's own origin.
Result<std::shared_ptr<RequestAuthorizer>> MakeSmartBackendAuthorizer(
    const AuthSettings& auth, const SourceUrl& fhir_base, std::shared_ptr<net::HttpClient> client);

// The authorizer for `auth`, whatever its type.
Result<std::shared_ptr<RequestAuthorizer>> MakeAuthorizer(const AuthSettings& auth,
                                                          const SourceUrl& fhir_base,
                                                          std::shared_ptr<net::HttpClient> client);

// Picks token_endpoint out of a smart-configuration document, checked as
// above. kInvalidArgument saying what is wrong.
Result<std::string> TokenEndpointFromSmartConfiguration(std::string_view body,
                                                        const SourceUrl& fhir_base);

}  // namespace fhirengine::adapters::http_source

// The server's CapabilityStatement, built from what this build really
// implements (every concrete R4 resource type, the interactions of
// fhir_api.cc), never from wishes.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "engine/fhir/type_model.h"
#include "engine/json/json_value.h"
#include "engine/rest/operation_registry.h"

namespace fhirengine::rest {

struct CapabilityOptions {
  std::string base_url;          // implementation.url
  std::string software_version;  // software.version
  std::int64_t date_ms = 0;      // CapabilityStatement.date (server start)
  // With SMART Backend Services on: the token endpoint, advertised in
  // rest.security (service SMART-on-FHIR, the oauth-uris extension).
  std::string smart_token_url;
  // Registered operations, declared under their resource type.
  std::vector<OperationDeclaration> operations;
  // Resource type -> profiles every stored resource of it conforms to:
  // rest.resource.supportedProfile (and rest.resource.profile when one).
  std::map<std::string, std::vector<std::string>, std::less<>> required_profiles;
};

// The CapabilityStatement, built in `doc`.
json::Value BuildCapabilityStatement(json::Document& doc, const CapabilityOptions& options,
                                     const fhir::TypeModel& model = fhir::TypeModel::R4());

}  // namespace fhirengine::rest

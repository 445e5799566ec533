// The $validate operation (FHIR R4 Resource-validate): POST
// /fhir/{type}/$validate and /fhir/{type}/{id}/$validate with the resource,
// or a Parameters body (resource, mode, profile), and the `profile` and
// `mode` query parameters. Answers 200 with an OperationOutcome of every
// finding; malformed requests are 400, 413 or 415.
#pragma once

#include "engine/rest/fhir_interaction.h"
#include "engine/rest/route.h"

namespace fhirengine::rest {

// Validates structurally, then against the `profile` asked for (an unknown
// one is an error issue, not-supported) or, without one, the profiles of
// meta.profile the server knows (unknown ones are warnings); modes create
// and update add the profiles required for the type, as a write would.
// Mode delete checks that the instance exists. REQUIRES: route.interaction
// is kValidate.
RestResponse ValidateOperation(const Env& env, const Context& ctx, const Route& route,
                               const RestRequest& req, const RequestTarget& target);

}  // namespace fhirengine::rest

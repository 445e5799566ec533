// POST /fhir: batch and transaction Bundles (FHIR R4 3.1.0.11 and
// http.html#trules). A transaction is one atomic store batch: its entries
// are checked, resolved (server ids, conditional matches, urn:uuid
// references) and handed to ResourceStore::Submit together, in the FHIR
// order DELETE, POST, PUT; reads run after the commit. A batch submits each
// write on its own and answers when all are done.
#pragma once

#include "engine/rest/fhir_interaction.h"

namespace fhirengine::rest {

// Answers the Bundle in `req` through `responder`: 200 with a
// transaction-response or batch-response Bundle; for a transaction that
// fails, the failing entry's status (400, 404, 409, 412, 422, 501...) with an
// OperationOutcome naming Bundle.entry[i]; 413 beyond
// FhirApiOptions::max_bundle_entries; 400 for a Bundle of another type.
// Runs on the connection's executor; store callbacks come back through
// Responder::resume.
void HandleBundle(const Env& env, const Context& ctx, const RestRequest& req,
                  const Responder& responder);

}  // namespace fhirengine::rest

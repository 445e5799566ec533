// The FHIR definitions compiled into the binary (derived files under
// fhir-profiles/r4-base/, embedded at build time so the engine needs no data
// directory at run time).
#pragma once

#include <string_view>

namespace fhirengine::fhir {

// fhir-profiles/r4-base/type-model.json (see tools/derive_r4_base.py).
std::string_view EmbeddedR4TypeModel();
// fhir-profiles/r4-base/search-parameters.json (same script).
std::string_view EmbeddedR4SearchParameters();
// fhir-profiles/regional/search-parameters.json: the regional model's own
// SearchParameters (a Bundle of SearchParameter resources).
std::string_view EmbeddedRegionalSearchParameters();

}  // namespace fhirengine::fhir

// Pseudonyms for patients: HMAC-SHA256 of a source identifier under a key
// from the configuration, as lower-case hex. The same identifier under the
// same key always gives the same pseudonym (recognisable across sources);
// without the key it cannot be reversed or recomputed. Thread-safe.
#pragma once

#include <string>
#include <string_view>

namespace fhirengine::mapping {

// REQUIRES: !key.empty().
std::string Pseudonym(std::string_view key, std::string_view value);

}  // namespace fhirengine::mapping

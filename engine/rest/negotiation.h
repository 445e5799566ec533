// Content negotiation and request preferences: the response format from
// _format or Accept, the body format from Content-Type, Prefer: return= and handling=.
// Pure functions; thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "engine/core/status.h"
#include "engine/fhir/resource_format.h"

namespace fhirengine::rest {

// The response format. `format_param` (the _format query parameter, or
// nullptr) wins over `accept`; an empty Accept means JSON. Wildcards
// (*/*, application/*) give JSON, text/* gives XML; q=0 excludes a type.
// kInvalidArgument (the caller answers 406) when nothing acceptable is
// offered.
Result<fhir::Format> ResponseFormat(const std::string* format_param, std::string_view accept);

// The format of a request body from its Content-Type; without one, from
// the content itself. kInvalidArgument (the caller answers 415) for other
// media types or a charset other than UTF-8.
Result<fhir::Format> RequestBodyFormat(std::string_view content_type, std::string_view body);

// Checks that a PATCH body is JSON Patch: Content-Type
// application/json-patch+json (charset UTF-8 when given). kInvalidArgument
// (the caller answers 415) otherwise, saying what is supported; FHIR
// resource types (FHIRPath Patch sends a Parameters resource) are told that
// FHIRPath Patch is not supported.
Status CheckJsonPatchContentType(std::string_view content_type);

// The Content-Type value for responses in `format`.
std::string_view ContentTypeFor(fhir::Format format);

enum class PreferReturn { kUnspecified, kMinimal, kRepresentation, kOperationOutcome };

// The return= preference of a Prefer header (RFC 7240; other preferences
// and unknown values are ignored, as the RFC asks).
PreferReturn ParsePreferReturn(std::string_view prefer);

// Whether a Prefer header asks for handling=strict (FHIR http.html#prefer:
// reject unknown or unsupported parameters instead of ignoring them). The
// first handling= preference counts; lenient is the default.
bool PreferStrictHandling(std::string_view prefer);

}  // namespace fhirengine::rest

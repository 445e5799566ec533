// Entity tags for resource versions (ETag: W/"3") and the conditional
// request headers built on them. Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace fhirengine::rest {

// W/"3".
std::string FormatVersionETag(std::int64_t version);

// The version in W/"3" or "3" (surrounding blanks allowed); nullopt for
// anything else, "*" included. Versions are positive.
std::optional<std::int64_t> ParseVersionETag(std::string_view value);

// If-None-Match: whether the list (W/"1", W/"2" or *) matches `version`,
// by weak comparison (RFC 9110 13.1.2). Malformed entries match nothing.
bool ETagListMatches(std::string_view header, std::int64_t version);

// Whether the header is "*" (blanks aside).
bool IsETagWildcard(std::string_view header);

}  // namespace fhirengine::rest

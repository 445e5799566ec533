// Base64url without padding (RFC 4648 section 5, as JOSE uses it: RFC 7515
// section 2): the encoding of JWS parts and JWK key material.
#pragma once

#include <string>
#include <string_view>

#include "engine/core/status.h"

namespace fhirengine::auth {

// Encodes bytes as base64url, no '=' padding.
std::string Base64UrlEncode(std::string_view bytes);

// Decodes base64url text without padding. kInvalidArgument for characters
// outside the alphabet, '=' padding, a length of 1 mod 4, or non-zero
// trailing bits (so every byte string has exactly one encoding).
Result<std::string> Base64UrlDecode(std::string_view text);

}  // namespace fhirengine::auth

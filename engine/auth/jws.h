// JWS compact serialization (RFC 7515) signed and verified with the two
// algorithms SMART Backend Services requires (RFC 7518 section 3): RS384
// (RSASSA-PKCS1-v1_5 with SHA-384) and ES384 (ECDSA on P-384 with SHA-384,
// the signature as raw r||s). "none" and every other algorithm are refused.
#pragma once

#include <openssl/types.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "engine/core/status.h"

namespace fhirengine::auth {

enum class JwsAlgorithm { kRs384, kEs384 };

// "RS384", "ES384".
std::string_view JwsAlgorithmName(JwsAlgorithm alg);
// The algorithm named `name`; kInvalidArgument for "none" and anything
// else this engine does not accept.
Result<JwsAlgorithm> ParseJwsAlgorithm(std::string_view name);

// An OpenSSL key (public or private) shared between threads; EVP_PKEY is
// safe for concurrent signing and verification once built.
using KeyHandle = std::shared_ptr<EVP_PKEY>;
// Takes ownership of `key` (may be null).
KeyHandle AdoptKey(EVP_PKEY* key);

// OK when `key` can serve `alg`: an RSA key of at least 2048 bits for
// RS384, an EC key on P-384 for ES384; kInvalidArgument naming the mismatch.
Status CheckKeyForAlgorithm(const EVP_PKEY& key, JwsAlgorithm alg);

// The largest compact JWS accepted (a client assertion is well under 4 KiB).
inline constexpr std::size_t kMaxJwsBytes = 16 * 1024;

// Signs: base64url(header_json).base64url(payload_json).base64url(sig).
// `header_json` must carry "alg" equal to `alg` (the caller builds it).
// kInvalidArgument when the key does not fit `alg`, kInternal when OpenSSL
// fails.
Result<std::string> SignJws(std::string_view header_json, std::string_view payload_json,
                            const EVP_PKEY& private_key, JwsAlgorithm alg);

// A compact JWS taken apart but not yet verified.
struct DecodedJws {
  std::string header_json;    // decoded protected header
  std::string payload_json;   // decoded payload
  std::string signing_input;  // the first two parts as sent: "h.p"
  std::string signature;      // decoded signature bytes
  JwsAlgorithm alg = JwsAlgorithm::kRs384;
  std::optional<std::string> kid;  // header "kid", when present
};

// Splits and decodes a compact JWS and reads its header: kInvalidArgument
// for a malformed token, a header that is not a JSON object, "alg" absent,
// "none" or unsupported, "crit" present (no extensions are understood), or
// a token over kMaxJwsBytes.
Result<DecodedJws> DecodeJws(std::string_view compact);

// Verifies the signature of `jws` with `public_key`: kInvalidArgument when
// the key's type does not fit jws.alg or the signature does not verify.
Status VerifyJws(const DecodedJws& jws, const EVP_PKEY& public_key);

}  // namespace fhirengine::auth

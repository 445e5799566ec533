// JSON Web Keys (RFC 7517, 7518 section 6): public RSA and EC P-384 keys of
// registered clients read from a JWKS into OpenSSL keys, selected by "kid";
// private keys from PEM; and the other way for `smart-keygen`: a new key
// pair and its public JWK.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/auth/jws.h"
#include "engine/core/status.h"
#include "engine/json/json_value.h"

namespace fhirengine::auth {

// One public key.
struct Jwk {
  std::string kid;                  // empty when the JWK has none
  std::optional<JwsAlgorithm> alg;  // the JWK's "alg", when given
  KeyHandle key;                    // never null
};

// A key set. Immutable once built; thread-safe to read.
class JwkSet {
 public:
  JwkSet() = default;
  explicit JwkSet(std::vector<Jwk> keys) : keys_(std::move(keys)) {}

  // The key with this kid; without a kid, the only key when there is exactly
  // one. nullptr otherwise.
  const Jwk* Find(const std::optional<std::string>& kid) const;
  const std::vector<Jwk>& keys() const { return keys_; }

 private:
  std::vector<Jwk> keys_;
};

// Parses one JWK object: kty "RSA" with n and e, or kty "EC" with crv
// "P-384", x and y (48 bytes each; the point must lie on the curve). Private
// members ("d", "p", ...) are refused: a JWKS in config holds public keys
// only. kInvalidArgument naming the member otherwise.
Result<Jwk> ParseJwk(const json::Value& jwk);

// Parses {"keys": [...]}. Keys of other types (kty "oct", "OKP") or with
// "use" other than "sig" are skipped, as RFC 7517 section 5 allows; a set
// with no usable key, or two keys with one kid, is kInvalidArgument.
Result<JwkSet> ParseJwks(const json::Value& jwks);
Result<JwkSet> ParseJwksText(std::string_view text);

// Reads a PEM private key (PKCS#8 or traditional, unencrypted).
// kInvalidArgument when the text holds no private key.
Result<KeyHandle> ParsePrivateKeyPem(std::string_view pem);

// A new private key for `alg`: EC P-384, or RSA 3072 bits. kInternal on failure.
Result<KeyHandle> GeneratePrivateKey(JwsAlgorithm alg);

// The key as unencrypted PKCS#8 PEM.
Result<std::string> PrivateKeyToPem(const EVP_PKEY& key);

// The public half of `key` as a JWK JSON object with kid, alg and "use":"sig".
Result<std::string> PublicJwkJson(const EVP_PKEY& key, std::string_view kid, JwsAlgorithm alg);

}  // namespace fhirengine::auth

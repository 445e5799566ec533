// Key pairs and signed assertions for the fe_auth unit tests: keys are made
// fresh per process (EC P-384, RSA 3072) and turned into registered JWKS.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <string>

#include "engine/auth/jwk.h"
#include "engine/auth/jws.h"
#include "engine/core/log.h"

namespace fhirengine::auth::testing {

// A private key and its public JWKS (kid `kid`), made once per (alg, kid).
struct TestKey {
  KeyHandle private_key;
  std::string jwks_json;  // {"keys":[...]}
  JwkSet jwks;
};

inline TestKey MakeKey(JwsAlgorithm alg, const std::string& kid) {
  TestKey k;
  Result<KeyHandle> key = GeneratePrivateKey(alg);
  FE_CHECK(key.ok());
  k.private_key = *key;
  Result<std::string> jwk = PublicJwkJson(**key, kid, alg);
  FE_CHECK(jwk.ok());
  k.jwks_json = "{\"keys\":[" + *jwk + "]}";
  Result<JwkSet> set = ParseJwksText(k.jwks_json);
  FE_CHECK(set.ok());
  k.jwks = std::move(set).value();
  return k;
}

// RSA key generation takes a moment: one of each per process.
inline const TestKey& EsKey() {
  static const TestKey k = MakeKey(JwsAlgorithm::kEs384, "es-1");
  return k;
}
inline const TestKey& RsKey() {
  static const TestKey k = MakeKey(JwsAlgorithm::kRs384, "rs-1");
  return k;
}
inline const TestKey& OtherEsKey() {
  static const TestKey k = MakeKey(JwsAlgorithm::kEs384, "es-1");  // same kid, other key
  return k;
}

inline std::string Quoted(std::string_view s) {
  std::string out;
  log::AppendJsonString(out, s);
  return out;
}

// A compact JWS of `payload_json` with header {alg, kid}.
inline std::string SignWith(const TestKey& key, JwsAlgorithm alg, const std::string& kid,
                            const std::string& payload_json) {
  const std::string header =
      "{\"alg\":" + Quoted(JwsAlgorithmName(alg)) + ",\"typ\":\"JWT\",\"kid\":" + Quoted(kid) + "}";
  Result<std::string> jws = SignJws(header, payload_json, *key.private_key, alg);
  FE_CHECK(jws.ok());
  return *jws;
}

}  // namespace fhirengine::auth::testing

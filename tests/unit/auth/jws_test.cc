// JWS compact sign/verify for RS384 and ES384: round trips, tampering,
// alg "none", unknown algorithms and alg/key-type mismatches.
#include "engine/auth/jws.h"

#include <gtest/gtest.h>

#include "engine/auth/base64url.h"
#include "tests/unit/auth/test_keys.h"

namespace fhirengine::auth {
namespace {

using testing::EsKey;
using testing::OtherEsKey;
using testing::RsKey;
using testing::SignWith;
using testing::TestKey;

constexpr const char* kPayload = R"({"iss":"c","sub":"c","n":1})";

class JwsRoundTrip : public ::testing::TestWithParam<JwsAlgorithm> {
 protected:
  const TestKey& Key() const { return GetParam() == JwsAlgorithm::kEs384 ? EsKey() : RsKey(); }
  const std::string kid() const { return GetParam() == JwsAlgorithm::kEs384 ? "es-1" : "rs-1"; }
};

TEST_P(JwsRoundTrip, SignsAndVerifies) {
  const std::string token = SignWith(Key(), GetParam(), kid(), kPayload);
  Result<DecodedJws> jws = DecodeJws(token);
  ASSERT_TRUE(jws.ok()) << jws.status().ToString();
  EXPECT_EQ(jws->alg, GetParam());
  EXPECT_EQ(jws->kid.value_or(""), kid());
  EXPECT_EQ(jws->payload_json, kPayload);
  if (GetParam() == JwsAlgorithm::kEs384) EXPECT_EQ(jws->signature.size(), 96u);  // raw r||s
  EXPECT_TRUE(VerifyJws(*jws, *Key().jwks.keys()[0].key).ok());
}

TEST_P(JwsRoundTrip, RefusesATamperedPayload) {
  const std::string token = SignWith(Key(), GetParam(), kid(), kPayload);
  const std::size_t dot1 = token.find('.');
  const std::size_t dot2 = token.find('.', dot1 + 1);
  const std::string forged = token.substr(0, dot1 + 1) +
                             Base64UrlEncode(R"({"iss":"c","sub":"c","n":2})") + token.substr(dot2);
  Result<DecodedJws> jws = DecodeJws(forged);
  ASSERT_TRUE(jws.ok());
  Status s = VerifyJws(*jws, *Key().jwks.keys()[0].key);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("does not verify"), std::string::npos);
}

TEST_P(JwsRoundTrip, RefusesATamperedSignature) {
  std::string token = SignWith(Key(), GetParam(), kid(), kPayload);
  Result<DecodedJws> jws = DecodeJws(token);
  ASSERT_TRUE(jws.ok());
  jws->signature[jws->signature.size() / 2] ^= 0x01;
  EXPECT_FALSE(VerifyJws(*jws, *Key().jwks.keys()[0].key).ok());
}

INSTANTIATE_TEST_SUITE_P(BothAlgorithms, JwsRoundTrip,
                         ::testing::Values(JwsAlgorithm::kRs384, JwsAlgorithm::kEs384),
                         [](const auto& info) {
                           return std::string(JwsAlgorithmName(info.param));
                         });

TEST(Jws, RefusesAnotherKeyOfTheSameType) {
  const std::string token = SignWith(OtherEsKey(), JwsAlgorithm::kEs384, "es-1", kPayload);
  Result<DecodedJws> jws = DecodeJws(token);
  ASSERT_TRUE(jws.ok());
  EXPECT_FALSE(VerifyJws(*jws, *EsKey().jwks.keys()[0].key).ok());
}

TEST(Jws, RefusesAlgNone) {
  const std::string token =
      Base64UrlEncode(R"({"alg":"none"})") + "." + Base64UrlEncode(kPayload) + ".";
  Result<DecodedJws> jws = DecodeJws(token);
  ASSERT_FALSE(jws.ok());
  EXPECT_NE(jws.status().message().find("none"), std::string::npos);
}

TEST(Jws, RefusesUnknownAlgorithms) {
  for (const char* alg : {"HS256", "RS256", "ES256", "PS384", ""}) {
    const std::string token = Base64UrlEncode(std::string(R"({"alg":")") + alg + "\"}") + "." +
                              Base64UrlEncode(kPayload) + ".AAAA";
    EXPECT_FALSE(DecodeJws(token).ok()) << alg;
  }
}

TEST(Jws, RefusesAlgorithmAndKeyTypeMismatch) {
  // An ES384 token checked against an RSA key, and the header switched to
  // RS384 over an ECDSA signature: both fail before any verification.
  const std::string es = SignWith(EsKey(), JwsAlgorithm::kEs384, "es-1", kPayload);
  Result<DecodedJws> jws = DecodeJws(es);
  ASSERT_TRUE(jws.ok());
  Status s = VerifyJws(*jws, *RsKey().jwks.keys()[0].key);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("EC key"), std::string::npos) << s.message();
  jws->alg = JwsAlgorithm::kRs384;
  EXPECT_FALSE(VerifyJws(*jws, *EsKey().jwks.keys()[0].key).ok());
  // Signing refuses a key that does not fit the algorithm too.
  EXPECT_FALSE(
      SignJws(R"({"alg":"RS384"})", kPayload, *EsKey().private_key, JwsAlgorithm::kRs384).ok());
}

TEST(Jws, RefusesMalformedTokens) {
  EXPECT_FALSE(DecodeJws("").ok());
  EXPECT_FALSE(DecodeJws("a.b").ok());
  EXPECT_FALSE(DecodeJws("a.b.c.d").ok());
  EXPECT_FALSE(DecodeJws(Base64UrlEncode("[1]") + "." + Base64UrlEncode("{}") + ".AA").ok());
  EXPECT_FALSE(DecodeJws(Base64UrlEncode(R"({"alg":"ES384","crit":["x"]})") + "." +
                         Base64UrlEncode("{}") + ".AA")
                   .ok());
  EXPECT_FALSE(DecodeJws(std::string(kMaxJwsBytes + 1, 'a')).ok());
  // A truncated ES384 signature is refused, not passed to OpenSSL.
  const std::string es = SignWith(EsKey(), JwsAlgorithm::kEs384, "es-1", kPayload);
  Result<DecodedJws> jws = DecodeJws(es.substr(0, es.size() - 4));
  ASSERT_TRUE(jws.ok());
  EXPECT_FALSE(VerifyJws(*jws, *EsKey().jwks.keys()[0].key).ok());
}

}  // namespace
}  // namespace fhirengine::auth

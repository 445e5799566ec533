// JWK and JWKS parsing into OpenSSL keys: RSA and EC P-384, selection by
// kid, and the keys and sets that must be refused.
#include "engine/auth/jwk.h"

#include <gtest/gtest.h>

#include "engine/auth/base64url.h"
#include "engine/json/json_parser.h"
#include "tests/unit/auth/test_keys.h"

namespace fhirengine::auth {
namespace {

using testing::EsKey;
using testing::RsKey;

// The one JWK of `key`'s JWKS with `member` replaced by `value` (raw JSON).
std::string EditedJwk(const std::string& jwks, const std::string& member,
                      const std::string& value) {
  Result<json::Document> doc = json::Parse(jwks);
  FE_CHECK(doc.ok());
  const json::Value& jwk = doc->root().Find("keys")->elements()[0];
  std::string out = "{";
  bool replaced = false;
  for (const json::Member& m : jwk.members()) {
    if (out.size() > 1) out += ',';
    out += testing::Quoted(m.key) + ":";
    if (m.key == member) {
      out += value;
      replaced = true;
    } else {
      out += testing::Quoted(m.value.text());
    }
  }
  if (!replaced)
    out += std::string(out.size() > 1 ? "," : "") + testing::Quoted(member) + ":" + value;
  return out + "}";
}

Result<Jwk> ParseText(const std::string& text) {
  Result<json::Document> doc = json::Parse(text);
  FE_CHECK(doc.ok());
  return ParseJwk(doc->root());
}

TEST(Jwk, ParsesRsaAndEcPublicKeys) {
  for (const auto* key : {&EsKey(), &RsKey()}) {
    ASSERT_EQ(key->jwks.keys().size(), 1u);
    const Jwk& jwk = key->jwks.keys()[0];
    EXPECT_TRUE(jwk.key != nullptr);
    ASSERT_TRUE(jwk.alg.has_value());
  }
  EXPECT_EQ(EsKey().jwks.keys()[0].kid, "es-1");
  EXPECT_EQ(*EsKey().jwks.keys()[0].alg, JwsAlgorithm::kEs384);
  EXPECT_EQ(*RsKey().jwks.keys()[0].alg, JwsAlgorithm::kRs384);
  EXPECT_TRUE(CheckKeyForAlgorithm(*EsKey().jwks.keys()[0].key, JwsAlgorithm::kEs384).ok());
  EXPECT_TRUE(CheckKeyForAlgorithm(*RsKey().jwks.keys()[0].key, JwsAlgorithm::kRs384).ok());
}

TEST(Jwk, RefusesOtherCurvesAndBadCoordinates) {
  EXPECT_FALSE(ParseText(EditedJwk(EsKey().jwks_json, "crv", "\"P-256\"")).ok());
  EXPECT_FALSE(ParseText(EditedJwk(EsKey().jwks_json, "x", "\"AAAA\"")).ok());
  // A point that is not on the curve: y changed in its last byte.
  Result<json::Document> doc = json::Parse(EsKey().jwks_json);
  ASSERT_TRUE(doc.ok());
  std::string y = *Base64UrlDecode(doc->root().Find("keys")->elements()[0].Find("y")->text());
  y.back() = static_cast<char>(y.back() ^ 1);
  Result<Jwk> off =
      ParseText(EditedJwk(EsKey().jwks_json, "y", testing::Quoted(Base64UrlEncode(y))));
  EXPECT_FALSE(off.ok());
}

TEST(Jwk, RefusesPrivateMaterialUnknownTypesAndAlgMismatch) {
  Result<Jwk> with_d = ParseText(EditedJwk(EsKey().jwks_json, "d", "\"AAAA\""));
  ASSERT_FALSE(with_d.ok());
  EXPECT_NE(with_d.status().message().find("private"), std::string::npos);
  EXPECT_FALSE(ParseText(EditedJwk(EsKey().jwks_json, "kty", "\"oct\"")).ok());
  EXPECT_FALSE(ParseText(EditedJwk(EsKey().jwks_json, "alg", "\"RS384\"")).ok());
  EXPECT_FALSE(ParseText(EditedJwk(RsKey().jwks_json, "alg", "\"none\"")).ok());
  EXPECT_FALSE(ParseText(EditedJwk(RsKey().jwks_json, "n", "\"\"")).ok());
  EXPECT_FALSE(ParseText(EditedJwk(RsKey().jwks_json, "e", "\"A=A\"")).ok());
  // RS384 needs 2048 bits at least: a 1024-bit modulus is refused.
  EXPECT_FALSE(ParseText(EditedJwk(RsKey().jwks_json, "n",
                                   testing::Quoted(Base64UrlEncode(std::string(128, '\xc3')))))
                   .ok());
}

TEST(JwkSet, SelectsByKidAndSkipsForeignKeys) {
  const std::string es = EditedJwk(EsKey().jwks_json, "kid", "\"a\"");
  const std::string rs = EditedJwk(RsKey().jwks_json, "kid", "\"b\"");
  const std::string text = "{\"keys\":[" + es + "," + rs + R"(,{"kty":"oct","k":"AAAA"},)" +
                           EditedJwk(RsKey().jwks_json, "use", "\"enc\"") + "]}";
  Result<JwkSet> set = ParseJwksText(text);
  ASSERT_TRUE(set.ok()) << set.status().ToString();
  EXPECT_EQ(set->keys().size(), 2u);
  ASSERT_NE(set->Find("a"), nullptr);
  EXPECT_EQ(*set->Find("a")->alg, JwsAlgorithm::kEs384);
  ASSERT_NE(set->Find("b"), nullptr);
  EXPECT_EQ(*set->Find("b")->alg, JwsAlgorithm::kRs384);
  EXPECT_EQ(set->Find("c"), nullptr);
  EXPECT_EQ(set->Find(std::nullopt), nullptr);          // two keys: a kid is needed
  EXPECT_NE(EsKey().jwks.Find(std::nullopt), nullptr);  // one key: it is the one
}

TEST(JwkSet, RefusesEmptyDuplicateAndMalformedSets) {
  EXPECT_FALSE(ParseJwksText("{}").ok());
  EXPECT_FALSE(ParseJwksText(R"({"keys":[]})").ok());
  EXPECT_FALSE(ParseJwksText(R"({"keys":[{"kty":"oct","k":"AAAA"}]})").ok());
  EXPECT_FALSE(ParseJwksText("not json").ok());
  const std::string es = EditedJwk(EsKey().jwks_json, "kid", "\"same\"");
  const std::string rs = EditedJwk(RsKey().jwks_json, "kid", "\"same\"");
  Result<JwkSet> dup = ParseJwksText("{\"keys\":[" + es + "," + rs + "]}");
  ASSERT_FALSE(dup.ok());
  EXPECT_NE(dup.status().message().find("keys[1]"), std::string::npos);
}

TEST(PrivateKeyPem, RoundTripsAndRefusesGarbage) {
  Result<std::string> pem = PrivateKeyToPem(*EsKey().private_key);
  ASSERT_TRUE(pem.ok());
  EXPECT_NE(pem->find("-----BEGIN PRIVATE KEY-----"), std::string::npos);
  Result<KeyHandle> back = ParsePrivateKeyPem(*pem);
  ASSERT_TRUE(back.ok());
  // The reloaded key signs what the registered public key verifies.
  Result<std::string> token =
      SignJws(R"({"alg":"ES384","kid":"es-1"})", "{}", **back, JwsAlgorithm::kEs384);
  ASSERT_TRUE(token.ok());
  Result<DecodedJws> jws = DecodeJws(*token);
  ASSERT_TRUE(jws.ok());
  EXPECT_TRUE(VerifyJws(*jws, *EsKey().jwks.keys()[0].key).ok());
  EXPECT_FALSE(
      ParsePrivateKeyPem("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n").ok());
  EXPECT_FALSE(ParsePrivateKeyPem("").ok());
}

}  // namespace
}  // namespace fhirengine::auth

// The token service: a valid assertion gets a token with narrowed scopes;
// wrong aud, expiry, replayed jti, unknown kid, bad signature and the other
// failures get the RFC 6749 error; tokens expire on the injected clock.
#include "engine/auth/token_service.h"

#include <gtest/gtest.h>

#include "tests/unit/auth/test_keys.h"

namespace fhirengine::auth {
namespace {

using testing::EsKey;
using testing::OtherEsKey;
using testing::Quoted;
using testing::RsKey;
using testing::SignWith;

constexpr const char* kTokenUrl = "https://regional.example/auth/token";
constexpr std::int64_t kStartMs = 1'800'000'000'000;

class TokenServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    TokenServiceOptions options;
    options.token_url = kTokenUrl;
    options.token_lifetime = std::chrono::seconds(300);
    options.max_replay_entries = 4;
    options.now_ms = [this] { return now_ms_; };
    std::vector<RegisteredClient> clients;
    clients.push_back(
        {"es-client", EsKey().jwks, *ScopeSet::Parse("system/Location.rs system/Encounter.rs")});
    clients.push_back({"rs-client", RsKey().jwks, *ScopeSet::Parse("system/*.cruds")});
    service_ = std::make_unique<TokenService>(options, clients);
  }

  std::string Claims(const std::string& iss, const std::string& jti,
                     std::int64_t exp_offset_s = 120, const std::string& aud = kTokenUrl,
                     const std::string& sub = "") const {
    const std::int64_t now_s = now_ms_ / 1000;
    return "{\"iss\":" + Quoted(iss) + ",\"sub\":" + Quoted(sub.empty() ? iss : sub) +
           ",\"aud\":" + Quoted(aud) + ",\"exp\":" + std::to_string(now_s + exp_offset_s) +
           ",\"jti\":" + Quoted(jti) + "}";
  }

  std::string EsAssertion(const std::string& claims, const std::string& kid = "es-1") const {
    return SignWith(EsKey(), JwsAlgorithm::kEs384, kid, claims);
  }

  static TokenRequest Request(std::string assertion, std::string scope) {
    TokenRequest r;
    r.grant_type = "client_credentials";
    r.client_assertion_type = std::string(kJwtBearerAssertionType);
    r.client_assertion = std::move(assertion);
    r.scope = std::move(scope);
    return r;
  }

  // The error of an exchange that must fail (and its status).
  TokenError ErrorOf(const TokenRequest& request) {
    auto result = service_->Exchange(request);
    if (const TokenError* e = std::get_if<TokenError>(&result)) return *e;
    ADD_FAILURE() << "the exchange succeeded";
    return {};
  }

  std::int64_t now_ms_ = kStartMs;
  std::unique_ptr<TokenService> service_;
};

TEST_F(TokenServiceTest, IssuesATokenForAValidEs384Assertion) {
  auto result =
      service_->Exchange(Request(EsAssertion(Claims("es-client", "j1")), "system/Location.rs"));
  ASSERT_TRUE(std::holds_alternative<IssuedToken>(result))
      << std::get<TokenError>(result).description;
  const IssuedToken& t = std::get<IssuedToken>(result);
  EXPECT_EQ(t.expires_in, 300);
  EXPECT_EQ(t.scope, "system/Location.rs");
  EXPECT_GE(t.access_token.size(), 43u);  // 256 bits in base64url
  std::shared_ptr<const AccessGrant> grant = service_->Lookup(t.access_token);
  ASSERT_NE(grant, nullptr);
  EXPECT_EQ(grant->client_id, "es-client");
  EXPECT_TRUE(grant->scope.Allows("Location", kPermRead));
  EXPECT_FALSE(grant->scope.Allows("Encounter", kPermRead));
  EXPECT_EQ(service_->Lookup(t.access_token + "x"), nullptr);
  EXPECT_EQ(service_->Lookup(""), nullptr);
}

TEST_F(TokenServiceTest, IssuesATokenForAValidRs384AssertionWithAudArray) {
  const std::string claims =
      "{\"iss\":\"rs-client\",\"sub\":\"rs-client\",\"aud\":[\"other\"," + Quoted(kTokenUrl) +
      "],\"exp\":" + std::to_string(kStartMs / 1000 + 60) + ",\"jti\":\"r1\"}";
  auto result = service_->Exchange(
      Request(SignWith(RsKey(), JwsAlgorithm::kRs384, "rs-1", claims), "system/*.rs"));
  ASSERT_TRUE(std::holds_alternative<IssuedToken>(result))
      << std::get<TokenError>(result).description;
  EXPECT_EQ(std::get<IssuedToken>(result).scope, "system/*.rs");
}

TEST_F(TokenServiceTest, TokensExpire) {
  auto result =
      service_->Exchange(Request(EsAssertion(Claims("es-client", "j1")), "system/Location.rs"));
  ASSERT_TRUE(std::holds_alternative<IssuedToken>(result));
  const std::string token = std::get<IssuedToken>(result).access_token;
  now_ms_ += 299'000;
  EXPECT_NE(service_->Lookup(token), nullptr);
  now_ms_ += 1'000;
  EXPECT_EQ(service_->Lookup(token), nullptr);
}

TEST_F(TokenServiceTest, NarrowsScopesAndRefusesWhatIsNotAllowed) {
  auto result = service_->Exchange(
      Request(EsAssertion(Claims("es-client", "j1")), "system/*.cruds system/Patient.rs"));
  ASSERT_TRUE(std::holds_alternative<IssuedToken>(result));
  EXPECT_EQ(std::get<IssuedToken>(result).scope, "system/Encounter.rs system/Location.rs");
  TokenError e = ErrorOf(Request(EsAssertion(Claims("es-client", "j2")), "system/Patient.rs"));
  EXPECT_EQ(e.error, "invalid_scope");
  EXPECT_EQ(e.http_status, 400);
  e = ErrorOf(Request(EsAssertion(Claims("es-client", "j3")), "patient/Location.rs"));
  EXPECT_EQ(e.error, "invalid_scope");
}

TEST_F(TokenServiceTest, RefusesAWrongAudience) {
  TokenError e = ErrorOf(
      Request(EsAssertion(Claims("es-client", "j1", 120, "https://other.example/auth/token")),
              "system/Location.rs"));
  EXPECT_EQ(e.error, "invalid_client");
  EXPECT_EQ(e.http_status, 401);
  EXPECT_NE(e.description.find("aud"), std::string::npos);
}

TEST_F(TokenServiceTest, RefusesExpiredAndFarFutureAssertions) {
  TokenError e =
      ErrorOf(Request(EsAssertion(Claims("es-client", "j1", -60)), "system/Location.rs"));
  EXPECT_EQ(e.error, "invalid_client");
  EXPECT_NE(e.description.find("expired"), std::string::npos);
  e = ErrorOf(Request(EsAssertion(Claims("es-client", "j2", 3600)), "system/Location.rs"));
  EXPECT_EQ(e.error, "invalid_client");
  EXPECT_NE(e.description.find("future"), std::string::npos);
  // Within the clock skew (30 s) an assertion just past exp still counts.
  auto ok = service_->Exchange(
      Request(EsAssertion(Claims("es-client", "j3", -10)), "system/Location.rs"));
  EXPECT_TRUE(std::holds_alternative<IssuedToken>(ok));
  const std::string no_exp =
      "{\"iss\":\"es-client\",\"sub\":\"es-client\",\"aud\":" + Quoted(kTokenUrl) +
      ",\"jti\":\"j4\"}";
  e = ErrorOf(Request(EsAssertion(no_exp), "system/Location.rs"));
  EXPECT_NE(e.description.find("exp is required"), std::string::npos);
}

TEST_F(TokenServiceTest, RefusesAReplayedJtiUntilItExpires) {
  const std::string assertion = EsAssertion(Claims("es-client", "once", 60));
  EXPECT_TRUE(std::holds_alternative<IssuedToken>(
      service_->Exchange(Request(assertion, "system/Location.rs"))));
  TokenError e = ErrorOf(Request(assertion, "system/Location.rs"));
  EXPECT_EQ(e.error, "invalid_client");
  EXPECT_NE(e.description.find("jti"), std::string::npos);
  // Another assertion with the same jti is a replay too.
  e = ErrorOf(Request(EsAssertion(Claims("es-client", "once", 90)), "system/Location.rs"));
  EXPECT_NE(e.description.find("jti"), std::string::npos);
  // Without jti: refused.
  const std::string no_jti =
      "{\"iss\":\"es-client\",\"sub\":\"es-client\",\"aud\":" + Quoted(kTokenUrl) +
      ",\"exp\":" + std::to_string(kStartMs / 1000 + 60) + "}";
  e = ErrorOf(Request(EsAssertion(no_jti), "system/Location.rs"));
  EXPECT_NE(e.description.find("jti is required"), std::string::npos);
}

TEST_F(TokenServiceTest, TheReplayCacheIsBoundedAndForgetsExpiredEntries) {
  for (int i = 0; i < 4; ++i) {
    EXPECT_TRUE(std::holds_alternative<IssuedToken>(service_->Exchange(Request(
        EsAssertion(Claims("es-client", "b" + std::to_string(i), 30)), "system/Location.rs"))));
  }
  TokenError e = ErrorOf(Request(EsAssertion(Claims("es-client", "b4", 30)), "system/Location.rs"));
  EXPECT_EQ(e.http_status, 503);
  now_ms_ += 61'000;  // past exp + skew of the four
  EXPECT_TRUE(std::holds_alternative<IssuedToken>(service_->Exchange(
      Request(EsAssertion(Claims("es-client", "b5", 30)), "system/Location.rs"))));
  EXPECT_LE(service_->ReplayCountForTest(), 4u);
}

TEST_F(TokenServiceTest, RefusesUnknownKidAndBadSignature) {
  TokenError e =
      ErrorOf(Request(EsAssertion(Claims("es-client", "j1"), "es-2"), "system/Location.rs"));
  EXPECT_EQ(e.error, "invalid_client");
  EXPECT_NE(e.description.find("kid"), std::string::npos);
  // Signed by another key under the registered kid.
  e = ErrorOf(
      Request(SignWith(OtherEsKey(), JwsAlgorithm::kEs384, "es-1", Claims("es-client", "j2")),
              "system/Location.rs"));
  EXPECT_EQ(e.error, "invalid_client");
  EXPECT_NE(e.description.find("does not verify"), std::string::npos);
  // The RS384 client's key cannot serve an ES384 assertion.
  e = ErrorOf(Request(SignWith(EsKey(), JwsAlgorithm::kEs384, "rs-1", Claims("rs-client", "j3")),
                      "system/*.rs"));
  EXPECT_EQ(e.error, "invalid_client");
}

TEST_F(TokenServiceTest, RefusesUnknownClientsAndIssSubMismatch) {
  TokenError e = ErrorOf(Request(EsAssertion(Claims("stranger", "j1")), "system/Location.rs"));
  EXPECT_EQ(e.error, "invalid_client");
  EXPECT_NE(e.description.find("not registered"), std::string::npos);
  e = ErrorOf(Request(EsAssertion(Claims("es-client", "j2", 120, kTokenUrl, "rs-client")),
                      "system/Location.rs"));
  EXPECT_NE(e.description.find("iss and sub"), std::string::npos);
  TokenRequest r = Request(EsAssertion(Claims("es-client", "j3")), "system/Location.rs");
  r.client_id = "rs-client";
  EXPECT_EQ(ErrorOf(r).error, "invalid_client");
}

TEST_F(TokenServiceTest, ChecksTheGrantAndAssertionType) {
  TokenRequest r = Request(EsAssertion(Claims("es-client", "j1")), "system/Location.rs");
  r.grant_type = "authorization_code";
  EXPECT_EQ(ErrorOf(r).error, "unsupported_grant_type");
  r.grant_type = "";
  EXPECT_EQ(ErrorOf(r).error, "invalid_request");
  r.grant_type = "client_credentials";
  r.client_assertion_type = "urn:other";
  EXPECT_EQ(ErrorOf(r).error, "invalid_request");
  r.client_assertion_type = std::string(kJwtBearerAssertionType);
  r.scope = "";
  EXPECT_EQ(ErrorOf(r).error, "invalid_request");
  r.scope = "system/Location.rs";
  r.client_assertion = "not.a.jwt";
  EXPECT_EQ(ErrorOf(r).error, "invalid_client");
}

}  // namespace
}  // namespace fhirengine::auth

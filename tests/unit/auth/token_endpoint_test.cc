// The token endpoint's HTTP contract (RFC 6749 5.1/5.2): form parsing,
// no-store answers, error JSON, and the SMART discovery document.
#include "engine/auth/token_endpoint.h"

#include <gtest/gtest.h>

#include "engine/json/json_parser.h"
#include "tests/unit/auth/test_keys.h"

namespace fhirengine::auth {
namespace {

using testing::EsKey;
using testing::Quoted;
using testing::SignWith;

constexpr const char* kTokenUrl = "http://127.0.0.1:8080/auth/token";

class TokenEndpointTest : public ::testing::Test {
 protected:
  TokenEndpointTest()
      : service_(TokenServiceOptions{.token_url = kTokenUrl},
                 {{"es-client", EsKey().jwks, *ScopeSet::Parse("system/Location.rs")}}),
        endpoint_(service_) {}

  rest::RestResponse Post(std::string body,
                          std::string content_type = "application/x-www-form-urlencoded") {
    rest::RestRequest r;
    r.method = "POST";
    r.target = "/auth/token";
    r.content_type = std::move(content_type);
    r.body = std::move(body);
    return endpoint_.Answer(r);
  }

  static std::string Header(const rest::RestResponse& r, std::string_view name) {
    for (const auto& [n, v] : r.headers) {
      if (n == name) return v;
    }
    return "";
  }

  static std::string Member(const rest::RestResponse& r, std::string_view name) {
    Result<json::Document> doc = json::Parse(r.body);
    if (!doc.ok()) return "(not json)";
    const json::Value* v = doc->root().Find(name);
    return v == nullptr ? "" : std::string(v->text());
  }

  std::string Assertion(const std::string& jti) {
    const std::int64_t exp = NowUnixSeconds() + 60;
    return SignWith(EsKey(), JwsAlgorithm::kEs384, "es-1",
                    "{\"iss\":\"es-client\",\"sub\":\"es-client\",\"aud\":" + Quoted(kTokenUrl) +
                        ",\"exp\":" + std::to_string(exp) + ",\"jti\":" + Quoted(jti) + "}");
  }

  static std::int64_t NowUnixSeconds() {
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }

  TokenService service_;
  TokenEndpoint endpoint_;
};

TEST_F(TokenEndpointTest, AnswersATokenResponse) {
  rest::RestResponse r = Post(
      "grant_type=client_credentials&client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3A"
      "client-assertion-type%3Ajwt-bearer&scope=system%2FLocation.rs+system%2FEncounter.rs"
      "&client_assertion=" +
      Assertion("e1"));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.content_type, "application/json");
  EXPECT_EQ(Header(r, "Cache-Control"), "no-store");
  EXPECT_EQ(Member(r, "token_type"), "bearer");
  EXPECT_EQ(Member(r, "expires_in"), "300");
  EXPECT_EQ(Member(r, "scope"), "system/Location.rs");
  EXPECT_NE(service_.Lookup(Member(r, "access_token")), nullptr);
}

TEST_F(TokenEndpointTest, AnswersErrorsAsJson) {
  rest::RestResponse r = Post("grant_type=password");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(Member(r, "error"), "unsupported_grant_type");
  EXPECT_EQ(Header(r, "Cache-Control"), "no-store");
  r = Post(
      "grant_type=client_credentials&client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3A"
      "client-assertion-type%3Ajwt-bearer&scope=system%2FLocation.rs&client_assertion=a.b.c");
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(Member(r, "error"), "invalid_client");
  r = Post("grant_type=client_credentials&grant_type=client_credentials");
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(Member(r, "error_description").find("repeated"), std::string::npos);
  r = Post("grant_type=client_credentials", "application/json");
  EXPECT_EQ(Member(r, "error"), "invalid_request");
  r = Post("grant_type=%zz");
  EXPECT_EQ(Member(r, "error"), "invalid_request");
  rest::RestRequest get;
  get.method = "GET";
  r = endpoint_.Answer(get);
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(Header(r, "Allow"), "POST");
}

TEST(TokenUrlForBase, ReplacesTheFhirPath) {
  EXPECT_EQ(TokenUrlForBase("http://127.0.0.1:8080/fhir"), "http://127.0.0.1:8080/auth/token");
  EXPECT_EQ(TokenUrlForBase("https://x.example/regional/fhir/"),
            "https://x.example/regional/auth/token");
  EXPECT_EQ(TokenUrlForBase("https://x.example/api"), "https://x.example/auth/token");
}

TEST(SmartConfiguration, ListsTheEndpointAlgorithmsAndScopes) {
  TokenService service(TokenServiceOptions{.token_url = kTokenUrl},
                       {{"a", EsKey().jwks, *ScopeSet::Parse("system/Location.rs")},
                        {"b", EsKey().jwks, *ScopeSet::Parse("system/*.rs system/Location.rs")}});
  SmartConfigurationEndpoint endpoint(service);
  Result<json::Document> doc = json::Parse(endpoint.document());
  ASSERT_TRUE(doc.ok()) << endpoint.document();
  const json::Value& d = doc->root();
  EXPECT_EQ(d.Find("token_endpoint")->text(), kTokenUrl);
  EXPECT_EQ(d.Find("token_endpoint_auth_methods_supported")->elements()[0].text(),
            "private_key_jwt");
  ASSERT_EQ(d.Find("token_endpoint_auth_signing_alg_values_supported")->size(), 2u);
  EXPECT_EQ(d.Find("grant_types_supported")->elements()[0].text(), "client_credentials");
  EXPECT_EQ(d.Find("capabilities")->elements()[0].text(), "client-confidential-asymmetric");
  ASSERT_EQ(d.Find("scopes_supported")->size(), 2u);
  EXPECT_EQ(d.Find("scopes_supported")->elements()[0].text(), "system/*.rs");
  EXPECT_EQ(d.Find("scopes_supported")->elements()[1].text(), "system/Location.rs");
}

}  // namespace
}  // namespace fhirengine::auth

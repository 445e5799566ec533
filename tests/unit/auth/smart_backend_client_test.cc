// The backend-services client against the real token endpoint in process
// (its transport calls TokenEndpoint::Answer): the assertion it signs is
// accepted, the token is cached until expires_in minus the margin on an
// injected clock, Invalidate forces a new one, and refusals and transport
// failures come back as statuses.
#include "engine/auth/smart_backend_client.h"

#include <gtest/gtest.h>

#include <thread>

#include "engine/auth/token_endpoint.h"
#include "engine/json/json_parser.h"
#include "tests/unit/auth/test_keys.h"

namespace fhirengine::auth {
namespace {

using testing::EsKey;
using testing::RsKey;

constexpr const char* kTokenUrl = "http://127.0.0.1:9/auth/token";

class SmartBackendClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    TokenServiceOptions options;
    options.token_url = kTokenUrl;
    options.token_lifetime = std::chrono::seconds(120);
    options.now_ms = [this] { return now_ms_; };
    service_ = std::make_unique<TokenService>(
        options, std::vector<RegisteredClient>{
                     {"es-client", EsKey().jwks, *ScopeSet::Parse("system/Location.rs")},
                     {"rs-client", RsKey().jwks, *ScopeSet::Parse("system/*.rs")}});
    endpoint_ = std::make_unique<TokenEndpoint>(*service_);
  }

  // Posts to the in-process endpoint, as the network would.
  Result<net::HttpResponse> Send(const net::HttpRequest& request) {
    if (fail_transport_) return Status(StatusCode::kUnavailable, "connection refused");
    EXPECT_EQ(request.url, kTokenUrl);
    rest::RestRequest r;
    r.method = request.method;
    r.target = "/auth/token";
    for (const auto& [name, value] : request.headers) {
      if (name == "Content-Type") r.content_type = value;
    }
    r.body = request.body;
    last_body_ = request.body;
    rest::RestResponse answer = endpoint_->Answer(r);
    net::HttpResponse out;
    out.status = answer.status;
    out.body = answer.body;
    return out;
  }

  std::unique_ptr<SmartBackendClient> MakeClient(const std::string& client_id, JwsAlgorithm alg,
                                                 const std::string& kid) {
    SmartBackendClientOptions o;
    o.token_url = kTokenUrl;
    o.client_id = client_id;
    o.private_key_pem =
        *PrivateKeyToPem(alg == JwsAlgorithm::kEs384 ? *EsKey().private_key : *RsKey().private_key);
    o.key_id = kid;
    o.algorithm = alg;
    o.scope = "system/Location.rs";
    o.refresh_margin = std::chrono::seconds(20);
    o.now_ms = [this] { return now_ms_; };
    Result<std::unique_ptr<SmartBackendClient>> c =
        SmartBackendClient::Create(o, [this](const net::HttpRequest& r) { return Send(r); });
    FE_CHECK(c.ok());
    return std::move(c).value();
  }

  std::int64_t now_ms_ = 1'800'000'000'000;
  bool fail_transport_ = false;
  std::string last_body_;
  std::unique_ptr<TokenService> service_;
  std::unique_ptr<TokenEndpoint> endpoint_;
};

TEST_F(SmartBackendClientTest, GetsATokenTheServerAcceptsWithBothAlgorithms) {
  for (auto [id, alg, kid] : {std::tuple{"es-client", JwsAlgorithm::kEs384, "es-1"},
                              std::tuple{"rs-client", JwsAlgorithm::kRs384, "rs-1"}}) {
    auto client = MakeClient(id, alg, kid);
    Result<std::string> token = client->AccessToken();
    ASSERT_TRUE(token.ok()) << token.status().ToString();
    std::shared_ptr<const AccessGrant> grant = service_->Lookup(*token);
    ASSERT_NE(grant, nullptr);
    EXPECT_EQ(grant->client_id, id);
    EXPECT_TRUE(grant->scope.Allows("Location", kPermRead));
    EXPECT_NE(last_body_.find("grant_type=client_credentials"), std::string::npos);
    EXPECT_NE(last_body_.find("scope=system%2FLocation.rs"), std::string::npos);
    Result<std::string> header = client->AuthorizationHeader();
    ASSERT_TRUE(header.ok());
    EXPECT_EQ(*header, "Bearer " + *token);
  }
}

TEST_F(SmartBackendClientTest, AssertionsCarryTheRequiredClaims) {
  auto client = MakeClient("es-client", JwsAlgorithm::kEs384, "es-1");
  Result<std::string> a = client->BuildAssertion();
  Result<std::string> b = client->BuildAssertion();
  ASSERT_TRUE(a.ok() && b.ok());
  Result<DecodedJws> jws = DecodeJws(*a);
  ASSERT_TRUE(jws.ok());
  EXPECT_EQ(jws->kid.value_or(""), "es-1");
  Result<json::Document> claims = json::Parse(jws->payload_json);
  ASSERT_TRUE(claims.ok());
  const json::Value& c = claims->root();
  EXPECT_EQ(c.Find("iss")->text(), "es-client");
  EXPECT_EQ(c.Find("sub")->text(), "es-client");
  EXPECT_EQ(c.Find("aud")->text(), kTokenUrl);
  EXPECT_EQ(c.Find("exp")->text(), std::to_string(now_ms_ / 1000 + 300));
  Result<DecodedJws> other = DecodeJws(*b);
  ASSERT_TRUE(other.ok());
  Result<json::Document> other_claims = json::Parse(other->payload_json);
  EXPECT_NE(other_claims->root().Find("jti")->text(), c.Find("jti")->text());
}

TEST_F(SmartBackendClientTest, CachesUntilExpiryMinusMarginThenRenews) {
  auto client = MakeClient("es-client", JwsAlgorithm::kEs384, "es-1");
  Result<std::string> first = client->AccessToken();
  ASSERT_TRUE(first.ok());
  now_ms_ += 99'000;  // lifetime 120 s, margin 20 s: still cached
  Result<std::string> again = client->AccessToken();
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, *first);
  EXPECT_EQ(client->token_requests(), 1u);
  now_ms_ += 1'000;  // 100 s: renewed
  Result<std::string> renewed = client->AccessToken();
  ASSERT_TRUE(renewed.ok()) << renewed.status().ToString();
  EXPECT_NE(*renewed, *first);
  EXPECT_EQ(client->token_requests(), 2u);
}

TEST_F(SmartBackendClientTest, InvalidateForcesANewToken) {
  auto client = MakeClient("es-client", JwsAlgorithm::kEs384, "es-1");
  Result<std::string> first = client->AccessToken();
  ASSERT_TRUE(first.ok());
  client->Invalidate();
  Result<std::string> second = client->AccessToken();
  ASSERT_TRUE(second.ok());
  EXPECT_NE(*second, *first);
  EXPECT_EQ(client->token_requests(), 2u);
}

TEST_F(SmartBackendClientTest, ReportsRefusalsAndTransportFailures) {
  // A kid the server does not know: invalid_client, and nothing cached.
  auto client = MakeClient("es-client", JwsAlgorithm::kEs384, "es-9");
  Result<std::string> token = client->AccessToken();
  ASSERT_FALSE(token.ok());
  EXPECT_EQ(token.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(token.status().message().find("invalid_client"), std::string::npos);
  EXPECT_FALSE(client->AccessToken().ok());
  EXPECT_EQ(client->token_requests(), 2u);
  fail_transport_ = true;
  auto good = MakeClient("es-client", JwsAlgorithm::kEs384, "es-1");
  token = good->AccessToken();
  ASSERT_FALSE(token.ok());
  EXPECT_EQ(token.status().code(), StatusCode::kUnavailable);
}

TEST_F(SmartBackendClientTest, ConcurrentCallersShareOneTokenRequest) {
  auto client = MakeClient("es-client", JwsAlgorithm::kEs384, "es-1");
  std::vector<std::string> tokens(8);
  {
    std::vector<std::jthread> threads;
    for (std::size_t i = 0; i < tokens.size(); ++i) {
      threads.emplace_back([&client, &tokens, i] {
        Result<std::string> t = client->AccessToken();
        tokens[i] = t.ok() ? *t : "";
      });
    }
  }
  for (const std::string& t : tokens) EXPECT_EQ(t, tokens[0]);
  EXPECT_FALSE(tokens[0].empty());
  EXPECT_EQ(client->token_requests(), 1u);
}

TEST(SmartBackendClient, RefusesBadOptions) {
  auto transport = [](const net::HttpRequest&) -> Result<net::HttpResponse> {
    return net::HttpResponse{};
  };
  SmartBackendClientOptions o;
  o.token_url = "https://ehr.example/auth/token";
  o.client_id = "c";
  o.key_id = "k";
  o.scope = "system/Location.rs";
  o.private_key_pem = *PrivateKeyToPem(*EsKey().private_key);
  o.algorithm = JwsAlgorithm::kRs384;  // an EC key cannot sign RS384
  EXPECT_FALSE(SmartBackendClient::Create(o, transport).ok());
  o.algorithm = JwsAlgorithm::kEs384;
  EXPECT_TRUE(SmartBackendClient::Create(o, transport).ok());
  o.private_key_pem.clear();
  o.private_key_file = "/nonexistent/key.pem";
  Result<std::unique_ptr<SmartBackendClient>> missing = SmartBackendClient::Create(o, transport);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kIoError);
  o.token_url = "ehr.example/token";
  EXPECT_FALSE(SmartBackendClient::Create(o, transport).ok());
}

TEST(SmartBackendClient, RefusesMalformedTokenResponses) {
  SmartBackendClientOptions o;
  o.token_url = "https://ehr.example/auth/token";
  o.client_id = "c";
  o.key_id = "k";
  o.scope = "system/Location.rs";
  o.private_key_pem = *PrivateKeyToPem(*EsKey().private_key);
  for (const char* body : {"not json", R"({"access_token":"x","token_type":"mac","expires_in":60})",
                           R"({"access_token":"x","token_type":"bearer"})",
                           R"({"token_type":"bearer","expires_in":60})"}) {
    auto c =
        SmartBackendClient::Create(o, [body](const net::HttpRequest&) -> Result<net::HttpResponse> {
          net::HttpResponse r;
          r.status = 200;
          r.body = body;
          return r;
        });
    ASSERT_TRUE(c.ok());
    Result<std::string> token = (*c)->AccessToken();
    EXPECT_FALSE(token.ok()) << body;
  }
}

TEST(SmartBackendClient, AHugeExpiresInIsCachedForAtMostADay) {
  std::int64_t now_ms = 1'800'000'000'000;
  int requests = 0;
  SmartBackendClientOptions o;
  o.token_url = "https://ehr.example/auth/token";
  o.client_id = "c";
  o.key_id = "k";
  o.scope = "system/Location.rs";
  o.private_key_pem = *PrivateKeyToPem(*EsKey().private_key);
  o.now_ms = [&now_ms] { return now_ms; };
  auto c = SmartBackendClient::Create(
      o, [&requests](const net::HttpRequest&) -> Result<net::HttpResponse> {
        net::HttpResponse r;
        r.status = 200;
        r.body = R"({"access_token":"t)" + std::to_string(++requests) +
                 R"(","token_type":"bearer","expires_in":9223372036854775807})";
        return r;
      });
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(*(*c)->AccessToken(), "t1");
  now_ms += 23 * 3'600'000;
  EXPECT_EQ(*(*c)->AccessToken(), "t1");
  now_ms += 3'600'000;  // a day on: renewed, not cached "for ever"
  EXPECT_EQ(*(*c)->AccessToken(), "t2");
}

}  // namespace
}  // namespace fhirengine::auth

// SMART Backend Services for pulled sources: token URL discovery (and its
// refusal of plain-http endpoints elsewhere), the Bearer token on requests,
// and one renewal after a 401.
#include "adapters/http_source/smart_backend_authorizer.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "engine/auth/jwk.h"
#include "engine/auth/jws.h"
#include "tests/unit/adapters/http_source/pull_test_support.h"

namespace fhirengine::adapters::http_source {
namespace {

std::string WriteKeyFile() {
  Result<auth::KeyHandle> key = auth::GeneratePrivateKey(auth::JwsAlgorithm::kEs384);
  FE_CHECK(key.ok());
  Result<std::string> pem = auth::PrivateKeyToPem(**key);
  FE_CHECK(pem.ok());
  const std::string path = (std::filesystem::temp_directory_path() /
                            ("fe-smart-key-" + std::to_string(::getpid()) + ".pem"))
                               .string();
  std::ofstream(path) << *pem;
  return path;
}

TEST(SmartBackendAuthorizer, ChecksDiscoveredTokenEndpoints) {
  const SourceUrl base = *ParseSourceUrl("http://ehr.test/fhir");
  EXPECT_EQ(*TokenEndpointFromSmartConfiguration(
                R"({"token_endpoint":"https://auth.ehr.test/token"})", base),
            "https://auth.ehr.test/token");
  EXPECT_EQ(*TokenEndpointFromSmartConfiguration(
                R"({"token_endpoint":"http://ehr.test/auth/token"})", base),
            "http://ehr.test/auth/token");
  Result<std::string> elsewhere = TokenEndpointFromSmartConfiguration(
      R"({"token_endpoint":"http://collector.test/token"})", base);
  ASSERT_FALSE(elsewhere.ok());
  EXPECT_NE(elsewhere.status().message().find("collector.test"), std::string::npos);
  EXPECT_FALSE(TokenEndpointFromSmartConfiguration(R"({"issuer":"x"})", base).ok());
  EXPECT_FALSE(TokenEndpointFromSmartConfiguration("<html>", base).ok());
}

TEST(SmartBackendAuthorizer, DiscoversGetsTokensAndRenewsAfter401) {
  const std::string key_file = WriteKeyFile();
  int tokens_issued = 0;
  auto client = std::make_shared<pull_testing::ScriptedHttpClient>(
      [&tokens_issued](const net::HttpRequest& r) {
        if (r.url == "http://ehr.test/fhir/.well-known/smart-configuration") {
          return pull_testing::JsonResponse(404, "");
        }
        if (r.url == "http://ehr.test/.well-known/smart-configuration") {
          return pull_testing::JsonResponse(
              200, R"({"token_endpoint":"http://ehr.test/auth/token"})", "application/json");
        }
        if (r.url == "http://ehr.test/auth/token" && r.method == "POST" &&
            r.body.find("client_assertion=") != std::string::npos &&
            r.body.find("grant_type=client_credentials") != std::string::npos) {
          ++tokens_issued;
          return pull_testing::JsonResponse(
              200,
              R"({"access_token":"tok-)" + std::to_string(tokens_issued) +
                  R"(","token_type":"bearer","expires_in":300,"scope":"system/Location.rs"})",
              "application/json");
        }
        return pull_testing::JsonResponse(400, "");
      });
  AuthSettings auth;
  auth.type = AuthType::kSmartBackend;
  auth.client_id = "regional-engine";
  auth.private_key_file = key_file;
  auth.key_id = "k1";
  auth.algorithm = "ES384";
  auth.scope = "system/Location.rs";
  Result<std::shared_ptr<RequestAuthorizer>> authorizer =
      MakeAuthorizer(auth, *ParseSourceUrl("http://ehr.test/fhir"), client);
  ASSERT_TRUE(authorizer.ok()) << authorizer.status().message();
  EXPECT_TRUE(client->requests().empty());  // nothing is sent before the first request

  Result<std::string> header = (*authorizer)->Authorization();
  ASSERT_TRUE(header.ok()) << header.status().message();
  EXPECT_EQ(*header, "Bearer tok-1");
  EXPECT_EQ(*(*authorizer)->Authorization(), "Bearer tok-1");  // cached
  EXPECT_EQ(tokens_issued, 1);
  EXPECT_TRUE((*authorizer)->InvalidateAfterUnauthorized());
  EXPECT_EQ(*(*authorizer)->Authorization(), "Bearer tok-2");
  std::filesystem::remove(key_file);
}

TEST(SmartBackendAuthorizer, ConfiguredTokenUrlLoadsTheKeyAtOnce) {
  auto client = std::make_shared<pull_testing::ScriptedHttpClient>(
      [](const net::HttpRequest&) { return pull_testing::JsonResponse(500, ""); });
  const std::string bad_key =
      (std::filesystem::temp_directory_path() / ("fe-not-a-key-" + std::to_string(::getpid())))
          .string();
  std::ofstream(bad_key) << "not a key";
  AuthSettings auth;
  auth.type = AuthType::kSmartBackend;
  auth.client_id = "c";
  auth.private_key_file = bad_key;
  auth.token_url = "https://ehr.test/auth/token";
  auth.algorithm = "RS384";
  Result<std::shared_ptr<RequestAuthorizer>> authorizer =
      MakeAuthorizer(auth, *ParseSourceUrl("https://ehr.test/fhir"), client);
  EXPECT_FALSE(authorizer.ok());
  EXPECT_NE(authorizer.status().message().find("smart-backend"), std::string::npos);
  std::filesystem::remove(bad_key);
}

}  // namespace
}  // namespace fhirengine::adapters::http_source

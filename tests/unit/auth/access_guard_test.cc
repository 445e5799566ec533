// The API guard: Bearer parsing, unknown tokens, and the scope a refused
// interaction needs.
#include "engine/auth/access_guard.h"

#include <gtest/gtest.h>

#include "tests/unit/auth/test_keys.h"

namespace fhirengine::auth {
namespace {

using testing::EsKey;
using testing::Quoted;
using testing::SignWith;

TEST(SmartAccessGuard, AuthenticatesBearerTokensAndNamesMissingScopes) {
  std::int64_t now_ms = 1'800'000'000'000;
  TokenServiceOptions options;
  options.token_url = "http://127.0.0.1/auth/token";
  options.now_ms = [&now_ms] { return now_ms; };
  TokenService service(options,
                       {{"c", EsKey().jwks, *ScopeSet::Parse("system/Location.rs system/*.s")}});
  TokenRequest req;
  req.grant_type = "client_credentials";
  req.client_assertion_type = std::string(kJwtBearerAssertionType);
  req.scope = "system/Location.rs system/*.s";
  req.client_assertion =
      SignWith(EsKey(), JwsAlgorithm::kEs384, "es-1",
               "{\"iss\":\"c\",\"sub\":\"c\",\"aud\":" + Quoted(options.token_url) +
                   ",\"exp\":" + std::to_string(now_ms / 1000 + 60) + ",\"jti\":\"x\"}");
  auto issued = service.Exchange(req);
  ASSERT_TRUE(std::holds_alternative<IssuedToken>(issued));
  const std::string token = std::get<IssuedToken>(issued).access_token;

  SmartAccessGuard guard(service);
  rest::RestRequest request;
  Result<std::shared_ptr<const rest::RequestAccess>> access = guard.Authenticate(request);
  ASSERT_FALSE(access.ok());
  EXPECT_NE(access.status().message().find("/auth/token"), std::string::npos);
  request.authorization = "Basic " + token;
  EXPECT_FALSE(guard.Authenticate(request).ok());
  request.authorization = "Bearer garbage";
  EXPECT_FALSE(guard.Authenticate(request).ok());
  request.authorization = "bearer " + token;  // the scheme is case-insensitive
  access = guard.Authenticate(request);
  ASSERT_TRUE(access.ok()) << access.status().ToString();
  EXPECT_EQ(access.status().message().find(token), std::string::npos);
  const rest::RequestAccess& a = **access;
  EXPECT_FALSE(a.MissingScope("Location", rest::AccessRight::kRead).has_value());
  EXPECT_FALSE(a.MissingScope("*", rest::AccessRight::kSearch).has_value());
  EXPECT_EQ(a.MissingScope("Location", rest::AccessRight::kCreate).value_or(""),
            "system/Location.c");
  EXPECT_EQ(a.MissingScope("Patient", rest::AccessRight::kRead).value_or(""), "system/Patient.r");
  EXPECT_EQ(a.MissingScope("*", rest::AccessRight::kDelete).value_or(""), "system/*.d");
  now_ms += 301'000;
  EXPECT_FALSE(guard.Authenticate(request).ok());
}

}  // namespace
}  // namespace fhirengine::auth

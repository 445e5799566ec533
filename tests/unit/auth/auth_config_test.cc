// The "auth" configuration section: clients with inline or file JWKS,
// every error naming its path, and "off" only on loopback.
#include "engine/auth/auth_config.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "engine/json/json_parser.h"
#include "tests/unit/auth/test_keys.h"

namespace fhirengine::auth {
namespace {

using testing::EsKey;
using testing::RsKey;

Result<AuthConfig> Parse(const std::string& text) {
  Result<json::Document> doc = json::Parse(text);
  FE_CHECK(doc.ok());
  return ParseAuthConfig(doc->root(), "c.json: $.auth");
}

std::string ErrorOf(const std::string& text) {
  Result<AuthConfig> c = Parse(text);
  return c.ok() ? "(ok)" : c.status().message();
}

TEST(AuthConfig, ReadsClientsWithInlineAndFileKeys) {
  const std::filesystem::path file =
      std::filesystem::temp_directory_path() / ("fe-auth-config-" + std::to_string(::getpid()));
  std::ofstream(file) << RsKey().jwks_json;
  Result<AuthConfig> c = Parse(R"({"mode": "smart", "token-lifetime-s": 120, "clients": [
      {"client-id": "a", "jwks": )" +
                               EsKey().jwks_json +
                               R"(, "scope": "system/Location.rs"},
      {"client-id": "b", "jwks-file": ")" +
                               file.string() + R"(", "scope": "system/*.cruds"}]})");
  std::filesystem::remove(file);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->mode, AuthMode::kSmart);
  EXPECT_EQ(c->token_lifetime.count(), 120);
  ASSERT_EQ(c->clients.size(), 2u);
  EXPECT_EQ(c->clients[0].client_id, "a");
  EXPECT_NE(c->clients[0].keys.Find(std::string("es-1")), nullptr);
  EXPECT_EQ(c->clients[0].scope.ToString(), "system/Location.rs");
  EXPECT_NE(c->clients[1].keys.Find(std::string("rs-1")), nullptr);
  EXPECT_TRUE(c->clients[1].scope.Allows("*", kPermDelete));
}

TEST(AuthConfig, NamesThePathOfEachError) {
  EXPECT_EQ(ErrorOf(R"({"mode": "on"})"),
            "c.json: $.auth.mode: expected \"smart\" or \"off\", found \"on\"");
  EXPECT_EQ(ErrorOf(R"({"mode": "smart"})"),
            "c.json: $.auth.clients: mode \"smart\" needs at least one registered client");
  EXPECT_NE(ErrorOf(R"({"mode": "off", "extra": 1})").find("$.auth.extra: unknown key"),
            std::string::npos);
  EXPECT_NE(ErrorOf(R"({"mode": "off", "token-lifetime-s": 0})").find("token-lifetime-s"),
            std::string::npos);
  EXPECT_NE(ErrorOf(R"({"mode": "smart", "clients": [{"client-id": "a", "scope": "system/*.rs"}]})")
                .find("exactly one of \"jwks\" or \"jwks-file\""),
            std::string::npos);
  const std::string bad_scope =
      ErrorOf(R"({"mode": "smart", "clients": [{"client-id": "a", "jwks": )" + EsKey().jwks_json +
              R"(, "scope": "patient/*.rs"}]})");
  EXPECT_NE(bad_scope.find("$.auth.clients[0].scope"), std::string::npos) << bad_scope;
  const std::string bad_key = ErrorOf(
      R"({"mode": "smart", "clients": [{"client-id": "a", "jwks": {"keys": [{"kty": "EC", "crv": "P-256", "x": "AA", "y": "AA"}]}, "scope": "system/*.rs"}]})");
  EXPECT_NE(bad_key.find("$.auth.clients[0].jwks: keys[0]"), std::string::npos) << bad_key;
  const std::string twice =
      ErrorOf(R"({"mode": "smart", "clients": [{"client-id": "a", "jwks": )" + EsKey().jwks_json +
              R"(, "scope": "system/*.rs"}, {"client-id": "a", "jwks": )" + EsKey().jwks_json +
              R"(, "scope": "system/*.rs"}]})");
  EXPECT_NE(twice.find("registered twice"), std::string::npos);
  Result<AuthConfig> missing = Parse(
      R"({"mode": "smart", "clients": [{"client-id": "a", "jwks-file": "/nonexistent/k.json", "scope": "system/*.rs"}]})");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kIoError);
}

TEST(AuthConfig, OffIsForLoopbackOnly) {
  AuthConfig off;
  EXPECT_TRUE(CheckAuthModeForHost(off, "127.0.0.1").ok());
  EXPECT_TRUE(CheckAuthModeForHost(off, "127.1.2.3").ok());
  EXPECT_TRUE(CheckAuthModeForHost(off, "::1").ok());
  EXPECT_TRUE(CheckAuthModeForHost(off, "localhost").ok());
  Status s = CheckAuthModeForHost(off, "0.0.0.0");
  ASSERT_FALSE(s.ok());
  EXPECT_NE(
      s.message().find("auth.mode off is for the local demo only: the server listens on 0.0.0.0"),
      std::string::npos);
  EXPECT_FALSE(CheckAuthModeForHost(off, "10.0.0.5").ok());
  EXPECT_FALSE(CheckAuthModeForHost(off, "127.0.0.1.example").ok());
  AuthConfig smart;
  smart.mode = AuthMode::kSmart;
  EXPECT_TRUE(CheckAuthModeForHost(smart, "0.0.0.0").ok());
}

}  // namespace
}  // namespace fhirengine::auth

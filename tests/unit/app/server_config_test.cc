// The serve configuration: defaults, every key, and errors that name the
// JSON path.
#include "engine/app/server_config.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "tests/unit/auth/test_keys.h"

namespace fhirengine::app {
namespace {

TEST(ServerConfig, EmptyObjectGivesTheDefaults) {
  Result<ServerConfig> c = ParseServerConfig("{}", "c.json");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->host, "127.0.0.1");
  EXPECT_EQ(c->port, 8080);
  EXPECT_EQ(c->database, "fhir-engine.db");
  EXPECT_EQ(c->durability, store::Durability::kFull);
  EXPECT_GE(c->EffectiveThreads(), 2);
  EXPECT_EQ(c->max_body_bytes, 16u << 20);
}

TEST(ServerConfig, ReadsEveryKey) {
  Result<ServerConfig> c = ParseServerConfig(R"({
    "server": {"host": "127.0.0.2", "port": 0, "threads": 3, "base-url": "https://fhir.example/fhir/",
               "limits": {"max-body-bytes": 1000, "max-header-bytes": 2048,
                          "request-timeout-ms": 500, "idle-timeout-ms": 700,
                          "max-connections": 9}},
    "store": {"database": "/var/lib/fe.db", "durability": "normal"}})",
                                             "c.json");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->host, "127.0.0.2");
  EXPECT_EQ(c->port, 0);
  EXPECT_EQ(c->EffectiveThreads(), 3);
  EXPECT_EQ(c->base_url, "https://fhir.example/fhir");
  EXPECT_EQ(c->max_body_bytes, 1000u);
  EXPECT_EQ(c->max_header_bytes, 2048u);
  EXPECT_EQ(c->request_timeout.count(), 500);
  EXPECT_EQ(c->idle_timeout.count(), 700);
  EXPECT_EQ(c->max_connections, 9u);
  EXPECT_EQ(c->database, "/var/lib/fe.db");
  EXPECT_EQ(c->durability, store::Durability::kNormal);
}

TEST(ServerConfig, CapacityIsOnUnlessTurnedOff) {
  EXPECT_TRUE(ParseServerConfig("{}", "c.json")->capacity_enabled);
  Result<ServerConfig> off = ParseServerConfig(R"({"capacity": {"enabled": false}})", "c.json");
  ASSERT_TRUE(off.ok()) << off.status().ToString();
  EXPECT_FALSE(off->capacity_enabled);
}

TEST(ServerConfig, CapacityHistoryIntervalAndRetention) {
  Result<ServerConfig> defaults = ParseServerConfig("{}", "c.json");
  ASSERT_TRUE(defaults.ok());
  EXPECT_EQ(defaults->capacity_snapshot_interval_ms, 300'000);
  EXPECT_EQ(defaults->capacity_history_retention_ms, 14LL * 86'400'000);
  Result<ServerConfig> set = ParseServerConfig(
      R"({"capacity": {"snapshot-interval-s": 60, "history-days": 3}})", "c.json");
  ASSERT_TRUE(set.ok()) << set.status().ToString();
  EXPECT_EQ(set->capacity_snapshot_interval_ms, 60'000);
  EXPECT_EQ(set->capacity_history_retention_ms, 3LL * 86'400'000);
}

std::string ErrorOf(std::string_view text) {
  Result<ServerConfig> c = ParseServerConfig(text, "demo.json");
  return c.ok() ? "" : c.status().message();
}

TEST(ServerConfig, ErrorsNameFileAndJsonPath) {
  EXPECT_EQ(ErrorOf(R"({"server": {"limits": {"max-body": 1}}})"),
            "demo.json: $.server.limits.max-body: unknown key (known here: max-body-bytes, "
            "max-header-bytes, request-timeout-ms, idle-timeout-ms, max-connections, "
            "max-requests-per-second-per-client)");
  EXPECT_EQ(ErrorOf(R"({"sever": {}})"),
            "demo.json: $.sever: unknown key (known here: server, store, auth, profiles, "
            "adapters, plugins, pseudonym-key, capacity)");
  EXPECT_EQ(ErrorOf(R"({"capacity": {"enabled": 1}})"),
            "demo.json: $.capacity.enabled: expected true or false");
  EXPECT_EQ(ErrorOf(R"({"capacity": {"on": true}})"),
            "demo.json: $.capacity.on: unknown key (known here: enabled, snapshot-interval-s, "
            "history-days)");
  EXPECT_EQ(ErrorOf(R"({"capacity": {"snapshot-interval-s": 5}})"),
            "demo.json: $.capacity.snapshot-interval-s: expected an integer from 10 to 86400, "
            "found 5");
  EXPECT_EQ(ErrorOf(R"({"server": {"port": 70000}})"),
            "demo.json: $.server.port: expected an integer from 0 to 65535, found 70000");
  EXPECT_EQ(ErrorOf(R"({"server": {"port": "80"}})"),
            "demo.json: $.server.port: expected an integer from 0 to 65535, found \"80\"");
  EXPECT_EQ(ErrorOf(R"({"server": {"threads": 1.5}})"),
            "demo.json: $.server.threads: expected an integer from 1 to 256, found 1.5");
  EXPECT_EQ(ErrorOf(R"({"store": {"durability": "fast"}})"),
            "demo.json: $.store.durability: expected \"full\" or \"normal\", found \"fast\"");
  EXPECT_EQ(ErrorOf(R"({"store": []})"), "demo.json: $.store: expected an object");
  EXPECT_EQ(ErrorOf(R"({"server": {"base-url": "fhir.example"}})"),
            "demo.json: $.server.base-url: expected an absolute http:// or https:// URL");
  EXPECT_EQ(ErrorOf(R"({"server": {"host": ""}})"),
            "demo.json: $.server.host: expected a non-empty string");
  EXPECT_NE(ErrorOf(R"({"server": )").find("demo.json: "), std::string::npos);
}

TEST(ServerConfig, TheDemoConfigLoads) {
  Result<ServerConfig> c = LoadServerConfig(FE_SOURCE_DIR "/config/demo.json");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->host, "127.0.0.1");
  EXPECT_EQ(c->port, 8080);
  EXPECT_EQ(c->database, "fhir-engine.db");
}

TEST(ServerConfig, MissingFileIsAnIoError) {
  Result<ServerConfig> c = LoadServerConfig("/nonexistent/config.json");
  EXPECT_EQ(c.status().code(), StatusCode::kIoError);
}

TEST(ServerConfig, AuthIsOffByDefaultAndOnlyOnLoopback) {
  Result<ServerConfig> c = ParseServerConfig("{}", "demo.json");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->auth.mode, auth::AuthMode::kOff);
  EXPECT_EQ(ErrorOf(R"({"server": {"host": "0.0.0.0"}})"),
            "demo.json: auth.mode off is for the local demo only: the server listens on 0.0.0.0; "
            "set \"auth\": {\"mode\": \"smart\", ...} (see docs/security.md) or listen on "
            "127.0.0.1");
  EXPECT_EQ(ErrorOf(R"({"auth": {"mode": "sometimes"}})"),
            "demo.json: $.auth.mode: expected \"smart\" or \"off\", found \"sometimes\"");
}

TEST(ServerConfig, PlainHttpBeyondLoopbackNeedsToBeAskedFor) {
  const std::string smart = R"("auth": {"mode": "smart", "clients": [{"client-id": "c", "jwks": )" +
                            auth::testing::EsKey().jwks_json + R"(, "scope": "system/*.rs"}]})";
  const std::string plain = ErrorOf(R"({"server": {"host": "0.0.0.0"}, )" + smart + "}");
  EXPECT_NE(plain.find("demo.json: plain HTTP beyond loopback would carry tokens and patient data "
                       "in clear: the server listens on 0.0.0.0;"),
            std::string::npos)
      << plain;
  EXPECT_TRUE(ParseServerConfig(
                  R"({"server": {"host": "0.0.0.0", "allow-plain-http": true}, )" + smart + "}",
                  "demo.json")
                  .ok());
  EXPECT_TRUE(ParseServerConfig(
                  R"({"server": {"host": "0.0.0.0", "tls": {"cert-file": "s.pem", "key-file": )"
                  R"("s.key"}}, )" +
                      smart + "}",
                  "demo.json")
                  .ok());
  EXPECT_TRUE(ParseServerConfig(R"({"server": {"host": "127.0.0.1"}})", "demo.json").ok());
  EXPECT_EQ(ErrorOf(R"({"server": {"allow-plain-http": "yes"}})"),
            "demo.json: $.server.allow-plain-http: expected true or false");
}

TEST(ServerConfig, ReadsTlsKeys) {
  Result<ServerConfig> c = ParseServerConfig(
      R"({"server": {"tls": {"cert-file": "s.pem", "key-file": "/etc/k.pem",
                             "client-ca-file": "ca.pem"}}})",
      "c.json");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->tls_cert_file, "s.pem");
  EXPECT_EQ(c->tls_key_file, "/etc/k.pem");
  EXPECT_EQ(c->tls_client_ca_file, "ca.pem");
  Result<ServerConfig> plain = ParseServerConfig("{}", "c.json");
  ASSERT_TRUE(plain.ok());
  EXPECT_TRUE(plain->tls_cert_file.empty());
}

TEST(ServerConfig, TlsErrorsNameTheKey) {
  Result<ServerConfig> no_key =
      ParseServerConfig(R"({"server": {"tls": {"cert-file": "s.pem"}}})", "c.json");
  EXPECT_EQ(no_key.status().message(), "c.json: $.server.tls.key-file: required with tls");
  Result<ServerConfig> unknown = ParseServerConfig(
      R"({"server": {"tls": {"cert-file": "s.pem", "key-file": "k", "ciphers": "x"}}})", "c.json");
  EXPECT_EQ(unknown.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(unknown.status().message().find("$.server.tls.ciphers: unknown key"), std::string::npos)
      << unknown.status().message();
  Result<ServerConfig> empty = ParseServerConfig(R"({"server": {"tls": {}}})", "c.json");
  EXPECT_EQ(empty.status().message(), "c.json: $.server.tls.cert-file: required with tls");
}

TEST(ServerConfig, TlsPathsAreRelativeToTheConfigFile) {
  const std::string dir = ::testing::TempDir() + "server_config_tls";
  std::filesystem::create_directories(dir + "/conf");
  const std::string path = dir + "/conf/serve.json";
  std::ofstream(path) << R"({"server": {"tls": {"cert-file": "certs/s.pem",
                                                "key-file": "/abs/k.pem"}}})";
  Result<ServerConfig> c = LoadServerConfig(path);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->tls_cert_file, dir + "/conf/certs/s.pem");
  EXPECT_EQ(c->tls_key_file, "/abs/k.pem");
  EXPECT_TRUE(c->tls_client_ca_file.empty());
}

TEST(ServerConfig, ProfileDirectoriesAreRelativeToTheConfigFile) {
  const std::string dir = ::testing::TempDir() + "server_config_profiles";
  std::filesystem::create_directories(dir + "/conf");
  const std::string path = dir + "/conf/serve.json";
  std::ofstream(path) << R"({"profiles": {"directories": ["profiles/regional", "/abs/base"]}})";
  Result<ServerConfig> c = LoadServerConfig(path);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  ASSERT_EQ(c->profile_directories.size(), 2u);
  EXPECT_EQ(c->profile_directories[0], dir + "/conf/profiles/regional");
  EXPECT_EQ(c->profile_directories[1], "/abs/base");
  EXPECT_FALSE(ParseServerConfig(R"({"profiles": {"directories": []}})", "x").ok());
  EXPECT_FALSE(ParseServerConfig(R"({"profiles": {"folders": ["a"]}})", "x").ok());
}

}  // namespace
}  // namespace fhirengine::app

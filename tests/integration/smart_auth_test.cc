// SMART Backend Services on the real binary: keys made in the test (by
// `fhir-engine smart-keygen` and by the openssl command line), tokens got
// over HTTP with real signed assertions (ES384 from SmartBackendClient,
// RS384 signed by `openssl dgst`), then the FHIR API's answers with and
// without them: 200, 401 login, 403 forbidden, public metadata and
// discovery, and Bundles with a forbidden entry.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "engine/auth/base64url.h"
#include "engine/auth/jwk.h"
#include "engine/auth/smart_backend_client.h"
#include "engine/core/log.h"
#include "engine/json/json_parser.h"
#include "tests/support/engine_process.h"
#include "tests/support/http_client.h"

namespace fhirengine::testing {
namespace {

namespace fs = std::filesystem;

std::string ReadAll(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// Runs a helper program to completion; its exit code (or -1).
int RunProgram(const std::string& binary, const std::vector<std::string>& args) {
  std::string error;
  std::unique_ptr<EngineProcess> p = EngineProcess::Spawn(binary, args, error);
  if (p == nullptr) {
    ADD_FAILURE() << binary << ": " << error;
    return -1;
  }
  return p->WaitForExit(std::chrono::seconds(60));
}

std::string JsonMember(const std::string& body, std::string_view name) {
  Result<json::Document> doc = json::Parse(body);
  if (!doc.ok() || !doc->root().IsObject()) return "";
  const json::Value* v = doc->root().Find(name);
  return v != nullptr && (v->IsString() || v->IsNumber()) ? std::string(v->text()) : "";
}

// The first OperationOutcome issue's code.
std::string IssueCode(const std::string& body) {
  Result<json::Document> doc = json::Parse(body);
  if (!doc.ok()) return "(not json)";
  const json::Value* issues = doc->root().Find("issue");
  if (issues == nullptr || issues->size() == 0) return "(no issue)";
  const json::Value* code = issues->elements()[0].Find("code");
  return code != nullptr ? std::string(code->text()) : "(no code)";
}

std::string Quoted(std::string_view s) {
  std::string out;
  log::AppendJsonString(out, s);
  return out;
}

class SmartAuthTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ =
        new fs::path(fs::temp_directory_path() / ("fe-smart-auth-" + std::to_string(::getpid())));
    fs::remove_all(*dir_);
    fs::create_directories(*dir_);
    // The ES384 client's keys from the engine's own tool.
    ASSERT_EQ(RunProgram(FHIR_ENGINE_BINARY, {"smart-keygen", "--alg", "ES384", "--kid", "es-1",
                                              "--out", (*dir_ / "es").string()}),
              0);
    // The RS384 client's key from OpenSSL; its JWKS from the public key.
    ASSERT_EQ(RunProgram("/usr/bin/openssl",
                         {"genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048",
                          "-out", (*dir_ / "rs.key.pem").string()}),
              0);
    Result<auth::KeyHandle> rs = auth::ParsePrivateKeyPem(ReadAll(*dir_ / "rs.key.pem"));
    ASSERT_TRUE(rs.ok());
    Result<std::string> jwk = auth::PublicJwkJson(**rs, "rs-1", auth::JwsAlgorithm::kRs384);
    ASSERT_TRUE(jwk.ok());
    std::ofstream(*dir_ / "rs.jwks.json") << "{\"keys\":[" << *jwk << "]}";
    engine_ = Start(300).release();
    ASSERT_NE(engine_, nullptr);
  }

  static void TearDownTestSuite() {
    if (engine_ != nullptr) EXPECT_EQ(engine_->Stop(), 0);
    delete engine_;
    engine_ = nullptr;
    fs::remove_all(*dir_);
    delete dir_;
  }

  static std::unique_ptr<EngineProcess> Start(int token_lifetime_s) {
    const std::string es_jwks = (*dir_ / "es.jwks.json").string();
    const std::string rs_jwks = (*dir_ / "rs.jwks.json").string();
    const std::string config = R"({"server": {"threads": 2}, "store": {"durability": "normal"},
      "auth": {"mode": "smart", "token-lifetime-s": )" +
                               std::to_string(token_lifetime_s) + R"(, "clients": [
        {"client-id": "regional-engine", "jwks-file": )" +
                               Quoted(es_jwks) +
                               R"(, "scope": "system/Location.rs system/Encounter.rs"},
        {"client-id": "location-writer", "jwks-file": )" +
                               Quoted(es_jwks) + R"(, "scope": "system/Location.cruds"},
        {"client-id": "admin", "jwks-file": )" +
                               Quoted(rs_jwks) + R"(, "scope": "system/*.cruds"}]}})";
    static int n = 0;
    const fs::path file = *dir_ / ("config-" + std::to_string(n) + ".json");
    std::ofstream(file) << config;
    std::string error;
    auto engine =
        EngineProcess::Start(FHIR_ENGINE_BINARY,
                             {"serve", "--config", file.string(), "--port", "0", "--database",
                              (*dir_ / ("db-" + std::to_string(n++))).string()},
                             error);
    EXPECT_NE(engine, nullptr) << error;
    return engine;
  }

  static HttpResponse Call(const EngineProcess& engine, std::string_view method,
                           std::string_view target, const std::string& token = "",
                           std::string_view body = {}) {
    HttpClient client(engine.port());
    HeaderList headers = {{"Content-Type", "application/fhir+json"}};
    if (!token.empty()) headers.emplace_back("Authorization", "Bearer " + token);
    return client.Request(method, target, headers, body);
  }
  static HttpResponse Call(std::string_view method, std::string_view target,
                           const std::string& token = "", std::string_view body = {}) {
    return Call(*engine_, method, target, token, body);
  }

  // The token URL as the server announces it.
  static std::string TokenUrl(const EngineProcess& engine) {
    HttpClient client(engine.port());
    return JsonMember(client.Request("GET", "/.well-known/smart-configuration").body,
                      "token_endpoint");
  }

  // A SmartBackendClient for the ES384 key, over real HTTP to `engine`.
  static std::unique_ptr<auth::SmartBackendClient> Es384Client(const EngineProcess& engine,
                                                               const std::string& client_id,
                                                               const std::string& scope) {
    auth::SmartBackendClientOptions o;
    o.token_url = TokenUrl(engine);
    o.client_id = client_id;
    o.private_key_file = (*dir_ / "es.key.pem").string();
    o.key_id = "es-1";
    o.algorithm = auth::JwsAlgorithm::kEs384;
    o.scope = scope;
    const std::uint16_t port = engine.port();
    auto transport = [port](const net::HttpRequest& r) -> Result<net::HttpResponse> {
      const std::size_t path = r.url.find('/', r.url.find("://") + 3);
      HttpClient client(port);
      HttpResponse got = client.Request(r.method, r.url.substr(path), r.headers, r.body);
      if (got.status == 0) return Status(StatusCode::kUnavailable, got.error);
      net::HttpResponse out;
      out.status = got.status;
      out.body = got.body;
      return out;
    };
    Result<std::unique_ptr<auth::SmartBackendClient>> c =
        auth::SmartBackendClient::Create(o, transport);
    EXPECT_TRUE(c.ok()) << c.status().ToString();
    return c.ok() ? std::move(c).value() : nullptr;
  }

  static std::string Token(const std::string& client_id, const std::string& scope) {
    auto client = Es384Client(*engine_, client_id, scope);
    if (client == nullptr) return "";
    Result<std::string> token = client->AccessToken();
    EXPECT_TRUE(token.ok()) << token.status().ToString();
    return token.ok() ? *token : "";
  }

  // An RS384 assertion for "admin" signed by `openssl dgst -sha384 -sign`.
  static std::string OpensslAssertion(const std::string& aud, const std::string& jti) {
    const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
    const std::string input =
        auth::Base64UrlEncode(R"({"alg":"RS384","typ":"JWT","kid":"rs-1"})") + "." +
        auth::Base64UrlEncode(R"({"iss":"admin","sub":"admin","aud":)" + Quoted(aud) + ",\"exp\":" +
                              std::to_string(now + 120) + ",\"jti\":" + Quoted(jti) + "}");
    const fs::path in = *dir_ / ("input-" + jti), sig = *dir_ / ("sig-" + jti);
    std::ofstream(in, std::ios::binary) << input;
    EXPECT_EQ(
        RunProgram("/usr/bin/openssl", {"dgst", "-sha384", "-sign", (*dir_ / "rs.key.pem").string(),
                                        "-out", sig.string(), in.string()}),
        0);
    return input + "." + auth::Base64UrlEncode(ReadAll(sig));
  }

  static HttpResponse PostToken(const std::string& assertion, const std::string& scope) {
    HttpClient client(engine_->port());
    return client.Request(
        "POST", "/auth/token", {{"Content-Type", "application/x-www-form-urlencoded"}},
        "grant_type=client_credentials&client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3A"
        "client-assertion-type%3Ajwt-bearer&client_assertion=" +
            assertion + "&scope=" + scope);
  }

  static fs::path* dir_;
  static EngineProcess* engine_;
};

fs::path* SmartAuthTest::dir_ = nullptr;
EngineProcess* SmartAuthTest::engine_ = nullptr;

TEST_F(SmartAuthTest, DiscoveryAndMetadataArePublic) {
  HttpResponse d = Call("GET", "/.well-known/smart-configuration");
  ASSERT_EQ(d.status, 200) << d.body;
  EXPECT_EQ(JsonMember(d.body, "token_endpoint"),
            "http://127.0.0.1:" + std::to_string(engine_->port()) + "/auth/token");
  EXPECT_NE(d.body.find("\"private_key_jwt\""), std::string::npos);
  EXPECT_NE(d.body.find("\"ES384\""), std::string::npos);
  EXPECT_EQ(Call("GET", "/fhir/.well-known/smart-configuration").status, 200);
  HttpResponse m = Call("GET", "/fhir/metadata");
  EXPECT_EQ(m.status, 200);
  EXPECT_EQ(JsonMember(m.body, "resourceType"), "CapabilityStatement");
}

TEST_F(SmartAuthTest, ATokenFromASignedEs384AssertionReadsLocations) {
  const std::string token = Token("regional-engine", "system/Location.rs system/Encounter.rs");
  ASSERT_FALSE(token.empty());
  HttpResponse r = Call("GET", "/fhir/Location", token);
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(JsonMember(r.body, "type"), "searchset");
}

TEST_F(SmartAuthTest, NoGarbageOrUnknownTokenIs401Login) {
  for (const std::string& token :
       {std::string(), std::string("garbage"), auth::Base64UrlEncode(std::string(32, 'x'))}) {
    HttpResponse r = Call("GET", "/fhir/Location", token);
    EXPECT_EQ(r.status, 401) << token;
    EXPECT_TRUE(r.Header("WWW-Authenticate").starts_with("Bearer")) << r.Header("WWW-Authenticate");
    EXPECT_EQ(IssueCode(r.body), "login");
  }
  // Unknown routes are 401 too: nothing is probed without a token.
  EXPECT_EQ(Call("GET", "/fhir/NoSuchType").status, 401);
}

TEST_F(SmartAuthTest, ATypeOrInteractionOutsideTheScopesIs403) {
  const std::string token = Token("regional-engine", "system/Location.rs system/Encounter.rs");
  ASSERT_FALSE(token.empty());
  HttpResponse r = Call("GET", "/fhir/Patient", token);
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(IssueCode(r.body), "forbidden");
  EXPECT_NE(r.body.find("system/Patient.s"), std::string::npos) << r.body;
  r = Call("POST", "/fhir/Location", token, R"({"resourceType":"Location","status":"active"})");
  EXPECT_EQ(r.status, 403);
  EXPECT_NE(r.body.find("system/Location.c"), std::string::npos) << r.body;
  // A search across all types needs system/*.s.
  r = Call("GET", "/fhir?_lastUpdated=gt2000-01-01", token);
  EXPECT_EQ(r.status, 403);
  EXPECT_NE(r.body.find("system/*.s"), std::string::npos) << r.body;
  // _revinclude pulls in another type: it needs read on that type.
  r = Call("GET", "/fhir/Location?_revinclude=Patient:link", token);
  EXPECT_EQ(r.status, 403);
  EXPECT_NE(r.body.find("system/Patient.r"), std::string::npos) << r.body;
}

TEST_F(SmartAuthTest, RequestedScopesAreNarrowedToTheClients) {
  auto client = Es384Client(*engine_, "regional-engine", "system/*.cruds");
  ASSERT_NE(client, nullptr);
  Result<std::string> token = client->AccessToken();
  ASSERT_TRUE(token.ok()) << token.status().ToString();
  EXPECT_EQ(Call("GET", "/fhir/Encounter", *token).status, 200);
  EXPECT_EQ(Call("DELETE", "/fhir/Location/x", *token).status, 403);
}

TEST_F(SmartAuthTest, AnRs384AssertionSignedByOpensslWorksOnceAndOnlyForThisAudience) {
  const std::string assertion = OpensslAssertion(TokenUrl(*engine_), "rs-jti-1");
  HttpResponse t = PostToken(assertion, "system%2F*.cruds");
  ASSERT_EQ(t.status, 200) << t.body;
  EXPECT_EQ(t.Header("Cache-Control"), "no-store");
  EXPECT_EQ(JsonMember(t.body, "token_type"), "bearer");
  EXPECT_EQ(JsonMember(t.body, "scope"), "system/*.cruds");
  const std::string token = JsonMember(t.body, "access_token");
  EXPECT_EQ(Call("GET", "/fhir?_lastUpdated=gt2000-01-01", token).status, 200);
  // Replayed: refused.
  HttpResponse replay = PostToken(assertion, "system%2F*.cruds");
  EXPECT_EQ(replay.status, 401);
  EXPECT_EQ(JsonMember(replay.body, "error"), "invalid_client");
  // For another audience: refused.
  HttpResponse other = PostToken(
      OpensslAssertion("https://elsewhere.example/auth/token", "rs-jti-2"), "system%2F*.rs");
  EXPECT_EQ(other.status, 401);
  EXPECT_NE(JsonMember(other.body, "error_description").find("aud"), std::string::npos);
}

TEST_F(SmartAuthTest, ATransactionWithAForbiddenEntryIsRefusedWholeAndWritesNothing) {
  const std::string writer = Token("location-writer", "system/Location.cruds");
  ASSERT_FALSE(writer.empty());
  const std::string bundle = R"({"resourceType":"Bundle","type":"transaction","entry":[
    {"resource":{"resourceType":"Location","id":"tx-ok","status":"active"},
     "request":{"method":"PUT","url":"Location/tx-ok"}},
    {"resource":{"resourceType":"Encounter","id":"tx-no","status":"planned",
                 "class":{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"IMP"}},
     "request":{"method":"PUT","url":"Encounter/tx-no"}}]})";
  HttpResponse r = Call("POST", "/fhir", writer, bundle);
  EXPECT_EQ(r.status, 403) << r.body;
  EXPECT_EQ(IssueCode(r.body), "forbidden");
  EXPECT_NE(r.body.find("system/Encounter.u"), std::string::npos) << r.body;
  EXPECT_EQ(Call("GET", "/fhir/Location/tx-ok", writer).status, 404);

  // As a batch: the allowed entry is written, the other answered 403.
  std::string batch = bundle;
  batch.replace(batch.find("transaction"), 11, "batch");
  r = Call("POST", "/fhir", writer, batch);
  ASSERT_EQ(r.status, 200) << r.body;
  Result<json::Document> doc = json::Parse(r.body);
  ASSERT_TRUE(doc.ok());
  const auto entries = doc->root().Find("entry")->elements();
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries[0].Find("response")->Find("status")->text().substr(0, 3), "201");
  EXPECT_EQ(entries[1].Find("response")->Find("status")->text().substr(0, 3), "403");
  EXPECT_EQ(Call("GET", "/fhir/Location/tx-ok", writer).status, 200);
}

TEST_F(SmartAuthTest, AnExpiredTokenIs401AndTheClientRenewsIt) {
  std::unique_ptr<EngineProcess> short_lived = Start(1);
  ASSERT_NE(short_lived, nullptr);
  auto client = Es384Client(*short_lived, "regional-engine", "system/Location.rs");
  ASSERT_NE(client, nullptr);
  Result<std::string> token = client->AccessToken();
  ASSERT_TRUE(token.ok()) << token.status().ToString();
  // Wait (with a deadline) for the 1-second token to lapse.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
  HttpResponse r;
  do {
    r = Call(*short_lived, "GET", "/fhir/Location", *token);
  } while (r.status == 200 && std::chrono::steady_clock::now() < deadline);
  EXPECT_EQ(r.status, 401);
  EXPECT_NE(r.Header("WWW-Authenticate").find("invalid_token"), std::string::npos);
  client->Invalidate();
  Result<std::string> renewed = client->AccessToken();
  ASSERT_TRUE(renewed.ok());
  EXPECT_EQ(Call(*short_lived, "GET", "/fhir/Location", *renewed).status, 200);
  EXPECT_EQ(short_lived->Stop(), 0);
}

TEST(SmartAuthConfig, AuthOffIsRefusedOffLoopback) {
  std::string error;
  std::unique_ptr<EngineProcess> p = EngineProcess::Spawn(
      FHIR_ENGINE_BINARY, {"serve", "--host", "0.0.0.0", "--port", "0", "--database", ":memory:"},
      error);
  ASSERT_NE(p, nullptr) << error;
  EXPECT_EQ(p->WaitForExit(std::chrono::seconds(30)), 2);
}

}  // namespace
}  // namespace fhirengine::testing

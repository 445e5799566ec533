// The pulling adapters against real servers on loopback: fhir-rest syncing
// from the real fhir-engine binary (paging, JSON and XML, an update and a
// delete picked up incrementally, HTTPS with the test CA and SMART Backend
// Services, a wrong CA failing closed), two engines end to end (a regional
// engine whose fhir-rest adapter pulls from an upstream engine), and
// json-rest against an in-test HTTP server serving JSON pages.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <string>
#include <thread>

#include "adapters/fhir_rest/fhir_rest_adapter.h"
#include "adapters/http_source/smart_backend_authorizer.h"
#include "adapters/json_rest/json_rest_adapter.h"
#include "engine/auth/jwk.h"
#include "engine/auth/jws.h"
#include "engine/json/json_parser.h"
#include "engine/rest/http_server.h"
#include "tests/support/engine_process.h"
#include "tests/support/fhir_peer.h"
#include "tests/support/shared_engine.h"
#include "tests/support/test_pki.h"
#include "tests/unit/adapters/http_source/pull_test_support.h"

namespace fhirengine::testing {
namespace {

namespace fs = std::filesystem;
using adapters::PollOutcome;
using adapters::RecordFormat;
using adapters::SourceRecord;
using adapters::pull_testing::BatchRecorder;

using Upstream = FhirPeer;
std::string LocationJson(int i, const std::string& name = "") { return BedLocationJson(i, name); }
std::string EncounterJson(int i) { return InpatientEncounterJson(i); }

class PullAdaptersTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = MakeTempDir("pull-adapters"); }
  void TearDown() override {
    for (auto& e : engines_) {
      if (e) e->Stop();
    }
    engines_.clear();
    fs::remove_all(dir_);
  }
  std::string Write(const std::string& name, const std::string& text) {
    const fs::path p = dir_ / name;
    std::ofstream(p, std::ios::binary) << text;
    return p.string();
  }
  EngineProcess* StartEngine(const std::string& name, const std::string& config_json) {
    const std::string config = Write(name + ".json", config_json);
    std::string error;
    auto engine = EngineProcess::Start(FHIR_ENGINE_BINARY,
                                       {"serve", "--config", config, "--port", "0", "--database",
                                        (dir_ / (name + ".db")).string()},
                                       error);
    EXPECT_NE(engine, nullptr) << error;
    engines_.push_back(std::move(engine));
    return engines_.back().get();
  }
  std::unique_ptr<adapters::Adapter> MakeAdapter(const adapters::AdapterType& type,
                                                 const std::string& settings_json,
                                                 Status* error = nullptr) {
    settings_docs_.push_back(std::move(json::Parse(settings_json)).value());
    adapters::AdapterConfig config{"test-source", type.name, &settings_docs_.back().root(),
                                   dir_.string()};
    Result<std::unique_ptr<adapters::Adapter>> adapter = type.create(config);
    if (error != nullptr) *error = adapter.ok() ? Status::Ok() : adapter.status();
    if (!adapter.ok()) return nullptr;
    return std::move(adapter).value();
  }
  // Polls until a round ends without `more`; the last outcome.
  static PollOutcome PollAll(adapters::Adapter& adapter, BatchRecorder& ctx) {
    PollOutcome outcome;
    for (int i = 0; i < 1000; ++i) {
      outcome = adapter.Poll(ctx);
      if (!outcome.status.ok() || !outcome.more) break;
    }
    return outcome;
  }
  static std::map<std::string, int> CountByType(const std::vector<SourceRecord>& records) {
    std::map<std::string, int> counts;
    for (const SourceRecord& r : records) {
      ++counts[(r.format == RecordFormat::kFhirDelete ? "delete:" : "") + r.resource_type];
    }
    return counts;
  }

  fs::path dir_;
  std::vector<std::unique_ptr<EngineProcess>> engines_;
  std::vector<json::Document> settings_docs_;
};

TEST_F(PullAdaptersTest, FhirRestSyncsPagesThenFollowsAnUpdateAndADelete) {
  EngineProcess* upstream = StartEngine("upstream", R"({"store": {"durability": "normal"}})");
  ASSERT_NE(upstream, nullptr);
  Upstream api(upstream->base_url());
  std::vector<std::string> resources;
  for (int i = 0; i < 300; ++i) resources.push_back(LocationJson(i));
  for (int i = 0; i < 200; ++i) resources.push_back(EncounterJson(i));
  api.Load(resources);

  auto adapter = MakeAdapter(adapters::fhir_rest::FhirRestAdapterType(),
                             R"({"base-url":")" + upstream->base_url() +
                                 R"(","resource-types":["Location","Encounter"],"page-size":100,
                                 "overlap-s":5,"history-deletes":true})");
  ASSERT_NE(adapter, nullptr);
  BatchRecorder ctx;
  PollOutcome full = PollAll(*adapter, ctx);
  ASSERT_TRUE(full.status.ok()) << full.status.ToString();
  std::vector<SourceRecord> records = ctx.Records();
  EXPECT_EQ(CountByType(records),
            (std::map<std::string, int>{{"Encounter", 200}, {"Location", 300}}));
  std::size_t pages_with_records = 0;
  for (const adapters::SourceBatch& b : ctx.batches)
    pages_with_records += b.records.empty() ? 0 : 1;
  EXPECT_EQ(pages_with_records, 5u);  // search pages of 100 (history pages carry only cursors)
  std::map<std::string, std::string> by_key;
  for (const SourceRecord& r : records) by_key[r.key] = r.payload;
  ASSERT_EQ(by_key.size(), 500u);  // no duplicates
  EXPECT_NE(by_key["Location/loc-17"].find(R"("name":"Bed 17")"), std::string::npos);
  EXPECT_NE(by_key["Encounter/enc-3"].find(R"("reference":"Location/loc-3")"), std::string::npos);

  // The overlap window (5 s) is read again once, then polls are quiet.
  ctx.ClearBatches();
  ASSERT_TRUE(PollAll(*adapter, ctx).status.ok());
  ctx.ClearBatches();
  PollOutcome quiet = PollAll(*adapter, ctx);
  ASSERT_TRUE(quiet.status.ok()) << quiet.status.ToString();
  EXPECT_TRUE(ctx.Records().empty()) << ctx.Records().size() << " records on a quiet poll";

  ASSERT_EQ(api.Send("PUT", "/Location/loc-7", LocationJson(7, "Bed 7 (closed)")).status, 200);
  const int deleted = api.Send("DELETE", "/Location/loc-8").status;
  ASSERT_TRUE(deleted == 200 || deleted == 204) << deleted;
  ctx.ClearBatches();
  ASSERT_TRUE(PollAll(*adapter, ctx).status.ok());
  records = ctx.Records();
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0].format, RecordFormat::kFhirResource);
  EXPECT_EQ(records[0].key, "Location/loc-7");
  EXPECT_NE(records[0].payload.find("Bed 7 (closed)"), std::string::npos);
  EXPECT_EQ(records[1].format, RecordFormat::kFhirDelete);
  EXPECT_EQ(records[1].resource_id, "loc-8");

  ctx.ClearBatches();
  ASSERT_TRUE(PollAll(*adapter, ctx).status.ok());
  EXPECT_TRUE(ctx.Records().empty());
}

TEST_F(PullAdaptersTest, FhirRestReadsXmlPages) {
  EngineProcess* upstream = StartEngine("upstream", R"({"store": {"durability": "normal"}})");
  ASSERT_NE(upstream, nullptr);
  Upstream api(upstream->base_url());
  std::vector<std::string> resources;
  for (int i = 0; i < 120; ++i) resources.push_back(LocationJson(i));
  api.Load(resources);
  auto adapter =
      MakeAdapter(adapters::fhir_rest::FhirRestAdapterType(),
                  R"({"base-url":")" + upstream->base_url() +
                      R"(","resource-types":["Location"],"page-size":50,"format":"xml"})");
  ASSERT_NE(adapter, nullptr);
  BatchRecorder ctx;
  ASSERT_TRUE(PollAll(*adapter, ctx).status.ok());
  EXPECT_EQ(ctx.Records().size(), 120u);
  EXPECT_EQ(ctx.batches.size(), 3u);
  EXPECT_NE(ctx.Records()[0].payload.find(R"("resourceType":"Location")"), std::string::npos);
}

// HTTPS with the test CA and SMART Backend Services on the upstream; the
// adapter discovers the token endpoint, and a wrong CA fails closed.
TEST_F(PullAdaptersTest, FhirRestOverHttpsWithSmartBackendServices) {
  fs::create_directories(dir_ / "pki");
  Result<TestPki> pki = MakeTestPki((dir_ / "pki").string());
  ASSERT_TRUE(pki.ok()) << pki.status().ToString();
  Result<auth::KeyHandle> key = auth::GeneratePrivateKey(auth::JwsAlgorithm::kEs384);
  ASSERT_TRUE(key.ok());
  Write("client.key.pem", *auth::PrivateKeyToPem(**key));
  const std::string jwk = *auth::PublicJwkJson(**key, "k1", auth::JwsAlgorithm::kEs384);
  EngineProcess* upstream = StartEngine(
      "upstream",
      R"({"server": {"tls": {"cert-file": "pki/server.pem", "key-file": "pki/server.key"}},
        "store": {"durability": "normal"},
        "auth": {"mode": "smart", "token-lifetime-s": 10, "clients": [
          {"client-id": "loader", "jwks": {"keys": [)" +
          jwk + R"(]}, "scope": "system/*.cruds"},
          {"client-id": "regional", "jwks": {"keys": [)" +
          jwk + R"(]}, "scope": "system/Location.rs"}]}})");
  ASSERT_NE(upstream, nullptr);
  ASSERT_EQ(upstream->base_url().rfind("https://", 0), 0u);

  // Load through a token of the "loader" client (the same authorizer code).
  {
    net::HttpClientOptions options;
    options.tls.ca_file = pki->ca_cert;
    std::shared_ptr<net::HttpClient> client = std::move(net::HttpClient::Create(options)).value();
    adapters::http_source::AuthSettings auth;
    auth.type = adapters::http_source::AuthType::kSmartBackend;
    auth.client_id = "loader";
    auth.private_key_file = (dir_ / "client.key.pem").string();
    auth.key_id = "k1";
    auth.algorithm = "ES384";
    auth.scope = "system/*.cruds";
    auto authorizer = adapters::http_source::MakeAuthorizer(
        auth, *adapters::http_source::ParseSourceUrl(upstream->base_url()), client);
    ASSERT_TRUE(authorizer.ok()) << authorizer.status().ToString();
    Result<std::string> header = (*authorizer)->Authorization();
    ASSERT_TRUE(header.ok()) << header.status().ToString();
    Upstream api(upstream->base_url(), pki->ca_cert);
    api.set_token(header->substr(7));
    std::vector<std::string> resources;
    for (int i = 0; i < 150; ++i) resources.push_back(LocationJson(i));
    api.Load(resources);
  }

  const std::string settings = R"({"base-url":")" + upstream->base_url() +
                               R"(","resource-types":["Location"],"page-size":100,
      "auth":{"type":"smart-backend","client-id":"regional","private-key-file":"client.key.pem",
              "key-id":"k1","algorithm":"ES384","scope":"system/Location.rs"},
      "tls":{"ca-file":"pki/ca.pem"}})";
  auto adapter = MakeAdapter(adapters::fhir_rest::FhirRestAdapterType(), settings);
  ASSERT_NE(adapter, nullptr);
  BatchRecorder ctx;
  PollOutcome outcome = PollAll(*adapter, ctx);
  ASSERT_TRUE(outcome.status.ok()) << outcome.status.ToString();
  EXPECT_EQ(ctx.Records().size(), 150u);
  // The token (10 s, renewed at half its life) runs out: the next polls get
  // a new one on their own.
  std::this_thread::sleep_for(std::chrono::milliseconds(5500));
  PollOutcome later = PollAll(*adapter, ctx);
  EXPECT_TRUE(later.status.ok()) << later.status.ToString();
  std::size_t regional_tokens = 0;
  for (const std::string& line : upstream->Lines()) {
    regional_tokens += line.find(R"("msg":"token issued")") != std::string::npos &&
                       line.find("regional") != std::string::npos;
  }
  EXPECT_GE(regional_tokens, 2u) << "the expired token was not renewed";

  // Without credentials: refused with a clear message.
  auto anonymous =
      MakeAdapter(adapters::fhir_rest::FhirRestAdapterType(),
                  R"({"base-url":")" + upstream->base_url() +
                      R"(","resource-types":["Location"],"tls":{"ca-file":"pki/ca.pem"}})");
  ASSERT_NE(anonymous, nullptr);
  BatchRecorder anonymous_ctx;
  PollOutcome refused = anonymous->Poll(anonymous_ctx);
  EXPECT_EQ(refused.status.code(), StatusCode::kFailedPrecondition) << refused.status.ToString();
  EXPECT_NE(refused.status.message().find("401"), std::string::npos);

  // A CA that did not sign the server's certificate: fails closed.
  auto wrong_ca =
      MakeAdapter(adapters::fhir_rest::FhirRestAdapterType(),
                  R"({"base-url":")" + upstream->base_url() +
                      R"(","resource-types":["Location"],"tls":{"ca-file":"pki/other-ca.pem"}})");
  ASSERT_NE(wrong_ca, nullptr);
  BatchRecorder wrong_ctx;
  PollOutcome failed = wrong_ca->Poll(wrong_ctx);
  EXPECT_EQ(failed.status.code(), StatusCode::kUnavailable) << failed.status.ToString();
  EXPECT_NE(failed.status.message().find("certificate"), std::string::npos)
      << failed.status.message();
  EXPECT_TRUE(wrong_ctx.batches.empty());
}

// Two engines end to end: the regional engine's fhir-rest adapter (from
// its config) pulls everything from the upstream engine and stores it.
TEST_F(PullAdaptersTest, RegionalEnginePullsFromAnUpstreamEngine) {
  EngineProcess* upstream = StartEngine("upstream", R"({"store": {"durability": "normal"}})");
  ASSERT_NE(upstream, nullptr);
  Upstream up(upstream->base_url());
  constexpr int kLocations = 2000;
  std::vector<std::string> resources;
  for (int i = 0; i < kLocations; ++i) resources.push_back(LocationJson(i));
  up.Load(resources);

  EngineProcess* regional =
      StartEngine("regional", R"({"store": {"durability": "normal"},
        "adapters": [{"name": "hospital-a", "type": "fhir-rest", "poll-interval-s": 1,
                      "settings": {"base-url": ")" +
                                  upstream->base_url() +
                                  R"(", "resource-types": ["Location"], "page-size": 1000,
                                   "overlap-s": 5, "history-deletes": true}}]})");
  ASSERT_NE(regional, nullptr);
  Upstream region(regional->base_url());
  const auto start = std::chrono::steady_clock::now();
  std::size_t total = 0;
  while (std::chrono::steady_clock::now() - start < std::chrono::seconds(60)) {
    total = region.Total("Location");
    if (total == kLocations) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_EQ(total, static_cast<std::size_t>(kLocations));
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  ::testing::Test::RecordProperty("locations_per_second", static_cast<int>(kLocations / seconds));
  std::printf("regional engine synced %d Locations in %.2f s (%.0f/s, start-up included)\n",
              kLocations, seconds, kLocations / seconds);
  net::HttpResponse copy = region.Send("GET", "/Location/loc-42");
  EXPECT_EQ(copy.status, 200);
  EXPECT_NE(copy.body.find(R"("name":"Bed 42")"), std::string::npos);

  // A delete upstream reaches the regional engine.
  const int deleted = up.Send("DELETE", "/Location/loc-5").status;
  ASSERT_TRUE(deleted == 200 || deleted == 204);
  int status = 0;
  for (int i = 0; i < 150; ++i) {
    status = region.Send("GET", "/Location/loc-5").status;
    if (status == 410 || status == 404) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_TRUE(status == 410 || status == 404) << status;
}

// The upstream's per-client rate limit answers 429 with Retry-After: the
// round ends with retry_after set, and a later round goes on where it was.
TEST_F(PullAdaptersTest, FhirRestHonoursTheUpstreamsRetryAfter) {
  EngineProcess* upstream =
      StartEngine("upstream", R"({"server": {"limits": {"max-requests-per-second-per-client": 2}},
                      "store": {"durability": "normal"}})");
  ASSERT_NE(upstream, nullptr);
  Upstream up(upstream->base_url());
  std::vector<std::string> resources;
  for (int i = 0; i < 100; ++i) resources.push_back(LocationJson(i));
  up.Load(resources);
  auto adapter = MakeAdapter(adapters::fhir_rest::FhirRestAdapterType(),
                             R"({"base-url":")" + upstream->base_url() +
                                 R"(","resource-types":["Location"],"page-size":10})");
  ASSERT_NE(adapter, nullptr);
  BatchRecorder ctx;
  PollOutcome throttled = adapter->Poll(ctx);
  ASSERT_EQ(throttled.status.code(), StatusCode::kUnavailable) << throttled.status.ToString();
  EXPECT_NE(throttled.status.message().find("429"), std::string::npos);
  ASSERT_TRUE(throttled.retry_after.has_value());
  EXPECT_GE(throttled.retry_after->count(), 1000);
  const std::size_t before = ctx.Records().size();
  EXPECT_GT(before, 0u);
  EXPECT_LT(before, 100u);
  // Waiting as asked, round after round, the sync completes with no duplicates.
  std::map<std::string, int> keys;
  PollOutcome outcome = throttled;
  for (int i = 0; i < 60 && (!outcome.status.ok() || outcome.more); ++i) {
    if (outcome.retry_after) std::this_thread::sleep_for(*outcome.retry_after);
    outcome = adapter->Poll(ctx);
  }
  ASSERT_TRUE(outcome.status.ok()) << outcome.status.ToString();
  for (const SourceRecord& r : ctx.Records()) ++keys[r.key];
  EXPECT_EQ(keys.size(), 100u);
  EXPECT_EQ(ctx.Records().size(), 100u);  // each page once: resumed at the refused page
}

// The issue's acceptance set-up, scaled down: the upstream engine plays the
// EHR with HTTPS (the test CA) and SMART auth on; the regional engine's
// fhir-rest adapter (smart-backend, ES384) syncs Locations and Encounters,
// then follows an update and a delete.
// Every Location of `engine` (pages of 1000): id -> meta.versionId.
std::map<std::string, std::string> LocationVersions(Upstream& engine) {
  std::map<std::string, std::string> out;
  for (int offset = 0;; offset += 1000) {
    net::HttpResponse r =
        engine.Send("GET", "/Location?_count=1000&_offset=" + std::to_string(offset));
    Result<json::Document> doc = json::Parse(r.body);
    if (!doc.ok()) break;
    const json::Value* entries = doc->root().Find("entry");
    if (entries == nullptr || entries->size() == 0) break;
    for (const json::Value& e : entries->elements()) {
      const json::Value* res = e.Find("resource");
      out[std::string(res->Find("id")->text())] =
          std::string(res->Find("meta")->Find("versionId")->text());
    }
  }
  return out;
}

// kill -9 of the regional engine in the middle of a sync, then a restart:
// the stored data equals the upstream's and no resource got a second
// version (the cursor resumed; re-delivered pages changed nothing).
TEST_F(PullAdaptersTest, RegionalEngineKilledMidSyncResumesWithoutNewVersions) {
  EngineProcess* upstream = StartEngine("upstream", R"({"store": {"durability": "normal"}})");
  ASSERT_NE(upstream, nullptr);
  Upstream up(upstream->base_url());
  constexpr std::size_t kLocations = 2000;
  std::vector<std::string> resources;
  for (std::size_t i = 0; i < kLocations; ++i)
    resources.push_back(LocationJson(static_cast<int>(i)));
  up.Load(resources);
  const std::string config = R"({"store": {"durability": "full"},
        "adapters": [{"name": "hospital-a", "type": "fhir-rest", "poll-interval-s": 1,
                      "settings": {"base-url": ")" +
                             upstream->base_url() +
                             R"(", "resource-types": ["Location"], "page-size": 5,
                                   "overlap-s": 5}}]})";
  EngineProcess* regional = StartEngine("regional", config);
  ASSERT_NE(regional, nullptr);
  std::size_t seen = 0;
  {
    Upstream region(regional->base_url());
    const auto start = std::chrono::steady_clock::now();
    while (seen == 0 && std::chrono::steady_clock::now() - start < std::chrono::seconds(30)) {
      seen = region.Total("Location");
    }
  }
  regional->Signal(SIGKILL);
  EXPECT_EQ(regional->WaitForExit(), 128 + SIGKILL);
  ASSERT_GT(seen, 0u);
  ASSERT_LT(seen, kLocations) << "the sync finished before the kill; make pages smaller";

  regional = StartEngine("regional", config);  // the same database and config
  ASSERT_NE(regional, nullptr);
  Upstream region(regional->base_url());
  std::size_t total = 0;
  const auto start = std::chrono::steady_clock::now();
  while (total < kLocations &&
         std::chrono::steady_clock::now() - start < std::chrono::seconds(60)) {
    total = region.Total("Location");
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_EQ(total, kLocations);
  // Let at least one incremental poll run over the overlap window.
  std::this_thread::sleep_for(std::chrono::milliseconds(2500));
  const std::map<std::string, std::string> versions = LocationVersions(region);
  ASSERT_EQ(versions.size(), kLocations);
  std::size_t spurious = 0;
  for (const auto& [id, version] : versions) spurious += version == "1" ? 0 : 1;
  EXPECT_EQ(spurious, 0u) << "resources with a new version after the restart";
}

// The upstream stops answering for a while (SIGSTOP: connections hang until
// the read deadline) and comes back: the adapter backs off and catches up.
TEST_F(PullAdaptersTest, RegionalEngineCatchesUpAfterAnUpstreamOutage) {
  EngineProcess* upstream = StartEngine("upstream", R"({"store": {"durability": "normal"}})");
  ASSERT_NE(upstream, nullptr);
  Upstream up(upstream->base_url());
  std::vector<std::string> resources;
  for (int i = 0; i < 500; ++i) resources.push_back(LocationJson(i));
  up.Load(resources);
  EngineProcess* regional = StartEngine(
      "regional", R"({"store": {"durability": "normal"},
        "adapters": [{"name": "hospital-a", "type": "fhir-rest", "poll-interval-s": 1,
                      "settings": {"base-url": ")" +
                      upstream->base_url() +
                      R"(", "resource-types": ["Location"], "page-size": 100, "overlap-s": 5,
                                   "timeouts": {"connect-ms": 500, "read-ms": 500}}}]})");
  ASSERT_NE(regional, nullptr);
  Upstream region(regional->base_url());
  auto wait_for = [&](std::size_t n) {
    std::size_t total = 0;
    const auto start = std::chrono::steady_clock::now();
    while (total != n && std::chrono::steady_clock::now() - start < std::chrono::seconds(60)) {
      total = region.Total("Location");
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return total;
  };
  ASSERT_EQ(wait_for(500), 500u);

  upstream->Signal(SIGSTOP);
  // While it is down, the adapter's health shows the error.
  bool saw_error = false;
  std::string last_health;
  for (int i = 0; i < 100 && !saw_error; ++i) {
    net::HttpRequest r;
    r.url = regional->base_url().substr(0, regional->base_url().rfind("/fhir")) + "/health";
    net::HttpResponse health = region.SendRaw(r);
    last_health = health.body;
    saw_error = health.body.find(R"("name":"hospital-a")") != std::string::npos &&
                health.body.find(R"("last_error":"GET )" + upstream->base_url() + "/Location") !=
                    std::string::npos &&
                health.body.find("read timeout") != std::string::npos;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  upstream->Signal(SIGCONT);
  EXPECT_TRUE(saw_error) << "no error about the upstream in /health while it was stopped: "
                         << last_health;

  std::vector<std::string> more;
  for (int i = 500; i < 700; ++i) more.push_back(LocationJson(i));
  up.Load(more);
  EXPECT_EQ(wait_for(700), 700u);
}

// Runs `fhir-engine <args>`; its exit code and output (stdout and stderr).
std::pair<int, std::string> RunEngineCli(const std::string& args) {
  const std::string command = std::string(FHIR_ENGINE_BINARY) + " " + args + " 2>&1";
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return {-1, ""};
  std::string out;
  char buffer[4096];
  std::size_t n = 0;
  while ((n = fread(buffer, 1, sizeof buffer, pipe)) > 0) out.append(buffer, n);
  const int status = pclose(pipe);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

// The complete examples in docs/adapters.md pass check-config (schema and
// factory agree with the documentation), and a bad key is named.
TEST_F(PullAdaptersTest, CheckConfigAcceptsTheDocumentedExamples) {
  std::ifstream in(std::string(FE_SOURCE_DIR) + "/docs/adapters.md");
  const std::string doc((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  fs::create_directories(dir_ / "pki");
  fs::create_directories(dir_ / "certs");
  Result<TestPki> pki = MakeTestPki((dir_ / "pki").string());
  ASSERT_TRUE(pki.ok());
  fs::copy_file(pki->ca_cert, dir_ / "certs/hospital-a-ca.pem");
  fs::copy_file(pki->ca_cert, dir_ / "certs/municipality-ca.pem");
  ::setenv("HOSPITAL_A_KEY_FILE", Write("hospital-a.key.pem", "unused before discovery").c_str(),
           1);
  ::setenv("MUNICIPALITY_API_TOKEN", "example-token", 1);
  int examples = 0;
  for (std::size_t at = doc.find("```json\n"); at != std::string::npos;
       at = doc.find("```json\n", at + 1)) {
    const std::size_t start = at + 8;
    const std::string block = doc.substr(start, doc.find("```", start) - start);
    if (block.find(R"("type": "fhir-rest")") == std::string::npos &&
        block.find(R"("type": "json-rest")") == std::string::npos) {
      continue;
    }
    const std::string file = Write("example-" + std::to_string(examples++) + ".json", block);
    auto [code, out] = RunEngineCli("check-config " + file);
    EXPECT_EQ(code, 0) << out;
    EXPECT_EQ(out, file + ": ok\n");
  }
  EXPECT_EQ(examples, 2);

  const std::string bad = Write("bad.json", R"({"adapters": [
      {"name": "a", "type": "fhir-rest", "settings": {"base-url": "https://ehr.test/fhir",
                                                      "page-size": 0}},
      {"name": "b", "type": "json-rest", "settings": {"url": "http://api.test/x",
                                                      "key-field": "id", "user": "x"}},
      {"name": "c", "type": "fhir-rest", "settings": {"base-url": "https://ehr.test/fhir",
                                                      "tls": {"ca-file": "missing.pem"}}}]})");
  auto [code, out] = RunEngineCli("check-config " + bad);
  EXPECT_EQ(code, 1);
  EXPECT_NE(out.find("$.adapters[0].settings.page-size"), std::string::npos) << out;
  EXPECT_NE(out.find("$.adapters[1].settings.user: unknown key"), std::string::npos) << out;
  EXPECT_NE(out.find("tls.ca-file"), std::string::npos) << out;
  EXPECT_NE(out.find("missing.pem"), std::string::npos) << out;
}

// A JSON API served by an in-test HTTP server: offset pages of 10 beds,
// "changedSince" honoured.
class BedApi : public rest::RequestHandler {
 public:
  void Handle(rest::RestRequest request, rest::Responder responder) override {
    ++requests;
    auto param = [&](const std::string& name) -> std::string {
      const std::size_t q = request.target.find('?');
      if (q == std::string::npos) return "";
      const std::string query = "&" + request.target.substr(q + 1) + "&";
      const std::size_t at = query.find("&" + name + "=");
      if (at == std::string::npos) return "";
      const std::size_t s = at + name.size() + 2;
      return query.substr(s, query.find('&', s) - s);
    };
    rest::RestResponse r;
    if (request.authorization != "Bearer municipal-token") {
      r.status = 401;
      responder.reply(std::move(r));
      return;
    }
    const int offset = std::stoi(param("offset"));
    const int limit = std::stoi(param("limit"));
    const int since = param("changedSince").empty() ? -1 : std::stoi(param("changedSince"));
    std::vector<int> beds;
    for (int i = 0; i < count.load(); ++i) {
      if (i > since) beds.push_back(i);  // bed i changed at "time" i
    }
    std::string body = R"({"data":{"items":[)";
    for (int k = offset; k < static_cast<int>(beds.size()) && k < offset + limit; ++k) {
      if (k > offset) body += ',';
      body += R"({"bedId":"B)" + std::to_string(beds[static_cast<std::size_t>(k)]) +
              R"(","changed":)" + std::to_string(beds[static_cast<std::size_t>(k)]) +
              R"(,"status":"free"})";
    }
    body += "]}}";
    r.content_type = "application/json";
    r.body = std::move(body);
    responder.reply(std::move(r));
  }
  rest::RestResponse ProtocolError(int status, std::string_view message) const override {
    rest::RestResponse r;
    r.status = status;
    r.content_type = "text/plain";
    r.body = std::string(message);
    return r;
  }
  std::atomic<int> count{25};
  std::atomic<int> requests{0};
};

TEST_F(PullAdaptersTest, JsonRestPullsOffsetPagesFromAnHttpServer) {
  BedApi api;
  Result<std::unique_ptr<rest::HttpServer>> server = rest::HttpServer::Listen({});
  ASSERT_TRUE(server.ok()) << server.status().ToString();
  (*server)->Serve(api);
  const std::string url = "http://127.0.0.1:" + std::to_string((*server)->port()) + "/api/beds";
  auto adapter = MakeAdapter(adapters::json_rest::JsonRestAdapterType(),
                             R"({"url":")" + url + R"(","records-path":"/data/items",
      "key-field":"bedId","timestamp-field":"changed","since-param":"changedSince",
      "paging":{"type":"offset","page-size":10},
      "auth":{"type":"bearer","token":"municipal-token"}})");
  ASSERT_NE(adapter, nullptr);
  BatchRecorder ctx;
  PollOutcome outcome = PollAll(*adapter, ctx);
  ASSERT_TRUE(outcome.status.ok()) << outcome.status.ToString();
  std::vector<SourceRecord> records = ctx.Records();
  ASSERT_EQ(records.size(), 25u);
  EXPECT_EQ(records[24].key, "B24");
  EXPECT_EQ(records[0].format, RecordFormat::kJsonObject);
  EXPECT_EQ(records[0].payload, R"({"bedId":"B0","changed":0,"status":"free"})");
  EXPECT_EQ(ctx.batches.size(), 3u);

  // Three new beds: only they come with the next pull.
  api.count = 28;
  ctx.ClearBatches();
  ASSERT_TRUE(PollAll(*adapter, ctx).status.ok());
  records = ctx.Records();
  ASSERT_EQ(records.size(), 3u);
  EXPECT_EQ(records[0].key, "B25");
  (*server)->Shutdown(std::chrono::seconds(2));
}

}  // namespace
}  // namespace fhirengine::testing

// Issue #4's acceptance set-up with real processes on loopback: an upstream
// fhir-engine plays the hospital EHR (HTTPS with a test CA made here, SMART
// Backend Services on), and a regional fhir-engine's fhir-rest adapter,
// configured only through its config file, pulls from it.
//   - a full sync of 10,000 Locations and 20,000 Encounters, then updates
//     and deletes followed incrementally; the two engines end equal, and
//     only changed resources get a new version;
//   - the upstream killed and down for 60 s, then back (its tokens lost with
//     it): the adapter shows the outage in /health, renews its token and
//     catches up with nothing lost;
//   - a CA that did not sign the upstream's certificate: nothing is stored
//     and /health says why.
#include <gtest/gtest.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "engine/auth/jwk.h"
#include "engine/auth/jws.h"
#include "engine/auth/smart_backend_client.h"
#include "engine/json/json_parser.h"
#include "engine/net/http_client.h"
#include "tests/support/engine_process.h"
#include "tests/support/fhir_peer.h"
#include "tests/support/shared_engine.h"
#include "tests/support/test_pki.h"

namespace fhirengine::testing {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

// Polls `condition` every 100 ms until it holds or `deadline` passes.
bool WaitFor(const std::function<bool()>& condition, std::chrono::seconds deadline) {
  const auto end = Clock::now() + deadline;
  while (!condition()) {
    if (Clock::now() > end) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return true;
}

// Resources that differ between two copies: ids missing on either side or
// with other content (meta aside), at most a few named.
std::string Differences(const std::map<std::string, FhirPeer::Copy>& expected,
                        const std::map<std::string, FhirPeer::Copy>& actual) {
  std::string out;
  int shown = 0;
  auto note = [&](const std::string& line) {
    if (++shown <= 5) out += line + "\n";
  };
  for (const auto& [id, copy] : expected) {
    auto it = actual.find(id);
    if (it == actual.end()) {
      note("missing " + id);
    } else if (it->second.content != copy.content) {
      note("differs " + id + ": " + it->second.content + " vs " + copy.content);
    }
  }
  for (const auto& [id, copy] : actual) {
    if (!expected.contains(id)) note("extra " + id);
  }
  if (shown > 5) out += "... " + std::to_string(shown) + " in all\n";
  return out;
}

class AdapterAcceptanceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = MakeTempDir("adapter-acceptance");
    fs::create_directories(dir_ / "pki");
    Result<TestPki> pki = MakeTestPki((dir_ / "pki").string());
    ASSERT_TRUE(pki.ok()) << pki.status().ToString();
    pki_ = *pki;
    // The regional engine signs with ES384, the test's loader with RS384.
    Result<auth::KeyHandle> regional = auth::GeneratePrivateKey(auth::JwsAlgorithm::kEs384);
    Result<auth::KeyHandle> loader = auth::GeneratePrivateKey(auth::JwsAlgorithm::kRs384);
    ASSERT_TRUE(regional.ok() && loader.ok());
    Write("regional.key.pem", *auth::PrivateKeyToPem(**regional));
    loader_pem_ = *auth::PrivateKeyToPem(**loader);
    regional_jwk_ = *auth::PublicJwkJson(**regional, "regional-1", auth::JwsAlgorithm::kEs384);
    loader_jwk_ = *auth::PublicJwkJson(**loader, "loader-1", auth::JwsAlgorithm::kRs384);
  }
  void TearDown() override {
    for (auto& e : engines_) {
      if (e) e->Stop();
    }
    engines_.clear();
    fs::remove_all(dir_);
  }

  void Write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ / name, std::ios::binary) << text;
  }

  EngineProcess* Start(const std::string& name, const std::string& config_json,
                       std::uint16_t port = 0) {
    Write(name + ".json", config_json);
    std::string error;
    auto engine =
        EngineProcess::Start(FHIR_ENGINE_BINARY,
                             {"serve", "--config", (dir_ / (name + ".json")).string(), "--port",
                              std::to_string(port), "--database", (dir_ / (name + ".db")).string()},
                             error, std::chrono::seconds(120));
    EXPECT_NE(engine, nullptr) << error;
    engines_.push_back(std::move(engine));
    return engines_.back().get();
  }

  // The hospital EHR: HTTPS, SMART auth; the loader may do everything, the
  // regional engine only read and search Locations and Encounters.
  EngineProcess* StartUpstream(std::uint16_t port = 0) {
    return Start(
        "upstream",
        R"({"server": {"tls": {"cert-file": "pki/server.pem", "key-file": "pki/server.key"}},
          "store": {"durability": "normal"},
          "auth": {"mode": "smart", "clients": [
            {"client-id": "loader", "jwks": {"keys": [)" +
            loader_jwk_ + R"(]}, "scope": "system/*.cruds"},
            {"client-id": "regional", "jwks": {"keys": [)" +
            regional_jwk_ + R"(]}, "scope": "system/Location.rs system/Encounter.rs"}]}})",
        port);
  }

  // The regional engine, its fhir-rest adapter pointed at `upstream_base`
  // and trusting `ca_file` (relative to the config's folder).
  EngineProcess* StartRegional(const std::string& upstream_base,
                               const std::string& ca_file = "pki/ca.pem") {
    return Start("regional", R"({"store": {"durability": "full"},
        "adapters": [{"name": "hospital-a", "type": "fhir-rest", "poll-interval-s": 1,
          "max-backoff-s": 5,
          "settings": {"base-url": ")" +
                                 upstream_base +
                                 R"(", "resource-types": ["Location", "Encounter"],
            "page-size": 1000, "overlap-s": 5, "history-deletes": true,
            "auth": {"type": "smart-backend", "client-id": "regional",
                     "private-key-file": "regional.key.pem", "key-id": "regional-1",
                     "algorithm": "ES384", "scope": "system/Location.rs system/Encounter.rs"},
            "tls": {"ca-file": ")" +
                                 ca_file + R"("}}}]})");
  }

  // A client of the upstream with a token of the "loader" client, got with
  // a real RS384 assertion over HTTPS.
  std::unique_ptr<FhirPeer> Loader(const EngineProcess& upstream) {
    net::HttpClientOptions options;
    options.tls.ca_file = pki_.ca_cert;
    std::shared_ptr<net::HttpClient> http = std::move(net::HttpClient::Create(options)).value();
    auth::SmartBackendClientOptions smart;
    smart.token_url =
        upstream.base_url().substr(0, upstream.base_url().rfind("/fhir")) + "/auth/token";
    smart.client_id = "loader";
    smart.private_key_pem = loader_pem_;
    smart.key_id = "loader-1";
    smart.algorithm = auth::JwsAlgorithm::kRs384;
    smart.scope = "system/*.cruds";
    auto client = auth::SmartBackendClient::Create(
        smart, [http](const net::HttpRequest& r) { return http->Send(r); });
    EXPECT_TRUE(client.ok()) << client.status().ToString();
    if (!client.ok()) return nullptr;
    Result<std::string> token = (*client)->AccessToken();
    EXPECT_TRUE(token.ok()) << token.status().ToString();
    auto peer = std::make_unique<FhirPeer>(upstream.base_url(), pki_.ca_cert);
    peer->set_token(token.ok() ? *token : "");
    return peer;
  }

  // The regional engine's /health (or its /metrics).
  static std::string Ops(FhirPeer& peer, const EngineProcess& engine, const std::string& path) {
    net::HttpRequest r;
    r.url = engine.base_url().substr(0, engine.base_url().rfind("/fhir")) + path;
    return peer.SendRaw(r).body;
  }

  // Both engines hold the same Locations and Encounters (meta aside).
  static bool Equal(FhirPeer& upstream, FhirPeer& regional, std::string* why) {
    for (const char* type : {"Location", "Encounter"}) {
      if (upstream.Total(type) != regional.Total(type)) {
        *why = std::string(type) + ": " + std::to_string(regional.Total(type)) + " regional, " +
               std::to_string(upstream.Total(type)) + " upstream";
        return false;
      }
      std::string diff = Differences(upstream.All(type), regional.All(type));
      if (!diff.empty()) {
        *why = std::string(type) + ":\n" + diff;
        return false;
      }
    }
    return true;
  }

  // Resources whose regional version is not the expected one: "2" for the
  // ids in `changed`, "1" for the others.
  static std::string UnexpectedVersions(FhirPeer& regional, const std::string& type,
                                        const std::set<std::string>& changed) {
    std::string out;
    int n = 0;
    for (const auto& [id, copy] : regional.All(type)) {
      const std::string expected = changed.contains(id) ? "2" : "1";
      if (copy.version_id != expected && ++n <= 5) {
        out +=
            type + "/" + id + " has version " + copy.version_id + ", expected " + expected + "\n";
      }
    }
    return n == 0 ? "" : out + std::to_string(n) + " in all";
  }

  fs::path dir_;
  TestPki pki_;
  std::string loader_pem_, regional_jwk_, loader_jwk_;
  std::vector<std::unique_ptr<EngineProcess>> engines_;
};

std::string DeleteBundle(const std::vector<std::string>& references) {
  std::string bundle = R"({"resourceType":"Bundle","type":"transaction","entry":[)";
  for (std::size_t i = 0; i < references.size(); ++i) {
    if (i > 0) bundle += ',';
    bundle += R"({"request":{"method":"DELETE","url":")" + references[i] + R"("}})";
  }
  return bundle + "]}";
}

TEST_F(AdapterAcceptanceTest, FullSyncOverHttpsWithSmartAuthThenUpdatesAndDeletes) {
  EngineProcess* upstream = StartUpstream();
  ASSERT_NE(upstream, nullptr);
  ASSERT_EQ(upstream->base_url().rfind("https://", 0), 0u);
  std::unique_ptr<FhirPeer> up = Loader(*upstream);
  ASSERT_NE(up, nullptr);
  constexpr int kLocations = 10'000;
  constexpr int kEncounters = 20'000;
  std::vector<std::string> resources;
  for (int i = 0; i < kLocations; ++i) resources.push_back(BedLocationJson(i));
  for (int i = 0; i < kEncounters; ++i) resources.push_back(InpatientEncounterJson(i));
  up->Load(resources);
  ASSERT_EQ(up->Total("Location"), static_cast<std::size_t>(kLocations));
  ASSERT_EQ(up->Total("Encounter"), static_cast<std::size_t>(kEncounters));

  EngineProcess* regional = StartRegional(upstream->base_url());
  ASSERT_NE(regional, nullptr);
  FhirPeer region(regional->base_url());
  const auto start = Clock::now();
  ASSERT_TRUE(WaitFor(
      [&] {
        return region.Total("Location") == kLocations && region.Total("Encounter") == kEncounters;
      },
      std::chrono::seconds(600)))
      << region.Total("Location") << " Locations, " << region.Total("Encounter")
      << " Encounters; /health: " << Ops(region, *regional, "/health");
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  std::printf("full sync of %d resources in %.1f s (%.0f/s, start-up included)\n",
              kLocations + kEncounters, seconds, (kLocations + kEncounters) / seconds);
  std::string why;
  EXPECT_TRUE(Equal(*up, region, &why)) << why;
  EXPECT_EQ(UnexpectedVersions(region, "Location", {}), "");
  EXPECT_EQ(UnexpectedVersions(region, "Encounter", {}), "");

  // Changes upstream: 100 Locations renamed, 100 Encounters finished, 50 of
  // each deleted.
  std::vector<std::string> updates;
  std::set<std::string> changed_locations, changed_encounters;
  for (int i = 0; i < 100; ++i) {
    updates.push_back(BedLocationJson(i * 97, "Renamed bed " + std::to_string(i)));
    changed_locations.insert("loc-" + std::to_string(i * 97));
    std::string encounter = InpatientEncounterJson(i * 191);
    encounter.replace(encounter.find("in-progress"), 11, "finished");
    updates.push_back(encounter);
    changed_encounters.insert("enc-" + std::to_string(i * 191));
  }
  up->Load(updates);
  std::vector<std::string> deletes;
  for (int i = 0; i < 50; ++i) {
    deletes.push_back("Location/loc-" + std::to_string(i * 97 + 1));
    deletes.push_back("Encounter/enc-" + std::to_string(i * 191 + 1));
  }
  net::HttpResponse deleted = up->Send("POST", "", DeleteBundle(deletes));
  ASSERT_EQ(deleted.status, 200) << deleted.body.substr(0, 300);
  ASSERT_EQ(up->Total("Location"), static_cast<std::size_t>(kLocations - 50));

  EXPECT_TRUE(WaitFor([&] { return Equal(*up, region, &why); }, std::chrono::seconds(120))) << why;
  EXPECT_EQ(region.Send("GET", "/Location/loc-98").status, 410);
  EXPECT_NE(region.Send("GET", "/Location/loc-97").body.find(R"("name":"Renamed bed 1")"),
            std::string::npos);
  EXPECT_EQ(UnexpectedVersions(region, "Location", changed_locations), "");
  EXPECT_EQ(UnexpectedVersions(region, "Encounter", changed_encounters), "");
}

TEST_F(AdapterAcceptanceTest, UpstreamDownForSixtySecondsIsCaughtUpWithNothingLost) {
  EngineProcess* upstream = StartUpstream();
  ASSERT_NE(upstream, nullptr);
  const std::uint16_t port = upstream->port();
  const std::string base = upstream->base_url();
  {
    std::unique_ptr<FhirPeer> up = Loader(*upstream);
    ASSERT_NE(up, nullptr);
    std::vector<std::string> resources;
    for (int i = 0; i < 2000; ++i) resources.push_back(BedLocationJson(i));
    up->Load(resources);
  }
  EngineProcess* regional = StartRegional(base);
  ASSERT_NE(regional, nullptr);
  FhirPeer region(regional->base_url());
  ASSERT_TRUE(WaitFor([&] { return region.Total("Location") == 2000; }, std::chrono::seconds(300)))
      << Ops(region, *regional, "/health");

  // Down: killed, so its in-memory access tokens die with it.
  upstream->Signal(SIGKILL);
  upstream->WaitForExit();
  const auto down_since = Clock::now();
  std::string health;
  EXPECT_TRUE(WaitFor(
      [&] {
        health = Ops(region, *regional, "/health");
        return health.find(R"("status":"degraded")") != std::string::npos &&
               health.find(R"("state":"backing-off")") != std::string::npos &&
               health.find(R"("last_error":"GET https://127.0.0.1:)" + std::to_string(port)) !=
                   std::string::npos;
      },
      std::chrono::seconds(60)))
      << health;
  EXPECT_NE(
      Ops(region, *regional, "/metrics").find(R"(fhir_engine_adapter_up{adapter="hospital-a")"),
      std::string::npos);
  std::this_thread::sleep_until(down_since + std::chrono::seconds(60));

  // Back on the same address and database, with changes made while the
  // regional engine could not see them.
  upstream = StartUpstream(port);
  ASSERT_NE(upstream, nullptr);
  std::unique_ptr<FhirPeer> up = Loader(*upstream);
  ASSERT_NE(up, nullptr);
  ASSERT_EQ(up->Total("Location"), 2000u);
  std::vector<std::string> changes;
  std::set<std::string> changed;
  for (int i = 2000; i < 2500; ++i) changes.push_back(BedLocationJson(i));
  for (int i = 0; i < 100; ++i) {
    changes.push_back(BedLocationJson(i * 13, "Moved bed " + std::to_string(i)));
    changed.insert("loc-" + std::to_string(i * 13));
  }
  up->Load(changes);
  std::vector<std::string> deletes;
  for (int i = 0; i < 50; ++i) deletes.push_back("Location/loc-" + std::to_string(i * 13 + 1));
  ASSERT_EQ(up->Send("POST", "", DeleteBundle(deletes)).status, 200);

  std::string why;
  EXPECT_TRUE(WaitFor([&] { return Equal(*up, region, &why); }, std::chrono::seconds(120)))
      << why << "\n/health: " << Ops(region, *regional, "/health");
  EXPECT_EQ(UnexpectedVersions(region, "Location", changed), "");
  EXPECT_TRUE(WaitFor(
      [&] {
        health = Ops(region, *regional, "/health");
        return health.find(R"("status":"ok")") != std::string::npos;
      },
      std::chrono::seconds(30)))
      << health;
  // The restarted upstream no longer knew the adapter's token: a new one.
  std::size_t issued = 0;
  for (const std::string& line : upstream->Lines()) {
    issued += line.find(R"("msg":"token issued")") != std::string::npos &&
              line.find("regional") != std::string::npos;
  }
  EXPECT_GE(issued, 1u) << "the adapter did not get a token from the restarted upstream";
}

TEST_F(AdapterAcceptanceTest, AWrongCaFailsClosedWithAClearHealthError) {
  EngineProcess* upstream = StartUpstream();
  ASSERT_NE(upstream, nullptr);
  {
    std::unique_ptr<FhirPeer> up = Loader(*upstream);
    ASSERT_NE(up, nullptr);
    up->Load({BedLocationJson(1), BedLocationJson(2)});
  }
  EngineProcess* regional = StartRegional(upstream->base_url(), "pki/other-ca.pem");
  ASSERT_NE(regional, nullptr);
  FhirPeer region(regional->base_url());
  std::string health;
  EXPECT_TRUE(WaitFor(
      [&] {
        health = Ops(region, *regional, "/health");
        return health.find(R"("status":"degraded")") != std::string::npos &&
               health.find("certificate verify failed") != std::string::npos;
      },
      std::chrono::seconds(60)))
      << health;
  EXPECT_EQ(region.Total("Location"), 0u);
  // No token request either: the handshake failed before any credential left.
  for (const std::string& line : upstream->Lines()) {
    EXPECT_FALSE(line.find(R"("msg":"token issued")") != std::string::npos &&
                 line.find("regional") != std::string::npos)
        << line;
  }
}

}  // namespace
}  // namespace fhirengine::testing

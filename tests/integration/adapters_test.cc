// Adapters in the real binary: the ndjson-file adapter loaded as a plugin
// from the config, its records stored and quarantined, /health, /metrics
// and /admin/quarantine over HTTP, a restart that resumes from the cursor
// without new versions, and check-config's exact messages.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include "tests/support/engine_process.h"
#include "tests/support/http_client.h"

namespace fhirengine::testing {
namespace {

struct CliRun {
  int exit_code;
  std::string out;
};
CliRun RunEngine(const std::string& args);

class AdaptersTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("fe-adapters-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_ / "drop");
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string Write(const std::string& name, const std::string& text) {
    std::filesystem::path p = dir_ / name;
    std::ofstream(p, std::ios::binary) << text;
    return p.string();
  }
  std::string Config() {
    return Write(
        "engine.json", std::string(R"({"store": {"database": "engine.db", "durability": "normal"},
      "plugins": [")") + FE_NDJSON_PLUGIN +
                           R"("],
      "adapters": [{"name": "bulk", "type": "ndjson-file", "poll-interval-s": 1,
                    "settings": {"folder": "drop"}}]})");
  }
  std::unique_ptr<EngineProcess> Start() {
    std::string error;
    auto engine = EngineProcess::Start(
        FHIR_ENGINE_BINARY,
        {"serve", "--config", Config(), "--port", "0", "--database", (dir_ / "engine.db").string()},
        error);
    EXPECT_NE(engine, nullptr) << error;
    return engine;
  }
  // GET `target` until `needle` is in the body (the adapter polls on its
  // own thread), at most 20 s.
  static HttpResponse GetUntil(std::uint16_t port, const std::string& target,
                               const std::string& needle) {
    HttpResponse r;
    for (int i = 0; i < 200; ++i) {
      HttpClient client(port);
      r = client.Request("GET", target);
      if (r.body.find(needle) != std::string::npos) return r;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return r;
  }
  std::filesystem::path dir_;
};

constexpr const char* kFile =
    "{\"resourceType\":\"Location\",\"id\":\"ward-1\",\"status\":\"active\"}\n"
    "{\"resourceType\":\"Location\",\"id\":\"ward-2\",\"colour\":\"red\"}\n"
    "\n"
    "{\"resourceType\":\"Organization\",\"id\":\"org-1\",\"active\":true}\n";

TEST_F(AdaptersTest, APluginAdapterStoresQuarantinesAndReports) {
  Write("drop/2026-11-23.ndjson", kFile);
  auto engine = Start();
  ASSERT_NE(engine, nullptr);
  HttpResponse health = GetUntil(engine->port(), "/health", "\"stored\":2");
  ASSERT_EQ(health.status, 200) << health.error;
  EXPECT_EQ(health.Header("Content-Type"), "application/json");
  EXPECT_NE(health.body.find(R"("name":"bulk","type":"ndjson-file")"), std::string::npos)
      << health.body;
  EXPECT_NE(health.body.find(R"("quarantined":1)"), std::string::npos) << health.body;

  HttpClient client(engine->port());
  HttpResponse ward = client.Request("GET", "/fhir/Location/ward-1");
  ASSERT_EQ(ward.status, 200);
  EXPECT_NE(ward.body.find(R"("versionId":"1")"), std::string::npos) << ward.body;
  EXPECT_NE(ward.body.find(R"("source":"urn:fhir-engine:adapter:bulk")"), std::string::npos);
  EXPECT_EQ(client.Request("GET", "/fhir/Organization/org-1").status, 200);
  EXPECT_EQ(client.Request("GET", "/fhir/Location/ward-2").status, 404);

  HttpResponse metrics = client.Request("GET", "/metrics");
  ASSERT_EQ(metrics.status, 200);
  EXPECT_EQ(metrics.Header("Content-Type"), "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_NE(metrics.body.find(
                "fhir_engine_adapter_records_total{adapter=\"bulk\",outcome=\"stored\"} 2\n"),
            std::string::npos)
      << metrics.body;
  EXPECT_NE(metrics.body.find("fhir_engine_adapter_quarantine_size{adapter=\"bulk\"} 1\n"),
            std::string::npos);
  EXPECT_NE(metrics.body.find("fhir_engine_adapter_up{adapter=\"bulk\"} 1\n"), std::string::npos);

  HttpResponse quarantine = client.Request("GET", "/admin/quarantine?adapter=bulk&_count=10");
  ASSERT_EQ(quarantine.status, 200);
  EXPECT_NE(quarantine.body.find(R"("total":1)"), std::string::npos) << quarantine.body;
  EXPECT_NE(quarantine.body.find(R"("locator":"2026-11-23.ndjson:2")"), std::string::npos);
  EXPECT_NE(quarantine.body.find("Location.colour"), std::string::npos);
  EXPECT_EQ(client.Request("GET", "/admin/quarantine?_count=0").status, 400);
  EXPECT_EQ(client.Request("POST", "/health").status, 405);
  EXPECT_EQ(engine->Stop(), 0);
  // The same list from the command line.
  CliRun cli =
      RunEngine("quarantine --database " + (dir_ / "engine.db").string() + " --adapter bulk");
  EXPECT_EQ(cli.exit_code, 0);
  EXPECT_TRUE(cli.out.starts_with(R"({"total":1,"entries":[{"seq":1,"adapter":"bulk",)"))
      << cli.out;
}

// The cursor committed with the batch: a restart does not re-read the
// file, and the same resources delivered again in a new file create no
// new versions.
TEST_F(AdaptersTest, ARestartResumesWithoutNewVersions) {
  Write("drop/a.ndjson", kFile);
  {
    auto engine = Start();
    ASSERT_NE(engine, nullptr);
    ASSERT_EQ(GetUntil(engine->port(), "/health", "\"stored\":2").status, 200);
    EXPECT_EQ(engine->Stop(), 0);
  }
  Write("drop/b.ndjson", kFile);
  auto engine = Start();
  ASSERT_NE(engine, nullptr);
  HttpResponse health = GetUntil(engine->port(), "/health", "\"unchanged\":2");
  EXPECT_NE(health.body.find(R"("stored":0,"unchanged":2)"), std::string::npos) << health.body;
  HttpClient client(engine->port());
  HttpResponse ward = client.Request("GET", "/fhir/Location/ward-1");
  EXPECT_NE(ward.body.find(R"("versionId":"1")"), std::string::npos) << ward.body;
  // a.ndjson's bad line once, b.ndjson's once: a was not read again (it
  // would have been, before b, had its cursor not been committed).
  HttpResponse quarantine =
      GetUntil(engine->port(), "/admin/quarantine?adapter=bulk", "b.ndjson:2");
  EXPECT_NE(quarantine.body.find(R"("total":2)"), std::string::npos) << quarantine.body;
  const std::size_t first = quarantine.body.find("\"a.ndjson:2\"");
  ASSERT_NE(first, std::string::npos) << quarantine.body;
  EXPECT_EQ(quarantine.body.find("\"a.ndjson:2\"", first + 1), std::string::npos);
  EXPECT_EQ(engine->Stop(), 0);
}

CliRun RunEngine(const std::string& args) {
  const std::string command = std::string(FHIR_ENGINE_BINARY) + " " + args + " 2>&1";
  FILE* pipe = popen(command.c_str(), "r");
  EXPECT_NE(pipe, nullptr);
  std::string out;
  std::array<char, 4096> buffer{};
  std::size_t n = 0;
  while ((n = fread(buffer.data(), 1, buffer.size(), pipe)) > 0) out.append(buffer.data(), n);
  const int status = pclose(pipe);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

TEST_F(AdaptersTest, CheckConfigPrintsOkOrEveryProblem) {
  const std::string good = Config();
  CliRun ok = RunEngine("check-config " + good);
  EXPECT_EQ(ok.exit_code, 0);
  EXPECT_EQ(ok.out, good + ": ok\n");

  const std::string bad = Write("bad.json", std::string(R"({"server": {"port": -1},
      "plugins": [")") + FE_NDJSON_PLUGIN + R"("],
      "adapters": [{"name": "bulk", "type": "ndjson-file", "settings": {"folder": "drop", "glob": "*"}},
                   {"name": "rest", "type": "hl7v2-mllp", "poll-interval-s": 0}]})");
  CliRun problems = RunEngine("check-config " + bad);
  EXPECT_EQ(problems.exit_code, 1);
  EXPECT_EQ(problems.out,
            bad +
                ": $.server.port: below the minimum 0; hint: use a port number from 0 to 65535 (0 "
                "picks a free one)\n" +
                bad +
                ": $.adapters[1].poll-interval-s: below the minimum 0.1; hint: use seconds "
                "from 0.1 to 86400; decimals allowed, such as 0.25\n" +
                bad +
                ": $.adapters[0].settings.glob: unknown key; hint: remove it or correct its "
                "spelling (known here: folder, max-records-per-batch)\n" +
                bad +
                ": $.adapters[1].type: unknown adapter type \"hl7v2-mllp\"; hint: use one "
                "of: csv-file, fhir-rest, json-rest, ndjson-file, xml-file (or list its plugin in "
                "\"plugins\")\n");
  // serve refuses the same file, naming the same problems.
  CliRun serve = RunEngine("serve --config " + bad + " --port 0");
  EXPECT_EQ(serve.exit_code, 2);
  EXPECT_NE(serve.out.find("$.adapters[0].settings.glob: unknown key"), std::string::npos)
      << serve.out;
}

}  // namespace
}  // namespace fhirengine::testing

// Declarative mappings and profile validation in the real binary: a
// csv-file adapter running the shipped mappings/municipal-csv.json on a
// Latin-1 ';' export, and one running a test-written bed mapping that claims
// the regional bed profile. Checks over HTTP which regional Locations are
// stored (stamped with the adapter's meta.source), that a row with an
// unknown status lands in /admin/quarantine with the mapping's message, and
// that a row whose output fails the profile lands there with the
// OperationOutcome while none of that row's outputs is stored.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "engine/json/json_parser.h"
#include "engine/json/json_value.h"
#include "tests/support/engine_process.h"
#include "tests/support/http_client.h"

namespace fhirengine::testing {
namespace {

namespace fs = std::filesystem;

// ISO-8859-1 bytes: ä = E4. Line 5's status "Okänd" is in no ConceptMap.
constexpr std::string_view kMunicipalCsv =
    "kommun;enhet;enhetstyp;plats;platstyp;status;uppdaterad\n"
    "0180;KTA;korttid;1;korttidsplats;Ledig;2026-11-23 14:05\n"
    "0180;KTA;korttid;2;korttidsplats;St\xe4"
    "dning;2026-11-23 14:10\n"
    "0180;SB1;boende;1;s\xe4rskilt boende;Belagd;2026-11-23 14:15\n"
    "0180;SB1;boende;2;s\xe4rskilt boende;Ok\xe4nd;2026-11-23 14:20\n";

// A bed mapping written by the test (the shipped ones change as the
// regional model grows): each row gives a RegionalBed Location and a Basic
// marker, so "all of a row's outputs or none" is visible.
constexpr std::string_view kBedMapping = R"({
  "name": "test-beds",
  "source-format": "csv",
  "outputs": [
    {
      "resourceType": "Location",
      "id": {"template": "{source}-{enhet}-{plats}"},
      "profile": "https://fhir-engine.example.org/fhir/StructureDefinition/RegionalBed",
      "extensions": [
        {"url": "https://fhir-engine.example.org/fhir/StructureDefinition/bed-category",
         "valueCodeableConcept.coding": [{"system": "https://fhir-engine.example.org/fhir/CodeSystem/bed-category", "code": "general"}]}
      ],
      "fields": {
        "status": {"column": "aktiv"},
        "name": {"template": "{enhet} plats {plats}"},
        "operationalStatus": {"concept-map": "status-map.json", "from": {"column": "status"}},
        "physicalType.coding[0].system": "http://terminology.hl7.org/CodeSystem/location-physical-type",
        "physicalType.coding[0].code": "bd",
        "managingOrganization.reference": "Organization/test-org",
        "partOf.reference": {"template": "Location/{source}-{enhet}"}
      }
    },
    {"resourceType": "Basic", "id": {"template": "{source}-{enhet}-{plats}-seen"},
     "fields": {"code.text": "bed seen"}}
  ]
})";

constexpr std::string_view kStatusMap = R"({
  "resourceType": "ConceptMap", "id": "status-map", "status": "draft",
  "group": [{"source": "https://example.org/local-status",
             "target": "http://terminology.hl7.org/CodeSystem/v2-0116",
             "element": [{"code": "Ledig", "target": [{"code": "U", "equivalence": "equivalent"}]},
                         {"code": "Belagd", "target": [{"code": "O", "equivalence": "equivalent"}]}]}]
})";

// Line 3's status "closed-ish" is not in the required location-status.
constexpr std::string_view kBedCsv =
    "enhet;plats;status;aktiv\n"
    "AVD1;1;Ledig;active\n"
    "AVD1;2;Belagd;closed-ish\n";

std::string Str(const json::Value* v) {
  return v != nullptr && (v->IsString() || v->IsNumber()) ? std::string(v->text()) : "";
}

long Number(const json::Value* v) {
  return v != nullptr && v->IsNumber() ? std::stol(std::string(v->text())) : -1;
}

bool WaitUntil(const std::function<bool()>& condition,
               std::chrono::milliseconds deadline = std::chrono::seconds(30)) {
  const auto end = std::chrono::steady_clock::now() + deadline;
  while (std::chrono::steady_clock::now() < end) {
    if (condition()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return condition();
}

class MappedIngestTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("fe-mapped-ingest-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "kommun");
    fs::create_directories(dir_ / "beds");
    std::ofstream(dir_ / "beds-mapping.json") << kBedMapping;
    std::ofstream(dir_ / "status-map.json") << kStatusMap;
    const std::string shipped = std::string(FE_SOURCE_DIR) + "/mappings/municipal-csv.json";
    std::ofstream(dir_ / "engine.json") << R"({"store": {"durability": "normal"},
      "adapters": [
        {"name": "kommun-umea", "type": "csv-file", "poll-interval-s": 1,
         "mapping": ")" + shipped + R"(", "mapping-source": "umea",
         "settings": {"directory": "kommun", "pattern": "*.csv", "settle-seconds": 0,
                      "encoding": "iso-8859-1", "delimiter": ";",
                      "key-columns": ["kommun", "enhet", "plats"]}},
        {"name": "beds", "type": "csv-file", "poll-interval-s": 1,
         "mapping": "beds-mapping.json", "mapping-source": "test",
         "settings": {"directory": "beds", "pattern": "*.csv", "settle-seconds": 0,
                      "delimiter": ";", "key-columns": ["enhet", "plats"]}}]})";
  }
  void TearDown() override {
    engine_.reset();
    fs::remove_all(dir_);
  }

  void Drop(const std::string& relative, std::string_view bytes) {
    const fs::path target = dir_ / relative;
    fs::path part = target;
    part += ".part";
    {
      std::ofstream out(part, std::ios::binary | std::ios::trunc);
      out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    }
    fs::rename(part, target);
  }

  void StartEngine() {
    std::string error;
    engine_ = EngineProcess::Start(FHIR_ENGINE_BINARY,
                                   {"serve", "--config", (dir_ / "engine.json").string(), "--port",
                                    "0", "--database", (dir_ / "engine.db").string()},
                                   error);
    ASSERT_NE(engine_, nullptr) << error;
  }

  std::optional<json::Document> GetJson(const std::string& target, int* status = nullptr) {
    HttpClient client(engine_->port());
    HttpResponse r = client.Request("GET", target);
    if (status != nullptr) *status = r.status;
    if (r.status != 200) return std::nullopt;
    Result<json::Document> doc = json::Parse(r.body);
    if (!doc.ok()) return std::nullopt;
    return std::move(doc).value();
  }

  // stored + quarantined of the adapter in /health, once both reach `n`.
  bool WaitForRecords(std::string_view adapter, long n) {
    return WaitUntil([&] {
      std::optional<json::Document> doc = GetJson("/health");
      if (!doc) return false;
      for (const json::Value& a : doc->root().Find("adapters")->elements()) {
        if (Str(a.Find("name")) != adapter) continue;
        return Number(a.Find("stored")) + Number(a.Find("quarantined")) >= n;
      }
      return false;
    });
  }

  // (locator, reason) of the adapter's quarantine, by locator.
  std::vector<std::pair<std::string, std::string>> Quarantine(std::string_view adapter) {
    std::vector<std::pair<std::string, std::string>> out;
    std::optional<json::Document> doc =
        GetJson("/admin/quarantine?adapter=" + std::string(adapter) + "&_count=1000");
    EXPECT_TRUE(doc.has_value());
    if (!doc) return out;
    for (const json::Value& e : doc->root().Find("entries")->elements()) {
      out.emplace_back(Str(e.Find("locator")), Str(e.Find("reason")));
    }
    std::sort(out.begin(), out.end());
    return out;
  }

  // Ids of the bed Locations (physicalType bd) the adapter stored.
  std::set<std::string> BedLocations(std::string_view adapter) {
    std::set<std::string> ids;
    std::optional<json::Document> bundle = GetJson("/fhir/Location?_count=1000");
    EXPECT_TRUE(bundle.has_value());
    if (!bundle || bundle->root().Find("entry") == nullptr) return ids;
    for (const json::Value& entry : bundle->root().Find("entry")->elements()) {
      const json::Value& r = *entry.Find("resource");
      if (Str(r.Find("meta")->Find("source")) != "urn:fhir-engine:adapter:" + std::string(adapter))
        continue;
      const json::Value* type = r.Find("physicalType");
      if (type == nullptr || type->Find("coding") == nullptr) continue;
      for (const json::Value& c : type->Find("coding")->elements()) {
        if (Str(c.Find("code")) == "bd") ids.insert(Str(r.Find("id")));
      }
    }
    return ids;
  }

  fs::path dir_;
  std::unique_ptr<EngineProcess> engine_;
};

TEST_F(MappedIngestTest,
       TheShippedMunicipalMappingStoresRegionalBedsAndQuarantinesAnUnknownStatus) {
  Drop("kommun/platser.csv", kMunicipalCsv);
  StartEngine();
  // Three rows store at least one resource each; one is quarantined.
  ASSERT_TRUE(WaitUntil([&] { return Quarantine("kommun-umea").size() == 1; }));
  ASSERT_TRUE(WaitUntil([&] { return BedLocations("kommun-umea").size() >= 3; }));
  EXPECT_EQ(BedLocations("kommun-umea"),
            (std::set<std::string>{"umea-0180-KTA-1", "umea-0180-KTA-2", "umea-0180-SB1-1"}));

  std::optional<json::Document> bed = GetJson("/fhir/Location/umea-0180-KTA-2");
  ASSERT_TRUE(bed.has_value());
  const json::Value* meta = bed->root().Find("meta");
  EXPECT_EQ(Str(meta->Find("source")), "urn:fhir-engine:adapter:kommun-umea");
  EXPECT_EQ(Str(meta->Find("tag")->elements()[0].Find("code")), "umea");  // mapping-source
  // "Städning", decoded from Latin-1, went through the ConceptMap to H.
  EXPECT_EQ(Str(bed->root().Find("operationalStatus")->Find("code")), "H");

  int status = 0;
  GetJson("/fhir/Location/umea-0180-SB1-2", &status);
  EXPECT_EQ(status, 404);
  auto q = Quarantine("kommun-umea");
  ASSERT_EQ(q.size(), 1u);
  EXPECT_EQ(q[0].first, "platser.csv:5");
  EXPECT_NE(q[0].second.find("municipal-csv.json line "), std::string::npos) << q[0].second;
  EXPECT_NE(q[0].second.find("code 'Ok\xc3\xa4nd' is not in ConceptMap"), std::string::npos)
      << q[0].second;
  EXPECT_NE(q[0].second.find("(record platser.csv:5)"), std::string::npos) << q[0].second;
}

TEST_F(MappedIngestTest, AnOutputThatFailsItsProfileQuarantinesTheWholeRowWithTheOutcome) {
  Drop("beds/avd1.csv", kBedCsv);
  StartEngine();
  ASSERT_TRUE(WaitForRecords("beds", 3));  // two stored (row 2), one quarantined (row 3)
  EXPECT_EQ(BedLocations("beds"), (std::set<std::string>{"test-AVD1-1"}));
  EXPECT_TRUE(GetJson("/fhir/Basic/test-AVD1-1-seen").has_value());
  int status = 0;
  GetJson("/fhir/Basic/test-AVD1-2-seen", &status);
  EXPECT_EQ(status, 404);  // none of the invalid row's outputs
  auto q = Quarantine("beds");
  ASSERT_EQ(q.size(), 1u);
  EXPECT_EQ(q[0].first, "avd1.csv:3");
  Result<json::Document> outcome = json::Parse(q[0].second);
  ASSERT_TRUE(outcome.ok()) << q[0].second;
  EXPECT_EQ(Str(outcome->root().Find("resourceType")), "OperationOutcome");
  bool found = false;
  for (const json::Value& issue : outcome->root().Find("issue")->elements()) {
    EXPECT_EQ(Str(issue.Find("severity")), "error");  // errors only
    found |= Str(issue.Find("diagnostics")).find("Location/test-AVD1-2: code closed-ish") == 0;
  }
  EXPECT_TRUE(found) << q[0].second;
}

TEST_F(MappedIngestTest, CheckConfigReportsAMappingErrorWithItsOwnMessage) {
  std::ofstream(dir_ / "beds-mapping.json") << "{\"name\": \"x\",\n\"source-format\": \"tsv\"}";
  // check-config is a plain CLI run: its output and exit status via popen.
  const std::string command = std::string(FHIR_ENGINE_BINARY) + " check-config " +
                              (dir_ / "engine.json").string() + " 2>&1";
  FILE* pipe = ::popen(command.c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  std::string out;
  char buffer[4096];
  while (std::size_t n = std::fread(buffer, 1, sizeof buffer, pipe)) out.append(buffer, n);
  const int rc = ::pclose(pipe);
  EXPECT_NE(rc, 0);
  EXPECT_NE(out.find("$.adapters[1].mapping: " + (dir_ / "beds-mapping.json").string() + " line 2"),
            std::string::npos)
      << out;
}

}  // namespace
}  // namespace fhirengine::testing

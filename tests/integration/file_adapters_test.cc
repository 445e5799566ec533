// The csv-file and xml-file adapters end to end in the real binary: drop
// folders with good, BOM-prefixed, Latin-1 and malformed CSV files and good,
// not-well-formed, DOCTYPE and key-less XML files; the stored Basic
// resources read back over HTTP, the quarantine's exact locators and
// reasons, /health and /metrics; a file read once, a changed file updating
// only its changed rows, and a restart that delivers nothing new.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "engine/json/json_parser.h"
#include "engine/json/json_value.h"
#include "tests/support/engine_process.h"
#include "tests/support/http_client.h"

namespace fhirengine::testing {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kFieldUrl =
    "https://fhir-engine.example.org/fhir/StructureDefinition/source-field";
constexpr std::string_view kPayloadUrl =
    "https://fhir-engine.example.org/fhir/StructureDefinition/source-payload";

// Three adapters over three folders: UTF-8 CSV with the delimiter detected,
// Latin-1 CSV, and XML. Files are read as soon as they are listed
// (settle-seconds 0: Drop() renames complete files into place).
constexpr const char* kConfig = R"({"store": {"database": "engine.db", "durability": "normal"},
  "adapters": [
    {"name": "beds-csv", "type": "csv-file", "poll-interval-s": 1,
     "settings": {"directory": "csv", "pattern": "*.csv", "settle-seconds": 0,
                  "key-columns": ["bed-id"]}},
    {"name": "beds-latin1", "type": "csv-file", "poll-interval-s": 1,
     "settings": {"directory": "latin1", "pattern": "*.csv", "settle-seconds": 0,
                  "encoding": "iso-8859-1", "delimiter": ";", "key-columns": ["bed-id"]}},
    {"name": "beds-xml", "type": "xml-file", "poll-interval-s": 1,
     "settings": {"directory": "xml", "pattern": "*.xml", "settle-seconds": 0,
                  "record-xpath": "/export/unit/bed", "key-xpath": "@id"}}]})";

// UTF-8, ';', no BOM; a quoted field holding the delimiter; an empty field.
constexpr std::string_view kSemicolonCsv =
    "bed-id;ward;municipality;status;updated\n"
    "W1-01;Ward 1 medicine;Ume\xc3\xa5;free;2026-11-23T07:15:00Z\n"
    "W1-02;Ward 1 medicine;Ume\xc3\xa5;occupied;2026-11-23T07:20:00Z\n"
    "W1-03;\"Ward 1; annex\";Ume\xc3\xa5;free;\n";

// UTF-8 with a BOM, ',', CRLF; quoted fields with the delimiter and "".
constexpr std::string_view kCommaBomCsv =
    "\xef\xbb\xbf"
    "bed-id,ward,municipality,status\r\n"
    "W2-01,Ward 2 surgery,Skellefte\xc3\xa5,free\r\n"
    "W2-02,\"Ward 2, day unit\",Skellefte\xc3\xa5,\"occupied \"\"isolation\"\"\"\r\n";

// ISO-8859-1 bytes: Ö = D6, å = E5, ä = E4, ö = F6.
constexpr std::string_view kLatin1Csv =
    "bed-id;ward;municipality;status\n"
    "\xd6"
    "1-01;Avd \xd6ster;Ume\xe5;ledig\n"
    "AO-02;Avd \xd6ster;V\xe4ster\xe5s;upptagen\n"
    "AO-03;Avd \xd6ster;\xd6rnsk\xf6ldsvik;ledig\n";

// Lines 3-6 are bad: too few fields, too many, an empty key, a quote never
// closed (reading resumes on line 7).
constexpr std::string_view kMalformedCsv =
    "bed-id;ward;municipality;status\n"
    "W3-01;Ward 3;Ume\xc3\xa5;free\n"
    "W3-02;Ward 3;Ume\xc3\xa5\n"
    "W3-03;Ward 3;Ume\xc3\xa5;free;extra\n"
    ";Ward 3;Ume\xc3\xa5;free\n"
    "W3-04;\"Ward 3;Ume\xc3\xa5;free\n"
    "W3-05;Ward 3;Ume\xc3\xa5;occupied\n";

constexpr std::string_view kGoodXml =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<export>\n"
    "  <unit code=\"W4\">\n"
    "    <bed id=\"W4-01\"><status>free</status><municipality>Ume\xc3\xa5</municipality></bed>\n"
    "    <bed "
    "id=\"W4-02\"><status>occupied</status><municipality>Ume\xc3\xa5</municipality></bed>\n"
    "  </unit>\n"
    "</export>\n";

constexpr std::string_view kMissingKeyXml =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<export>\n"
    "  <unit code=\"W5\">\n"
    "    <bed id=\"W5-01\"><status>free</status></bed>\n"
    "    <bed><status>occupied</status></bed>\n"
    "  </unit>\n"
    "</export>\n";

// The end tag on line 5 does not match.
constexpr std::string_view kBrokenXml =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<export>\n"
    "  <unit code=\"W6\">\n"
    "    <bed id=\"W6-01\"><status>free</status></bed>\n"
    "  </unitx>\n"
    "</export>\n";

// An internal subset declaring an entity used as a key.
constexpr std::string_view kDoctypeXml =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<!DOCTYPE export [<!ENTITY bed \"W7-01\">]>\n"
    "<export><unit code=\"W7\"><bed id=\"&bed;\"><status>free</status></bed></unit></export>\n";

using Fields = std::vector<std::pair<std::string, std::optional<std::string>>>;

struct Counters {
  std::string state;
  std::string last_success;  // "" while null
  long stored = -1;
  long unchanged = -1;
  long quarantined = -1;
  long errors = -1;
};

struct QuarantineEntry {
  std::string locator;
  std::string reason;
  std::string record;
  bool operator<(const QuarantineEntry& o) const { return locator < o.locator; }
  bool operator==(const QuarantineEntry& o) const = default;
};

void PrintTo(const QuarantineEntry& e, std::ostream* os) {
  *os << "{" << e.locator << " | " << e.reason << " | " << e.record << "}";
}

std::string Str(const json::Value* v) {
  return v != nullptr && (v->IsString() || v->IsNumber()) ? std::string(v->text()) : "";
}

long Number(const json::Value* v) {
  return v != nullptr && v->IsNumber() ? std::stol(std::string(v->text())) : -1;
}

// Polls `condition` every 100 ms until it holds, at most `deadline`.
bool WaitUntil(const std::function<bool()>& condition,
               std::chrono::milliseconds deadline = std::chrono::seconds(30)) {
  const auto end = std::chrono::steady_clock::now() + deadline;
  while (std::chrono::steady_clock::now() < end) {
    if (condition()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return condition();
}

class FileAdaptersTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("fe-file-adapters-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    for (const char* folder : {"csv", "latin1", "xml"}) fs::create_directories(dir_ / folder);
    std::ofstream(dir_ / "engine.json", std::ios::binary) << kConfig;
  }
  void TearDown() override {
    engine_.reset();
    fs::remove_all(dir_);
  }

  // Writes under a name the adapters skip (".part"), then renames it into
  // place: an adapter never sees half a file.
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

  HttpResponse Get(const std::string& target) {
    HttpClient client(engine_->port());
    return client.Request("GET", target);
  }

  std::optional<json::Document> GetJson(const std::string& target) {
    HttpResponse r = Get(target);
    if (r.status != 200) return std::nullopt;
    Result<json::Document> doc = json::Parse(r.body);
    if (!doc.ok()) return std::nullopt;
    return std::move(doc).value();
  }

  // The adapter's entry in /health.
  std::optional<Counters> Health(std::string_view adapter) {
    std::optional<json::Document> doc = GetJson("/health");
    if (!doc) return std::nullopt;
    const json::Value* adapters = doc->root().Find("adapters");
    if (adapters == nullptr) return std::nullopt;
    for (const json::Value& a : adapters->elements()) {
      if (Str(a.Find("name")) != adapter) continue;
      return Counters{Str(a.Find("state")),          Str(a.Find("last_success")),
                      Number(a.Find("stored")),      Number(a.Find("unchanged")),
                      Number(a.Find("quarantined")), Number(a.Find("errors"))};
    }
    return std::nullopt;
  }

  // Waits until the adapter's health satisfies `condition`; the last
  // counters seen (for the failure message) either way.
  Counters WaitForHealth(std::string_view adapter,
                         const std::function<bool(const Counters&)>& condition) {
    Counters last;
    WaitUntil([&] {
      std::optional<Counters> c = Health(adapter);
      if (!c) return false;
      last = *c;
      return condition(last);
    });
    return last;
  }

  // Waits for two more successful rounds of the adapter (last_success
  // changing twice), so that anything it would deliver has been delivered.
  void WaitForTwoRounds(std::string_view adapter) {
    for (int round = 0; round < 2; ++round) {
      const std::string before = Health(adapter).value_or(Counters{}).last_success;
      Counters after = WaitForHealth(adapter, [&](const Counters& c) {
        return !c.last_success.empty() && c.last_success != before;
      });
      ASSERT_NE(after.last_success, before) << adapter << " made no further round";
    }
  }

  std::vector<QuarantineEntry> Quarantine(std::string_view adapter) {
    std::vector<QuarantineEntry> out;
    std::optional<json::Document> doc =
        GetJson("/admin/quarantine?adapter=" + std::string(adapter) + "&_count=1000");
    EXPECT_TRUE(doc.has_value());
    if (!doc) return out;
    const json::Value* entries = doc->root().Find("entries");
    if (entries == nullptr) return out;
    for (const json::Value& e : entries->elements()) {
      EXPECT_EQ(Str(e.Find("adapter")), adapter);
      out.push_back({Str(e.Find("locator")), Str(e.Find("reason")), Str(e.Find("record"))});
    }
    std::sort(out.begin(), out.end());
    return out;
  }

  // The Basic resource at `id`, or a null document (the test fails) when
  // it is not there.
  json::Document Basic(const std::string& id) {
    std::optional<json::Document> doc = GetJson("/fhir/Basic/" + id);
    EXPECT_TRUE(doc.has_value()) << "GET /fhir/Basic/" << id;
    return doc ? std::move(*doc) : json::Document();
  }

  // The CSV columns carried by a Basic resource, in order.
  static Fields CsvFields(const json::Document& basic) {
    Fields out;
    const json::Value* extensions = basic.root().Find("extension");
    if (extensions == nullptr) return out;
    for (const json::Value& e : extensions->elements()) {
      if (Str(e.Find("url")) != kFieldUrl) continue;
      std::string name;
      std::optional<std::string> value;
      if (const json::Value* parts = e.Find("extension")) {
        for (const json::Value& p : parts->elements()) {
          if (Str(p.Find("url")) == "name") name = Str(p.Find("valueString"));
          if (Str(p.Find("url")) == "value") value = Str(p.Find("valueString"));
        }
      }
      out.emplace_back(name, value);
    }
    return out;
  }

  static std::string Payload(const json::Document& basic) {
    const json::Value* extensions = basic.root().Find("extension");
    if (extensions == nullptr) return "";
    for (const json::Value& e : extensions->elements()) {
      if (Str(e.Find("url")) == kPayloadUrl) return Str(e.Find("valueString"));
    }
    return "";
  }

  static std::string VersionId(const json::Document& resource) {
    const json::Value* meta = resource.root().Find("meta");
    return meta != nullptr ? Str(meta->Find("versionId")) : "";
  }

  std::string VersionOf(const std::string& id) { return VersionId(Basic(id)); }

  fs::path dir_;
  std::unique_ptr<EngineProcess> engine_;
};

TEST_F(FileAdaptersTest, DropsStoreGoodRecordsAndQuarantineEachBadOne) {
  Drop("csv/semicolon.csv", kSemicolonCsv);
  Drop("csv/comma-bom.csv", kCommaBomCsv);
  Drop("csv/malformed.csv", kMalformedCsv);
  Drop("latin1/platser.csv", kLatin1Csv);
  Drop("xml/good.xml", kGoodXml);
  Drop("xml/missing-key.xml", kMissingKeyXml);
  Drop("xml/broken.xml", kBrokenXml);
  Drop("xml/doctype.xml", kDoctypeXml);
  StartEngine();

  const Counters csv =
      WaitForHealth("beds-csv", [](const Counters& c) { return c.stored + c.quarantined >= 11; });
  EXPECT_EQ(csv.stored, 7);
  EXPECT_EQ(csv.quarantined, 4);
  EXPECT_EQ(csv.unchanged, 0);
  EXPECT_EQ(csv.errors, 0);
  const Counters latin1 =
      WaitForHealth("beds-latin1", [](const Counters& c) { return c.stored >= 3; });
  EXPECT_EQ(latin1.stored, 3);
  EXPECT_EQ(latin1.quarantined, 0);
  const Counters xml =
      WaitForHealth("beds-xml", [](const Counters& c) { return c.stored + c.quarantined >= 6; });
  EXPECT_EQ(xml.stored, 3);
  EXPECT_EQ(xml.quarantined, 3);
  EXPECT_EQ(xml.errors, 0);

  // The ';' file: every column, the quoted delimiter kept, the empty field
  // carried without a value; the identifier is the key column.
  json::Document w1 = Basic("beds-csv.W1-01");
  EXPECT_EQ(CsvFields(w1), (Fields{{"bed-id", "W1-01"},
                                   {"ward", "Ward 1 medicine"},
                                   {"municipality", "Ume\xc3\xa5"},
                                   {"status", "free"},
                                   {"updated", "2026-11-23T07:15:00Z"}}));
  EXPECT_EQ(VersionId(w1), "1");
  const json::Value* identifier = w1.root().Find("identifier");
  ASSERT_NE(identifier, nullptr);
  ASSERT_EQ(identifier->size(), 1u);
  EXPECT_EQ(Str(identifier->elements()[0].Find("system")), "urn:fhir-engine:adapter:beds-csv");
  EXPECT_EQ(Str(identifier->elements()[0].Find("value")), "W1-01");
  EXPECT_EQ(Str(w1.root().Find("meta")->Find("source")), "urn:fhir-engine:adapter:beds-csv");
  EXPECT_EQ(CsvFields(Basic("beds-csv.W1-03")), (Fields{{"bed-id", "W1-03"},
                                                        {"ward", "Ward 1; annex"},
                                                        {"municipality", "Ume\xc3\xa5"},
                                                        {"status", "free"},
                                                        {"updated", std::nullopt}}));

  // The ',' file with a BOM and CRLF: the first column is "bed-id" (no BOM
  // in it), quoted commas and doubled quotes decoded, no '\r' left.
  EXPECT_EQ(CsvFields(Basic("beds-csv.W2-02")), (Fields{{"bed-id", "W2-02"},
                                                        {"ward", "Ward 2, day unit"},
                                                        {"municipality", "Skellefte\xc3\xa5"},
                                                        {"status", "occupied \"isolation\""}}));
  EXPECT_EQ(CsvFields(Basic("beds-csv.W2-01")), (Fields{{"bed-id", "W2-01"},
                                                        {"ward", "Ward 2 surgery"},
                                                        {"municipality", "Skellefte\xc3\xa5"},
                                                        {"status", "free"}}));

  // Latin-1: stored as the right UTF-8 characters. "Ö1-01" is no FHIR id,
  // so that row's id is derived: find it by its identifier (UTF-8 in the
  // query, percent-encoded).
  EXPECT_EQ(CsvFields(Basic("beds-latin1.AO-02")),
            (Fields{{"bed-id", "AO-02"},
                    {"ward", "Avd \xc3\x96ster"},
                    {"municipality", "V\xc3\xa4ster\xc3\xa5s"},
                    {"status", "upptagen"}}));
  EXPECT_EQ(CsvFields(Basic("beds-latin1.AO-03")),
            (Fields{{"bed-id", "AO-03"},
                    {"ward", "Avd \xc3\x96ster"},
                    {"municipality", "\xc3\x96rnsk\xc3\xb6ldsvik"},
                    {"status", "ledig"}}));
  std::optional<json::Document> found =
      GetJson("/fhir/Basic?identifier=urn:fhir-engine:adapter:beds-latin1%7C%C3%961-01");
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(Str(found->root().Find("total")), "1");
  const json::Value* entries = found->root().Find("entry");
  ASSERT_NE(entries, nullptr);
  ASSERT_EQ(entries->size(), 1u);
  json::Document by_identifier;
  by_identifier.set_root(by_identifier.Copy(*entries->elements()[0].Find("resource")));
  EXPECT_EQ(CsvFields(by_identifier), (Fields{{"bed-id",
                                               "\xc3\x96"
                                               "1-01"},
                                              {"ward", "Avd \xc3\x96ster"},
                                              {"municipality", "Ume\xc3\xa5"},
                                              {"status", "ledig"}}));
  EXPECT_TRUE(Quarantine("beds-latin1").empty());

  // The malformed file: its good rows stored, each bad row quarantined
  // with file:line, reason and text.
  EXPECT_EQ(CsvFields(Basic("beds-csv.W3-05"))[3],
            (std::pair<std::string, std::optional<std::string>>{"status", "occupied"}));
  Basic("beds-csv.W3-01");
  for (const char* absent : {"W3-02", "W3-03", "W3-04"}) {
    EXPECT_EQ(Get("/fhir/Basic/beds-csv." + std::string(absent)).status, 404) << absent;
  }
  EXPECT_EQ(
      Quarantine("beds-csv"),
      (std::vector<QuarantineEntry>{
          {"malformed.csv:3", "row has 3 fields, the header has 4 (delimiter ';')",
           "W3-02;Ward 3;Ume\xc3\xa5"},
          {"malformed.csv:4", "row has 5 fields, the header has 4 (delimiter ';')",
           "W3-03;Ward 3;Ume\xc3\xa5;free;extra"},
          {"malformed.csv:5", "key column 'bed-id' is empty", ";Ward 3;Ume\xc3\xa5;free"},
          {"malformed.csv:6", "quoted field is never closed", "W3-04;\"Ward 3;Ume\xc3\xa5;free"},
      }));

  // XML: each record's element stored whole; the key-less record alone,
  // the broken and the DOCTYPE files whole, with their lines.
  EXPECT_EQ(
      Payload(Basic("beds-xml.W4-01")),
      "<bed id=\"W4-01\"><status>free</status><municipality>Ume\xc3\xa5</municipality></bed>");
  EXPECT_EQ(Payload(Basic("beds-xml.W4-02")),
            "<bed id=\"W4-02\"><status>occupied</status><municipality>Ume\xc3\xa5</municipality>"
            "</bed>");
  EXPECT_EQ(Payload(Basic("beds-xml.W5-01")), "<bed id=\"W5-01\"><status>free</status></bed>");
  EXPECT_EQ(Get("/fhir/Basic/beds-xml.W6-01").status, 404);
  EXPECT_EQ(Get("/fhir/Basic/beds-xml.W7-01").status, 404);
  std::vector<QuarantineEntry> xml_bad = Quarantine("beds-xml");
  ASSERT_EQ(xml_bad.size(), 3u);
  EXPECT_EQ(xml_bad[0].locator, "broken.xml:5");
  EXPECT_TRUE(xml_bad[0].reason.starts_with("file not read: line 5: ")) << xml_bad[0].reason;
  EXPECT_NE(xml_bad[0].reason.find("unit"), std::string::npos) << xml_bad[0].reason;
  EXPECT_TRUE(xml_bad[0].reason.ends_with("; no record of this file was read"))
      << xml_bad[0].reason;
  EXPECT_EQ(xml_bad[1], (QuarantineEntry{"doctype.xml:1",
                                         "file not read: line 1: DOCTYPE is not allowed (no DTDs "
                                         "or entity declarations); no record of this file was read",
                                         ""}));
  EXPECT_EQ(xml_bad[2], (QuarantineEntry{"missing-key.xml:5 (/export/unit/bed[2])",
                                         "key-xpath '@id' gives no value for this record",
                                         "<bed><status>occupied</status></bed>"}));

  // /health names both types; /metrics counts the records per outcome.
  const std::string health = Get("/health").body;
  EXPECT_NE(health.find(R"("name":"beds-csv","type":"csv-file")"), std::string::npos) << health;
  EXPECT_NE(health.find(R"("name":"beds-xml","type":"xml-file")"), std::string::npos) << health;
  const std::string metrics = Get("/metrics").body;
  for (const char* line : {
           "fhir_engine_adapter_records_total{adapter=\"beds-csv\",outcome=\"stored\"} 7\n",
           "fhir_engine_adapter_records_total{adapter=\"beds-csv\",outcome=\"quarantined\"} 4\n",
           "fhir_engine_adapter_records_total{adapter=\"beds-latin1\",outcome=\"stored\"} 3\n",
           "fhir_engine_adapter_records_total{adapter=\"beds-xml\",outcome=\"stored\"} 3\n",
           "fhir_engine_adapter_records_total{adapter=\"beds-xml\",outcome=\"quarantined\"} 3\n",
           "fhir_engine_adapter_quarantine_size{adapter=\"beds-csv\"} 4\n",
           "fhir_engine_adapter_quarantine_size{adapter=\"beds-xml\"} 3\n",
           "fhir_engine_adapter_up{adapter=\"beds-csv\"} 1\n",
           "fhir_engine_adapter_up{adapter=\"beds-xml\"} 1\n",
       }) {
    EXPECT_NE(metrics.find(line), std::string::npos) << line << metrics;
  }
  EXPECT_EQ(engine_->Stop(), 0);
}

TEST_F(FileAdaptersTest, FilesAreReadOnceChangesUpdateOnlyChangedRowsAndRestartsAddNothing) {
  Drop("csv/semicolon.csv", kSemicolonCsv);
  Drop("csv/malformed.csv", kMalformedCsv);
  Drop("xml/good.xml", kGoodXml);
  StartEngine();
  WaitForHealth("beds-csv", [](const Counters& c) { return c.stored + c.quarantined >= 9; });
  WaitForHealth("beds-xml", [](const Counters& c) { return c.stored >= 2; });

  // Nothing new dropped: more rounds change nothing.
  WaitForTwoRounds("beds-csv");
  WaitForTwoRounds("beds-xml");
  Counters csv = Health("beds-csv").value_or(Counters{});
  EXPECT_EQ(csv.stored, 5);
  EXPECT_EQ(csv.unchanged, 0);
  EXPECT_EQ(csv.quarantined, 4);
  EXPECT_EQ(Health("beds-xml").value_or(Counters{}).stored, 2);
  for (const char* id : {"beds-csv.W1-01", "beds-csv.W1-02", "beds-csv.W1-03", "beds-csv.W3-01",
                         "beds-csv.W3-05", "beds-xml.W4-01", "beds-xml.W4-02"}) {
    EXPECT_EQ(VersionOf(id), "1") << id;
  }

  // The same name, one row changed: only that row gets a new version.
  std::string changed(kSemicolonCsv);
  const std::string from = "W1-02;Ward 1 medicine;Ume\xc3\xa5;occupied";
  changed.replace(changed.find(from), from.size(), "W1-02;Ward 1 medicine;Ume\xc3\xa5;cleaning");
  Drop("csv/semicolon.csv", changed);
  csv = WaitForHealth("beds-csv", [](const Counters& c) { return c.stored + c.unchanged >= 8; });
  EXPECT_EQ(csv.stored, 6);
  EXPECT_EQ(csv.unchanged, 2);
  EXPECT_EQ(csv.quarantined, 4);
  json::Document w1_02 = Basic("beds-csv.W1-02");
  EXPECT_EQ(VersionId(w1_02), "2");
  EXPECT_EQ(CsvFields(w1_02)[3],
            (std::pair<std::string, std::optional<std::string>>{"status", "cleaning"}));
  EXPECT_EQ(VersionOf("beds-csv.W1-01"), "1");
  EXPECT_EQ(VersionOf("beds-csv.W1-03"), "1");
  std::optional<json::Document> history = GetJson("/fhir/Basic/beds-csv.W1-02/_history");
  ASSERT_TRUE(history.has_value());
  std::vector<std::string> versions;
  if (const json::Value* entry = history->root().Find("entry")) {
    for (const json::Value& e : entry->elements()) {
      const json::Value* resource = e.Find("resource");
      const json::Value* meta = resource != nullptr ? resource->Find("meta") : nullptr;
      versions.push_back(meta != nullptr ? Str(meta->Find("versionId")) : "");
    }
  }
  std::sort(versions.begin(), versions.end());
  EXPECT_EQ(versions, (std::vector<std::string>{"1", "2"}));
  EXPECT_EQ(engine_->Stop(), 0);

  // A restart on the same database and folders: the cursors say every file
  // is done, so nothing is delivered, quarantined or versioned again.
  StartEngine();
  for (const char* adapter : {"beds-csv", "beds-latin1", "beds-xml"}) WaitForTwoRounds(adapter);
  for (const char* adapter : {"beds-csv", "beds-xml"}) {
    Counters c = Health(adapter).value_or(Counters{});
    EXPECT_EQ(c.stored, 0) << adapter;
    EXPECT_EQ(c.unchanged, 0) << adapter;
    EXPECT_EQ(c.quarantined, 0) << adapter;
    EXPECT_EQ(c.errors, 0) << adapter;
  }
  EXPECT_EQ(Quarantine("beds-csv").size(), 4u);
  EXPECT_EQ(VersionOf("beds-csv.W1-02"), "2");
  for (const char* id : {"beds-csv.W1-01", "beds-csv.W1-03", "beds-csv.W3-01", "beds-csv.W3-05",
                         "beds-xml.W4-01", "beds-xml.W4-02"}) {
    EXPECT_EQ(VersionOf(id), "1") << id;
  }
  // The restarted adapter is live: a new file is read.
  Drop("csv/late.csv", "bed-id;ward;municipality;status\nW8-01;Ward 8;Ume\xc3\xa5;free\n");
  csv = WaitForHealth("beds-csv", [](const Counters& c) { return c.stored >= 1; });
  EXPECT_EQ(csv.stored, 1);
  EXPECT_EQ(csv.unchanged, 0);
  EXPECT_EQ(VersionOf("beds-csv.W8-01"), "1");
  EXPECT_EQ(engine_->Stop(), 0);
}

}  // namespace
}  // namespace fhirengine::testing

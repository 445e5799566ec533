// The delivery pipeline with a declarative mapping and the shipped regional
// profiles, on a real temporary store: what a record maps to is stored
// stamped with the adapter's meta.source; a record the mapping rejects, or
// whose output fails its profile, is quarantined whole; deletes follow the
// mapping's ids.
#include <gtest/gtest.h>

#include <fstream>

#include "engine/ingest/delivery_pipeline.h"
#include "engine/json/json_parser.h"
#include "tests/unit/store/temp_store_test.h"

namespace fhirengine::ingest {
namespace {

using adapters::RecordFormat;
using adapters::SourceBatch;
using adapters::SourceRecord;

const std::string kSource = FE_SOURCE_DIR;

// A CSV bed export mapped to RegionalBed Locations, with a second output
// (a plain Basic marker) so that "all of a record's outputs or none" shows.
constexpr std::string_view kCsvMapping = R"({
  "name": "test-beds",
  "source-format": "csv",
  "source": "kommun",
  "outputs": [
    {
      "resourceType": "Location",
      "id": {"template": "{source}-{enhet}-{plats}"},
      "profile": "https://fhir-engine.example.org/fhir/StructureDefinition/RegionalBed",
      "extensions": [
        {"url": "https://fhir-engine.example.org/fhir/StructureDefinition/bed-category",
         "valueCodeableConcept.coding[0]": {"concept-map": "category-map.json", "from": {"column": "kategori"}, "unmapped": "keep"}}
      ],
      "fields": {
        "status": {"column": "aktiv"},
        "name": {"template": "{enhet} plats {plats}"},
        "operationalStatus": {"concept-map": "status-map.json", "from": {"column": "status"}, "unmapped": "reject"},
        "physicalType.coding[0].system": "http://terminology.hl7.org/CodeSystem/location-physical-type",
        "physicalType.coding[0].code": "bd",
        "managingOrganization.reference": "Organization/kommun-0180",
        "partOf.reference": {"template": "Location/{source}-{enhet}"}
      }
    },
    {
      "resourceType": "Basic",
      "id": {"template": "{source}-{enhet}-{plats}-marker"},
      "fields": {"code.text": "bed seen"}
    }
  ]
})";

constexpr std::string_view kStatusMap = R"({
  "resourceType": "ConceptMap", "id": "status-map", "status": "draft",
  "group": [{
    "source": "https://example.org/local-status",
    "target": "http://terminology.hl7.org/CodeSystem/v2-0116",
    "element": [
      {"code": "Ledig", "target": [{"code": "U", "display": "Unoccupied", "equivalence": "equivalent"}]},
      {"code": "Belagd", "target": [{"code": "O", "display": "Occupied", "equivalence": "equivalent"}]}
    ]
  }]
})";

// Bed categories pass through; an unknown one is kept with the category
// system (and a warning), so the profile's required binding catches it.
constexpr std::string_view kCategoryMap = R"({
  "resourceType": "ConceptMap", "id": "category-map", "status": "draft",
  "group": [{
    "source": "https://fhir-engine.example.org/fhir/CodeSystem/bed-category",
    "target": "https://fhir-engine.example.org/fhir/CodeSystem/bed-category",
    "element": [
      {"code": "general", "target": [{"code": "general", "equivalence": "equal"}]},
      {"code": "intensive-care", "target": [{"code": "intensive-care", "equivalence": "equal"}]}
    ]
  }]
})";

// A FHIR source whose Locations keep their id under the "ehr-" prefix.
constexpr std::string_view kFhirMapping = R"({
  "name": "test-ehr",
  "source-format": "fhir",
  "source": "ehr",
  "variables": {"id": {"fhirpath": "id"}},
  "outputs": [{
    "resourceType": "Location",
    "when": {"fhirpath": "$this is Location"},
    "id": {"template": "{source}-{id}"},
    "fields": {"status": {"fhirpath": "status"}, "name": {"fhirpath": "name"}}
  }]
})";

class MappedDeliveryTest : public store::TempStoreTest {
 protected:
  void SetUp() override {
    TempStoreTest::SetUp();
    auto registry = std::make_shared<profiles::ProfileRegistry>();
    for (const char* dir :
         {"/fhir-profiles/r4-base/definitions", "/fhir-profiles/regional/snapshots",
          "/fhir-profiles/regional/terminology"}) {
      Status s = registry->AddDirectory(kSource + dir);
      ASSERT_TRUE(s.ok()) << s.ToString();
    }
    profiles_ = std::move(registry);
  }
  void TearDown() override {
    pipeline_.reset();
    TempStoreTest::TearDown();
  }
  std::shared_ptr<const mapping::Mapping> WriteMapping(std::string_view text,
                                                       const std::string& file) {
    std::ofstream(dir_ / "status-map.json") << kStatusMap;
    std::ofstream(dir_ / "category-map.json") << kCategoryMap;
    std::ofstream(dir_ / file) << text;
    Result<mapping::Mapping> m = mapping::Mapping::Load((dir_ / file).string(), {});
    EXPECT_TRUE(m.ok()) << m.status().ToString();
    if (!m.ok()) return nullptr;
    return std::make_shared<const mapping::Mapping>(std::move(m).value());
  }
  void MakePipeline(std::shared_ptr<const mapping::Mapping> mapping) {
    pipeline_ = std::move(DeliveryPipeline::Create("beds", *store_, health_, clock_, stop_,
                                                   PipelineStages{std::move(mapping), profiles_}))
                    .value();
  }
  static SourceRecord Row(std::vector<std::string> fields, const std::string& locator) {
    SourceRecord r;
    r.format = RecordFormat::kCsvRow;
    r.columns = {"enhet", "plats", "status", "kategori", "aktiv"};
    r.fields = std::move(fields);
    r.locator = locator;
    return r;
  }
  std::vector<store::QuarantineEntry> Quarantine() {
    Result<std::vector<store::QuarantineEntry>> q = store_->ListQuarantine({.adapter = "beds"});
    EXPECT_TRUE(q.ok());
    return q.ok() ? *q : std::vector<store::QuarantineEntry>{};
  }

  std::shared_ptr<const profiles::ProfileRegistry> profiles_;
  SystemClock clock_;
  StopSignal stop_;
  AdapterHealth health_{"beds", "csv-file", 900'000, 0};
  std::unique_ptr<DeliveryPipeline> pipeline_;
};

TEST_F(MappedDeliveryTest, StoresEveryOutputStampedWithTheAdapterSource) {
  MakePipeline(WriteMapping(kCsvMapping, "beds.json"));
  SourceBatch batch;
  batch.records.push_back(Row({"KTA", "1", "Ledig", "general", "active"}, "beds.csv:2"));
  batch.cursor = R"({"line":2})";
  Result<adapters::DeliveryReport> report = pipeline_->Deliver(batch);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(report->stored, 2u);
  EXPECT_EQ(report->quarantined, 0u) << (Quarantine().empty() ? "" : Quarantine()[0].reason);
  Result<store::StoredResource> bed = store_->Read("Location", "kommun-KTA-1");
  ASSERT_TRUE(bed.ok()) << bed.status().ToString();
  Result<json::Document> doc = json::Parse(bed->json);
  ASSERT_TRUE(doc.ok());
  const json::Value* meta = doc->root().Find("meta");
  ASSERT_NE(meta, nullptr);
  EXPECT_EQ(meta->Find("source")->text(), "urn:fhir-engine:adapter:beds");
  // The mapping's provenance tag stays.
  EXPECT_NE(bed->json.find(R"("code":"kommun")"), std::string::npos) << bed->json;
  EXPECT_NE(bed->json.find(R"("code":"U")"), std::string::npos) << bed->json;
  EXPECT_TRUE(store_->Read("Basic", "kommun-KTA-1-marker").ok());
  EXPECT_EQ(pipeline_->committed_cursor(), R"({"line":2})");

  // Delivered again: nothing new.
  Result<adapters::DeliveryReport> again = pipeline_->Deliver(batch);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->stored, 0u);
  EXPECT_EQ(again->unchanged, 2u);
}

TEST_F(MappedDeliveryTest, QuarantinesARecordTheMappingRejectsWithItsMessage) {
  MakePipeline(WriteMapping(kCsvMapping, "beds.json"));
  SourceBatch batch;
  batch.records.push_back(Row({"KTA", "1", "Okänd", "general", "active"}, "beds.csv:7"));
  batch.records.push_back(Row({"KTA", "2", "Belagd", "general", "active"}, "beds.csv:8"));
  Result<adapters::DeliveryReport> report = pipeline_->Deliver(batch);
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(report->quarantined, 1u);
  EXPECT_EQ(report->stored, 2u);
  std::vector<store::QuarantineEntry> q = Quarantine();
  ASSERT_EQ(q.size(), 1u);
  EXPECT_EQ(q[0].locator, "beds.csv:7");
  EXPECT_NE(q[0].reason.find("beds.json"), std::string::npos) << q[0].reason;
  EXPECT_NE(q[0].reason.find("operationalStatus"), std::string::npos) << q[0].reason;
  EXPECT_NE(q[0].reason.find("Okänd"), std::string::npos) << q[0].reason;
  EXPECT_NE(q[0].reason.find("(record beds.csv:7)"), std::string::npos) << q[0].reason;
  EXPECT_FALSE(store_->Read("Location", "kommun-KTA-1").ok());
  EXPECT_TRUE(store_->Read("Location", "kommun-KTA-2").ok());
}

TEST_F(MappedDeliveryTest, QuarantinesTheWholeRecordWhenAnOutputFailsItsProfile) {
  MakePipeline(WriteMapping(kCsvMapping, "beds.json"));
  SourceBatch batch;
  // "closed-ish" is not a Location.status (required binding) and "bunk" not
  // a bed category (required in the bed-category extension).
  batch.records.push_back(Row({"KTA", "3", "Ledig", "bunk", "closed-ish"}, "beds.csv:9"));
  Result<adapters::DeliveryReport> report = pipeline_->Deliver(batch);
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(report->stored, 0u);
  EXPECT_EQ(report->quarantined, 1u);
  EXPECT_FALSE(store_->Read("Location", "kommun-KTA-3").ok());
  EXPECT_FALSE(store_->Read("Basic", "kommun-KTA-3-marker").ok());  // none of its outputs
  std::vector<store::QuarantineEntry> q = Quarantine();
  ASSERT_EQ(q.size(), 1u);
  Result<json::Document> outcome = json::Parse(q[0].reason);
  ASSERT_TRUE(outcome.ok()) << q[0].reason;
  EXPECT_EQ(outcome->root().Find("resourceType")->text(), "OperationOutcome");
  EXPECT_NE(q[0].reason.find("location-status"), std::string::npos) << q[0].reason;
  EXPECT_NE(q[0].reason.find("Location/kommun-KTA-3: "), std::string::npos) << q[0].reason;
  // Errors only: dom-6 (no narrative) is a warning and not in the reason.
  EXPECT_EQ(q[0].reason.find("dom-6"), std::string::npos) << q[0].reason;
  EXPECT_EQ(q[0].reason.find("\"warning\""), std::string::npos) << q[0].reason;
}

TEST_F(MappedDeliveryTest, CountsWarningsWithoutBlocking) {
  MakePipeline(WriteMapping(kCsvMapping, "beds.json"));
  SourceBatch batch;
  batch.records.push_back(Row({"KTA", "4", "Belagd", "intensive-care", "active"}, "beds.csv:10"));
  Result<adapters::DeliveryReport> report = pipeline_->Deliver(batch);
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(report->stored, 2u);
  // At least dom-6 (a resource should have narrative) on the bed.
  EXPECT_GE(health_.Snapshot(0).validation_warnings, 1u);
}

TEST_F(MappedDeliveryTest, AProfileThatIsNotLoadedIsAnError) {
  std::string text(kCsvMapping);
  const std::string from = "StructureDefinition/RegionalBed";
  text.replace(text.find(from), from.size(), "StructureDefinition/NoSuchProfile");
  MakePipeline(WriteMapping(text, "beds.json"));
  SourceBatch batch;
  batch.records.push_back(Row({"KTA", "5", "Ledig", "general", "active"}, "beds.csv:11"));
  Result<adapters::DeliveryReport> report = pipeline_->Deliver(batch);
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(report->quarantined, 1u);
  std::vector<store::QuarantineEntry> q = Quarantine();
  ASSERT_EQ(q.size(), 1u);
  EXPECT_NE(q[0].reason.find("NoSuchProfile is not loaded"), std::string::npos) << q[0].reason;
}

TEST_F(MappedDeliveryTest, ADeleteRemovesTheRegionalResourceTheMappingDerives) {
  MakePipeline(WriteMapping(kFhirMapping, "ehr.json"));
  SourceBatch put;
  SourceRecord r;
  r.format = RecordFormat::kFhirResource;
  r.payload = R"({"resourceType":"Location","id":"w7","status":"active","name":"Ward 7"})";
  r.locator = "Location/w7/_history/1";
  put.records.push_back(r);
  ASSERT_TRUE(pipeline_->Deliver(put).ok());
  ASSERT_TRUE(store_->Read("Location", "ehr-w7").ok());

  SourceBatch del;
  SourceRecord d;
  d.format = RecordFormat::kFhirDelete;
  d.resource_type = "Location";
  d.resource_id = "w7";
  d.locator = "Location/w7/_history/2";
  del.records.push_back(d);
  Result<adapters::DeliveryReport> report = pipeline_->Deliver(del);
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(report->deleted, 1u);
  Result<store::StoredResource> gone = store_->Read("Location", "ehr-w7");
  ASSERT_TRUE(gone.ok());
  EXPECT_TRUE(gone->deleted);
}

// The shipped hospital mapping has one Location output per physicalType,
// each with a "when" that a deleted resource (only its type and id) cannot
// satisfy: the delete still reaches the regional copy, and a delete of a
// type the mapping has no output for is quarantined, never dropped.
TEST_F(MappedDeliveryTest, DeletesThroughTheShippedHospitalMapping) {
  mapping::MappingOptions options;
  options.pseudonym_key = "unit-test-key-not-secret";
  options.source = "nus";
  Result<mapping::Mapping> m =
      mapping::Mapping::Load(kSource + "/mappings/hospital-fhir.json", options);
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  MakePipeline(std::make_shared<const mapping::Mapping>(std::move(m).value()));
  store::WriteOp bed;
  bed.type = "Location";
  bed.id = "nus-W12-03";
  bed.json = R"({"resourceType":"Location","id":"nus-W12-03","status":"active"})";
  ASSERT_TRUE(store_->Write({bed}).ok());

  SourceBatch del;
  for (const char* type : {"Location", "Patient"}) {
    SourceRecord d;
    d.format = RecordFormat::kFhirDelete;
    d.resource_type = type;
    d.resource_id = "W12-03";
    d.locator = std::string(type) + "/W12-03/_history/2";
    del.records.push_back(d);
  }
  Result<adapters::DeliveryReport> report = pipeline_->Deliver(del);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(report->deleted, 1u);
  EXPECT_EQ(report->quarantined, 1u);
  Result<store::StoredResource> gone = store_->Read("Location", "nus-W12-03");
  ASSERT_TRUE(gone.ok());
  EXPECT_TRUE(gone->deleted);
  std::vector<store::QuarantineEntry> q = Quarantine();
  ASSERT_EQ(q.size(), 1u);
  EXPECT_EQ(q[0].locator, "Patient/W12-03/_history/2");
  EXPECT_NE(q[0].reason.find("maps to no regional resource"), std::string::npos) << q[0].reason;
}

// A put and a delete of the same key in one batch leave the key deleted; the
// same content delivered again afterwards is stored, not skipped.
TEST_F(MappedDeliveryTest, APutThenDeleteInOneBatchIsNotRememberedAsStored) {
  MakePipeline(WriteMapping(kFhirMapping, "ehr.json"));
  SourceRecord put;
  put.format = RecordFormat::kFhirResource;
  put.payload = R"({"resourceType":"Location","id":"w8","status":"active","name":"Ward 8"})";
  put.key = "Location/w8";
  put.locator = "Location/w8/_history/1";
  SourceRecord d;
  d.format = RecordFormat::kFhirDelete;
  d.resource_type = "Location";
  d.resource_id = "w8";
  d.key = "Location/w8";
  d.locator = "Location/w8/_history/2";
  SourceBatch both;
  both.records = {put, d};
  ASSERT_TRUE(pipeline_->Deliver(both).ok());
  ASSERT_TRUE(store_->Read("Location", "ehr-w8")->deleted);

  SourceBatch again;
  again.records = {put};
  Result<adapters::DeliveryReport> report = pipeline_->Deliver(again);
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(report->stored, 1u);
  EXPECT_FALSE(store_->Read("Location", "ehr-w8")->deleted);
}

TEST_F(MappedDeliveryTest, ADeleteForARowMappingIsQuarantined) {
  MakePipeline(WriteMapping(kCsvMapping, "beds.json"));
  SourceBatch del;
  SourceRecord d;
  d.format = RecordFormat::kFhirDelete;
  d.resource_type = "Location";
  d.resource_id = "x";
  d.locator = "somewhere";
  del.records.push_back(d);
  Result<adapters::DeliveryReport> report = pipeline_->Deliver(del);
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(report->quarantined, 1u);
  std::vector<store::QuarantineEntry> q = Quarantine();
  ASSERT_EQ(q.size(), 1u);
  EXPECT_NE(q[0].reason.find("only fhir mappings map deletes"), std::string::npos);
}

}  // namespace
}  // namespace fhirengine::ingest

// The delivery pipeline on a real temporary SQLite store: mapping,
// validation, quarantine, idempotent re-delivery, and the cursor committed
// only with its batch.
#include "engine/ingest/delivery_pipeline.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "engine/ingest/identity_mapping.h"
#include "engine/json/json_parser.h"
#include "engine/json/json_writer.h"

namespace fhirengine::ingest {
namespace {

using adapters::RecordFormat;
using adapters::SourceBatch;
using adapters::SourceRecord;

class DeliveryPipelineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("fe-pipeline-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    Open();
  }
  void TearDown() override {
    pipeline_.reset();
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  void Open() {
    pipeline_.reset();
    store_.reset();
    store::StoreOptions options;
    options.path = (dir_ / "store.db").string();
    options.durability = store::Durability::kNormal;
    store_ = std::move(store::ResourceStore::Open(options)).value();
    pipeline_ = std::move(DeliveryPipeline::Create("ehr", *store_, health_, clock_, stop_)).value();
  }
  static SourceRecord Fhir(const std::string& json, const std::string& locator) {
    SourceRecord r;
    r.format = RecordFormat::kFhirResource;
    r.payload = json;
    r.locator = locator;
    return r;
  }
  std::filesystem::path dir_;
  SystemClock clock_;
  StopSignal stop_;
  AdapterHealth health_{"ehr", "test", 900'000, 0};
  std::unique_ptr<store::ResourceStore> store_;
  std::unique_ptr<DeliveryPipeline> pipeline_;
};

TEST_F(DeliveryPipelineTest, StoresQuarantinesAndCommitsTheCursor) {
  SourceBatch batch;
  batch.records.push_back(
      Fhir(R"({"resourceType":"Location","id":"l1","status":"active"})", "a:1"));
  batch.records.push_back(Fhir(R"({"resourceType":"Location","id":"l2","bogus":true})", "a:2"));
  batch.records.push_back(Fhir("{", "a:3"));
  batch.rejected.push_back({"a:4", "unterminated quote", "x\"y"});
  batch.cursor = R"({"n":4})";
  Result<adapters::DeliveryReport> report = pipeline_->Deliver(batch);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(report->stored, 1u);
  EXPECT_EQ(report->quarantined, 3u);
  EXPECT_EQ(pipeline_->committed_cursor(), R"({"n":4})");
  Result<store::StoredResource> l1 = store_->Read("Location", "l1");
  ASSERT_TRUE(l1.ok());
  EXPECT_NE(l1->json.find(R"("source":"urn:fhir-engine:adapter:ehr")"), std::string::npos)
      << l1->json;
  Result<std::vector<store::QuarantineEntry>> q = store_->ListQuarantine({.adapter = "ehr"});
  ASSERT_TRUE(q.ok());
  ASSERT_EQ(q->size(), 3u);
  EXPECT_EQ((*q)[0].locator, "a:3");
  EXPECT_EQ((*q)[1].locator, "a:2");
  EXPECT_NE((*q)[1].reason.find("OperationOutcome"), std::string::npos);
  EXPECT_NE((*q)[1].reason.find("Location.bogus"), std::string::npos);
  EXPECT_EQ((*q)[2].reason, "unterminated quote");
  // A new pipeline (a restart) starts from the committed cursor.
  Open();
  EXPECT_EQ(pipeline_->committed_cursor(), R"({"n":4})");
}

TEST_F(DeliveryPipelineTest, ReDeliveryCreatesNoNewVersions) {
  SourceBatch batch;
  batch.records.push_back(
      Fhir(R"({"resourceType":"Location","id":"l1","status":"active"})", "a:1"));
  SourceRecord row;
  row.format = RecordFormat::kCsvRow;
  row.columns = {"ward", "beds", "note"};
  row.fields = {"W1", "12", ""};
  row.key = "W1";
  batch.records.push_back(row);
  batch.cursor = "1";
  ASSERT_TRUE(pipeline_->Deliver(batch).ok());
  Result<adapters::DeliveryReport> again = pipeline_->Deliver(batch);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->stored, 0u);
  EXPECT_EQ(again->unchanged, 2u);
  EXPECT_EQ(store_->Read("Location", "l1")->version, 1);
  Result<store::StoredResource> basic = store_->Read("Basic", DerivedResourceId("ehr", "W1"));
  ASSERT_TRUE(basic.ok());
  EXPECT_EQ(basic->version, 1);
  EXPECT_NE(basic->json.find(R"("code":"csv-row")"), std::string::npos) << basic->json;
  EXPECT_NE(basic->json.find(R"("valueString":"12")"), std::string::npos);
  // A changed record does get a new version.
  batch.records[0].payload = R"({"resourceType":"Location","id":"l1","status":"inactive"})";
  Result<adapters::DeliveryReport> changed = pipeline_->Deliver(batch);
  ASSERT_TRUE(changed.ok());
  EXPECT_EQ(changed->stored, 1u);
  EXPECT_EQ(store_->Read("Location", "l1")->version, 2);
}

TEST_F(DeliveryPipelineTest, DeletesOfAbsentResourcesAreNoOps) {
  SourceBatch batch;
  SourceRecord del;
  del.format = RecordFormat::kFhirDelete;
  del.resource_type = "Location";
  del.resource_id = "gone";
  batch.records.push_back(del);
  batch.cursor = "2";
  Result<adapters::DeliveryReport> report = pipeline_->Deliver(batch);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(report->deleted, 1u);
  EXPECT_EQ(pipeline_->committed_cursor(), "2");
}

// The cursor moves only when its batch committed: a refused batch leaves
// the committed cursor where it was (the store's rollback of a failed batch,
// cursor included, is in tests/unit/store/sync_state_test.cc).
TEST_F(DeliveryPipelineTest, CursorStaysWhenTheBatchFails) {
  SourceBatch first;
  first.cursor = "1";
  ASSERT_TRUE(pipeline_->Deliver(first).ok());
  SourceBatch huge;
  huge.rejected.resize(DeliveryPipeline::kMaxBatchRecords + 1);
  huge.cursor = "2";
  EXPECT_FALSE(pipeline_->Deliver(huge).ok());
  EXPECT_EQ(pipeline_->committed_cursor(), "1");
  EXPECT_EQ(store_->ReadCursor("ehr")->value_or(""), "1");
}

// The quarantine stores text that /admin/quarantine serves as JSON: a
// record cut at the size bound keeps whole UTF-8 characters, and bytes that
// are not UTF-8 (a source's undecoded Latin-1) become U+FFFD, so the
// listing stays valid JSON.
TEST_F(DeliveryPipelineTest, QuarantinedTextIsValidUtf8EvenWhenCutOrUndecoded) {
  SourceBatch batch;
  // "\xc3\xa5" (a-ring) straddles the bound: a byte cut would split it.
  std::string long_record(DeliveryPipeline::kMaxQuarantineRecordBytes - 1, 'x');
  long_record += "\xc3\xa5tail";
  batch.records.push_back(Fhir(long_record, "a:long"));
  batch.records.push_back(Fhir("{\"name\":\"V\xe4xj\xf6\"", "a:latin1"));
  batch.rejected.push_back({"a:raw", "bad row", "caf\xe9;1"});
  ASSERT_TRUE(pipeline_->Deliver(batch).ok());
  Result<std::vector<store::QuarantineEntry>> q = store_->ListQuarantine({.adapter = "ehr"});
  ASSERT_TRUE(q.ok());
  ASSERT_EQ(q->size(), 3u);
  for (const store::QuarantineEntry& e : *q) {
    EXPECT_LE(e.record.size(), DeliveryPipeline::kMaxQuarantineRecordBytes) << e.locator;
    // The JSON parser refuses invalid UTF-8.
    json::Document doc;
    Result<json::Document> parsed = json::Parse(json::Write(doc.MakeString(e.record)));
    EXPECT_TRUE(parsed.ok()) << e.locator << ": " << parsed.status().ToString();
  }
  // Newest first: the rejected record went in first, then the two records.
  EXPECT_EQ((*q)[0].record, "{\"name\":\"V\xef\xbf\xbdxj\xef\xbf\xbd\"");
  EXPECT_TRUE((*q)[1].record == std::string(DeliveryPipeline::kMaxQuarantineRecordBytes - 1, 'x'));
  EXPECT_EQ((*q)[2].record, "caf\xef\xbf\xbd;1");
}

TEST(IdentityMappingTest, DerivedIdsAreStableValidAndDistinct) {
  EXPECT_EQ(DerivedResourceId("ehr", "W1"), "ehr.W1");
  const std::string hashed = DerivedResourceId("ehr", "ward 1/bed 2");
  EXPECT_EQ(hashed, DerivedResourceId("ehr", "ward 1/bed 2"));
  EXPECT_NE(hashed, DerivedResourceId("ehr", "ward 1/bed 3"));
  EXPECT_TRUE(hashed.starts_with("ehr.."));
  EXPECT_LE(hashed.size(), 64u);
  EXPECT_LE(DerivedResourceId("ehr", std::string(200, 'a')).size(), 64u);
}

TEST(IdentityMappingTest, XmlBecomesBasicWithThePayload) {
  SourceRecord r;
  r.format = RecordFormat::kXmlElement;
  r.payload = "<unit id=\"3\"/>";
  r.key = "3";
  Result<MappedRecord> m = MapIdentity(r, "muni");
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->type, "Basic");
  EXPECT_EQ(m->id, "muni.3");
  const json::Value* ext = m->resource.root().Find("extension");
  ASSERT_NE(ext, nullptr);
  EXPECT_EQ(ext->elements()[0].Find("valueString")->text(), "<unit id=\"3\"/>");
  SourceRecord no_key = r;
  no_key.key.clear();
  EXPECT_FALSE(MapIdentity(no_key, "muni").ok());
}

}  // namespace
}  // namespace fhirengine::ingest

// Change detection before mapping (record_memo.h) on a real temporary
// SQLite store: unchanged records are not mapped or written, a restart
// starts empty, duplicates within a batch and quarantined records are never
// skipped, and the memo stays bounded.
#include "engine/ingest/record_memo.h"

#include <gtest/gtest.h>

#include "engine/ingest/delivery_pipeline.h"
#include "engine/ingest/identity_mapping.h"
#include "engine/json/json_parser.h"
#include "engine/rest/fhir_interaction.h"
#include "tests/unit/store/temp_store_test.h"

namespace fhirengine::ingest {
namespace {

using adapters::RecordFormat;
using adapters::SourceBatch;
using adapters::SourceRecord;

SourceRecord Row(const std::string& ward, const std::string& beds) {
  SourceRecord r;
  r.format = RecordFormat::kCsvRow;
  r.columns = {"ward", "beds"};
  r.fields = {ward, beds};
  r.key = ward;
  r.locator = "snapshot.csv";
  return r;
}

class RecordMemoTest : public store::TempStoreTest {
 protected:
  void SetUp() override {
    TempStoreTest::SetUp();
    MakePipeline();
  }
  void TearDown() override {
    pipeline_.reset();
    TempStoreTest::TearDown();
  }
  void MakePipeline() {
    pipeline_ =
        std::move(DeliveryPipeline::Create("muni", *store_, health_, clock_, stop_)).value();
  }
  // A restart: the store reopened, a new pipeline with an empty memo.
  void Restart() {
    pipeline_.reset();
    Open();
    MakePipeline();
  }
  adapters::DeliveryReport Deliver(std::vector<SourceRecord> records) {
    SourceBatch batch;
    batch.records = std::move(records);
    Result<adapters::DeliveryReport> report = pipeline_->Deliver(std::move(batch));
    EXPECT_TRUE(report.ok()) << report.status().ToString();
    return report.ok() ? *report : adapters::DeliveryReport{};
  }
  // Another writer changes the stored resource behind the pipeline's back:
  // the only way to see from outside whether a record was mapped and written.
  void OverwriteBehindTheAdapter(const std::string& ward) {
    const std::string id = DerivedResourceId("muni", ward);
    Result<json::Document> parsed = json::Parse(R"({"resourceType":"Basic","id":")" + id +
                                                R"(","code":{"text":"changed by someone else"}})");
    ASSERT_TRUE(parsed.ok());
    ASSERT_TRUE(store_->Write({rest::PreparePut(parsed->root(), "Basic", id, std::nullopt)}).ok());
  }
  int Version(const std::string& ward) {
    return static_cast<int>(store_->Read("Basic", DerivedResourceId("muni", ward))->version);
  }
  SystemClock clock_;
  StopSignal stop_;
  AdapterHealth health_{"muni", "test", 900'000, 0};
  std::unique_ptr<DeliveryPipeline> pipeline_;
};

TEST_F(RecordMemoTest, UnchangedRecordsAreNeitherMappedNorWrittenUntilARestart) {
  adapters::DeliveryReport first = Deliver({Row("W1", "12"), Row("W2", "8")});
  EXPECT_EQ(first.stored, 2u);
  OverwriteBehindTheAdapter("W1");
  ASSERT_EQ(Version("W1"), 2);

  // The same snapshot again (only the locator differs): skipped, so the
  // other writer's version stays; W2 changed and is written.
  SourceRecord w1 = Row("W1", "12");
  w1.locator = "snapshot-2.csv";
  adapters::DeliveryReport second = Deliver({w1, Row("W2", "9")});
  EXPECT_EQ(second.unchanged, 1u);
  EXPECT_EQ(second.stored, 1u);
  EXPECT_EQ(Version("W1"), 2);
  EXPECT_EQ(Version("W2"), 2);

  // A restart starts with an empty memo: W1 is mapped again and the
  // source's content is back.
  Restart();
  adapters::DeliveryReport third = Deliver({Row("W1", "12"), Row("W2", "9")});
  EXPECT_EQ(third.stored, 1u);
  EXPECT_EQ(third.unchanged, 1u);  // W2 by the store's own comparison
  EXPECT_EQ(Version("W1"), 3);
}

TEST_F(RecordMemoTest, ALaterRecordOfTheSameKeyInOneBatchIsNeverSkipped) {
  Deliver({Row("W1", "12")});
  // W1 changes to 13 and back to 12 within one batch: the last one must
  // win even though it equals what was committed before.
  adapters::DeliveryReport report = Deliver({Row("W1", "13"), Row("W1", "12")});
  EXPECT_EQ(report.unchanged, 0u);
  Result<store::StoredResource> stored = store_->Read("Basic", DerivedResourceId("muni", "W1"));
  ASSERT_TRUE(stored.ok());
  EXPECT_NE(stored->json.find(R"("valueString":"12")"), std::string::npos) << stored->json;
}

TEST_F(RecordMemoTest, QuarantinedRecordsAreNotRemembered) {
  SourceRecord bad;
  bad.format = RecordFormat::kFhirResource;
  bad.payload = R"({"resourceType":"Location","id":"l1","bogus":true})";
  bad.key = "Location/l1";
  EXPECT_EQ(Deliver({bad}).quarantined, 1u);
  EXPECT_EQ(Deliver({bad}).quarantined, 1u);  // quarantined again, not "unchanged"
}

TEST(RecordMemoBoundsTest, FingerprintsCoverTheContentAndTheMemoStaysBounded) {
  SourceRecord a = Row("W1", "12");
  SourceRecord b = Row("W1", "12");
  b.locator = "elsewhere.csv";
  EXPECT_EQ(RecordMemo::Of(a), RecordMemo::Of(b));
  b.source_time_ms = 1;
  EXPECT_NE(RecordMemo::Of(a), RecordMemo::Of(b));
  SourceRecord c = Row("W1", "1");
  c.fields[0] = "W12";  // ("W12","1") against ("W1","12"): the parts are delimited
  EXPECT_NE(RecordMemo::Of(a), RecordMemo::Of(c));
  SourceRecord keyless = a;
  keyless.key.clear();
  EXPECT_FALSE(RecordMemo::Of(keyless).has_value());

  RecordMemo memo(2);
  const RecordMemo::Fingerprint f = *RecordMemo::Of(a);
  memo.Committed({{"k1", f}, {"k2", f}}, {});
  EXPECT_EQ(memo.size(), 2u);
  EXPECT_TRUE(memo.Unchanged("k1", f));
  memo.Committed({{"k3", f}}, {});  // full: emptied, then k3
  EXPECT_EQ(memo.size(), 1u);
  EXPECT_FALSE(memo.Unchanged("k1", f));
  EXPECT_TRUE(memo.Unchanged("k3", f));
  memo.Committed({}, {"k3"});
  EXPECT_FALSE(memo.Unchanged("k3", f));
}

}  // namespace
}  // namespace fhirengine::ingest

// MeasureReports from a fake CapacityView: the builder's exact content,
// $evaluate-measure through the FhirApi (errors, storage, search), R4
// validity, and the history snapshots and pruning with a fake clock.
#include <gtest/gtest.h>

#include <future>
#include <memory>
#include <string>

#include "engine/capacity/capacity_fhir.h"
#include "engine/capacity/measure_report_builder.h"
#include "engine/capacity/regional_measures.h"
#include "engine/core/time_format.h"
#include "engine/json/json_parser.h"
#include "engine/json/json_writer.h"
#include "engine/rest/fhir_api.h"
#include "engine/validation/structural_validator.h"
#include "tests/unit/capacity/capacity_fhir_fixture.h"
#include "tests/unit/capacity/fake_capacity_view.h"

namespace fhirengine::capacity {
namespace {

const json::Document& BedMeasure() {
  static const json::Document doc = [] {
    Result<json::Document> d = json::Parse(RegionalMeasures()[0].json);
    EXPECT_TRUE(d.ok());
    return std::move(d).value();
  }();
  return doc;
}

TEST(MeasureReportBuilder, ReportsTheOrganizationsBedCountsExactly) {
  FakeCapacityView view;
  const CapacityNode org = view.snapshot.region.children[0];
  json::Document doc;
  Result<json::Value> report =
      BuildMeasureReport(doc, BedMeasure().root(), org, view.snapshot.sources, {1000, 2000}, 3000);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  const std::string text = json::Write(*report);
  // Header: stale flag, status, type, measure, date, reporter (no subject:
  // R4 allows no Organization subject), period.
  EXPECT_EQ(
      text.substr(0, text.find("\"group\"")),
      R"({"resourceType":"MeasureReport","extension":[{"url":"https://fhir-engine.example.org/fhir/StructureDefinition/capacity-stale","valueBoolean":false}],"status":"complete","type":"summary","measure":"https://fhir-engine.example.org/fhir/Measure/regional-bed-capacity","date":"1970-01-01T00:00:03.000Z","reporter":{"reference":"Organization/h1","display":"Hospital 1"},"period":{"start":"1970-01-01T00:00:01.000Z","end":"1970-01-01T00:00:02.000Z"},)");
  const json::Value* groups = report->Find("group");
  ASSERT_NE(groups, nullptr);
  ASSERT_EQ(groups->size(), 8u);  // all beds, six categories, uncategorised
  auto counts = [](const json::Value& group) {
    std::string out;
    for (const json::Value& p : group.Find("population")->elements()) {
      out += std::string(p.Find("count")->text()) + ",";
    }
    return out;
  };
  // total, occupied, free, closed, housekeeping, isolated, unknown
  EXPECT_EQ(counts(groups->elements()[0]), "12,7,2,1,1,1,0,");
  EXPECT_EQ(counts(groups->elements()[1]), "10,6,2,1,1,0,0,");  // general
  EXPECT_EQ(counts(groups->elements()[2]), "2,1,0,0,0,1,0,");   // intensive-care
  EXPECT_EQ(counts(groups->elements()[3]), "0,0,0,0,0,0,0,");   // paediatric: none
  validation::IssueCollector issues;
  ASSERT_TRUE(validation::ValidateStructure(*report, issues).ok());
  EXPECT_EQ(issues.error_count(), 0u);
}

TEST(MeasureReportBuilder, FlagsStaleSourcesAndReportsTheRegionWithoutSubject) {
  FakeCapacityView view;
  view.SetStale(true);
  json::Document doc;
  Result<json::Value> report = BuildMeasureReport(doc, BedMeasure().root(), view.snapshot.region,
                                                  view.snapshot.sources, {0, 0}, 0);
  ASSERT_TRUE(report.ok());
  const std::string text = json::Write(*report);
  EXPECT_NE(text.find(R"(/capacity-stale","valueBoolean":true})"), std::string::npos) << text;
  EXPECT_NE(text.find(R"(/capacity-stale-source","valueString":"ehr"})"), std::string::npos);
  EXPECT_EQ(report->Find("subject"), nullptr);
  EXPECT_EQ(report->Find("reporter"), nullptr);
}

TEST(MeasureReportBuilder, DischargeReadyCountsPatientsAndScoresDays) {
  FakeCapacityView view;
  Result<json::Document> measure = json::Parse(RegionalMeasures()[1].json);
  ASSERT_TRUE(measure.ok());
  json::Document doc;
  Result<json::Value> report = BuildMeasureReport(doc, measure->root(), view.snapshot.region,
                                                  view.snapshot.sources, {0, 0}, 0);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  const std::string text = json::Write(*report);
  EXPECT_NE(text.find(R"("count":2)"), std::string::npos) << text;
  EXPECT_NE(text.find(R"("measureScore":{"value":2.75,"unit":"d")"), std::string::npos);  // mean
  EXPECT_NE(text.find(R"("measureScore":{"value":5.50,)"), std::string::npos);            // total
  EXPECT_NE(text.find(R"("measureScore":{"value":4.25,)"), std::string::npos);            // max
}

TEST(MeasureReportBuilder, RefusesAGroupItCannotCompute) {
  FakeCapacityView view;
  Result<json::Document> measure = json::Parse(
      R"({"resourceType":"Measure","url":"x","group":[{"code":{"coding":[{"system":"https://fhir-engine.example.org/fhir/CodeSystem/capacity-measure-group","code":"ventilators"}]}}]})");
  ASSERT_TRUE(measure.ok());
  json::Document doc;
  Result<json::Value> report =
      BuildMeasureReport(doc, measure->root(), view.snapshot.region, {}, {0, 0}, 0);
  ASSERT_FALSE(report.ok());
  EXPECT_NE(report.status().message().find("ventilators"), std::string::npos);
}

// ---- $evaluate-measure and history on a real store ---------------------------

TEST_F(CapacityFhirTest, ServesTheMeasuresAndDeclaresTheOperation) {
  EXPECT_EQ(Get("/fhir/Measure/regional-bed-capacity").status, 200);
  EXPECT_EQ(Get("/fhir/Measure/regional-discharge-ready").status, 200);
  const rest::RestResponse cs = Get("/fhir/metadata");
  EXPECT_NE(
      cs.body.find(
          R"({"name":"evaluate-measure","definition":"http://hl7.org/fhir/OperationDefinition/Measure-evaluate-measure"})"),
      std::string::npos);
}

TEST_F(CapacityFhirTest, EvaluatesForASubjectAndStoresTheReportSearchably) {
  const rest::RestResponse r =
      Get("/fhir/Measure/regional-bed-capacity/$evaluate-measure?periodStart=2023-11-14&periodEnd="
          "2023-11-14&subject=Location/w1");
  ASSERT_EQ(r.status, 200) << r.body;
  Result<json::Document> doc = json::Parse(r.body);
  ASSERT_TRUE(doc.ok());
  EXPECT_EQ(doc->root().Find("resourceType")->text(), "MeasureReport");
  EXPECT_EQ(doc->root().Find("subject")->Find("reference")->text(), "Location/w1");
  EXPECT_EQ(doc->root().Find("period")->Find("start")->text(), "2023-11-14T00:00:00.000Z");
  EXPECT_EQ(doc->root().Find("period")->Find("end")->text(), "2023-11-14T23:59:59.999Z");
  validation::IssueCollector issues;
  ASSERT_TRUE(validation::ValidateStructure(doc->root(), issues).ok());
  EXPECT_EQ(issues.error_count(), 0u);

  const rest::RestResponse found =
      Get("/fhir/MeasureReport?subject=Location/w1&date=2023-11-14&_summary=count");
  ASSERT_EQ(found.status, 200) << found.body;
  EXPECT_NE(found.body.find(R"("total":1)"), std::string::npos) << found.body;
  const rest::RestResponse none = Get("/fhir/MeasureReport?subject=Location/w1&date=2023-11-15");
  EXPECT_EQ(none.body.find(R"("entry")"), std::string::npos) << none.body;
}

TEST_F(CapacityFhirTest, EvaluatesTheRegionWithoutSubject) {
  const rest::RestResponse r = Get("/fhir/Measure/regional-discharge-ready/$evaluate-measure");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.body.find("\"subject\""), std::string::npos);
}

TEST_F(CapacityFhirTest, AnswersBadRequestsWithOperationOutcomes) {
  const std::string base = "/fhir/Measure/regional-bed-capacity/$evaluate-measure";
  rest::RestResponse r = Get("/fhir/Measure/nope/$evaluate-measure");
  EXPECT_EQ(r.status, 404);
  EXPECT_NE(r.body.find("OperationOutcome"), std::string::npos);
  EXPECT_EQ(Get(base + "?subject=Organization/unknown").status, 404);
  EXPECT_EQ(Get(base + "?subject=Patient/p1").status, 400);
  EXPECT_EQ(Get(base + "?periodStart=2023-11-14").status, 400);
  EXPECT_EQ(Get(base + "?periodStart=2023-11-15&periodEnd=2023-11-14").status, 400);
  EXPECT_EQ(Get(base + "?periodStart=2020-01-01&periodEnd=2020-01-02").status, 400);  // not now
  EXPECT_EQ(Get(base + "?periodStart=yesterday&periodEnd=2023-11-14").status, 400);
  EXPECT_EQ(Get(base + "?colour=blue").status, 400);
  EXPECT_EQ(Get(base + "?reportType=subject-list").status, 400);
}

TEST_F(CapacityFhirTest, TagsTheLatestReportApartFromTheSnapshots) {
  ASSERT_EQ(
      Get("/fhir/Measure/regional-bed-capacity/$evaluate-measure?subject=Organization/h1").status,
      200);
  ASSERT_TRUE(fhir_->history().TakeSnapshot().ok());  // h1: one report per Measure
  const std::string tag = "&_tag=" + std::string(kReportKindSystem) + "|";
  auto total = [this](const std::string& query) {
    const rest::RestResponse r = Get("/fhir/MeasureReport?reporter=Organization/h1" + query);
    EXPECT_EQ(r.status, 200) << r.body;
    Result<json::Document> doc = json::Parse(r.body);
    const json::Value* entries = doc.ok() ? doc->root().Find("entry") : nullptr;
    return entries != nullptr ? entries->size() : 0u;
  };
  EXPECT_EQ(total(""), 3u);
  EXPECT_EQ(total(tag + "latest"), 1u);
  EXPECT_EQ(total(tag + "snapshot"), 2u);
  EXPECT_EQ(total(tag + "other"), 0u);
}

TEST_F(CapacityFhirTest, SnapshotsEveryIntervalAndReadsTheTrendBack) {
  CapacityHistory& history = fhir_->history();
  ASSERT_TRUE(history.Tick().ok());  // first snapshot
  now_ms_ += 60'000;
  ASSERT_TRUE(history.Tick().ok());  // not due yet
  now_ms_ += 240'000;
  view_.SetStale(true);
  ASSERT_TRUE(history.Tick().ok());  // due: second snapshot
  Result<std::string> region = history.PointsJson(24, "");
  ASSERT_TRUE(region.ok()) << region.status().ToString();
  EXPECT_EQ(
      *region,
      R"({"subject":"","hours":24,"points":[)"
      R"({"time":"2023-11-14T22:13:20.000Z","beds":{"closed":1,"free":2,"housekeeping":1,"isolated":1,"occupied":7,"total":12,"unknown":0},"discharge_ready":{"patients":2,"wait_days_max":4.25,"wait_days_total":5.50},"stale":false},)"
      R"({"time":"2023-11-14T22:18:20.000Z","beds":{"closed":1,"free":2,"housekeeping":1,"isolated":1,"occupied":7,"total":12,"unknown":0},"discharge_ready":{"patients":2,"wait_days_max":4.25,"wait_days_total":5.50},"stale":true}]})");
  Result<std::string> org = history.PointsJson(24, "Organization/h1");
  ASSERT_TRUE(org.ok());
  EXPECT_NE(org->find("22:18:20.000Z"), std::string::npos);
  EXPECT_FALSE(history.PointsJson(0, "").ok());
  EXPECT_FALSE(history.PointsJson(49, "").ok());  // beyond the 2-day retention
}

TEST_F(CapacityFhirTest, PrunesSnapshotsOlderThanTheRetention) {
  CapacityHistory& history = fhir_->history();
  ASSERT_TRUE(history.TakeSnapshot().ok());  // 4 reports: region and h1, two measures
  now_ms_ += 86'400'000;
  ASSERT_TRUE(history.TakeSnapshot().ok());
  Result<std::size_t> none = history.Prune();
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(*none, 0u);
  now_ms_ += 86'400'000 + 1;  // the first snapshot is now past the 2 days
  Result<std::size_t> pruned = history.Prune();
  ASSERT_TRUE(pruned.ok()) << pruned.status().ToString();
  EXPECT_EQ(*pruned, 4u);
  // Purged, not deleted: no tombstones or old versions are left to grow the
  // database (2 snapshots of 4 reports were written, 4 remain).
  Result<std::vector<store::StoredResource>> versions =
      store_->History({.type = "MeasureReport", .count = 100});
  ASSERT_TRUE(versions.ok());
  std::size_t snapshot_versions = 0;
  for (const store::StoredResource& v : *versions) {
    snapshot_versions += v.json.find("capacity-snapshot") != std::string::npos || v.deleted;
  }
  EXPECT_EQ(snapshot_versions, 4u);
  Result<std::string> left = history.PointsJson(48, "");
  ASSERT_TRUE(left.ok());
  EXPECT_EQ(left->find("2023-11-14T22:13:20"), std::string::npos) << *left;
  EXPECT_NE(left->find("2023-11-15T22:13:20"), std::string::npos) << *left;
}

}  // namespace
}  // namespace fhirengine::capacity

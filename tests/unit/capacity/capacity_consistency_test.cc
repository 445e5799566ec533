// The capacity picture's consumers agree with it: nothing is served from a
// picture that is still loading, one history snapshot is one moment, a
// subject is found by kind and reference (summed where a Location appears
// more than once, never "unplaced"), and the trend keeps the newest points.
#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "engine/capacity/capacity_history.h"
#include "engine/capacity/capacity_index.h"
#include "engine/capacity/capacity_summary_json.h"
#include "engine/json/json_parser.h"
#include "tests/unit/capacity/capacity_fhir_fixture.h"

namespace fhirengine::capacity {
namespace {

std::size_t Occurrences(const std::string& text, const std::string& part) {
  std::size_t n = 0;
  for (std::size_t at = text.find(part); at != std::string::npos; at = text.find(part, at + 1)) {
    ++n;
  }
  return n;
}

CapacityNode Ward(const std::string& reference, std::int64_t total, std::int64_t occupied) {
  CapacityNode ward;
  ward.kind = NodeKind::kWard;
  ward.reference = reference;
  ward.name = reference;
  ward.counts.beds = {total, occupied, total - occupied, 0, 0, 0, 0};
  ward.counts.by_category["general"] = ward.counts.beds;
  ward.sources = {"ehr"};
  return ward;
}

// The fake's hospital h1 holds Location/w1 (10 beds); a second hospital h2
// holds it too (4 beds), and an "unplaced" organization holds a bed whose
// chain breaks.
void AddSecondOrganizationAndUnplaced(FakeCapacityView& view) {
  CapacityNode h2;
  h2.kind = NodeKind::kOrganization;
  h2.reference = "Organization/h2";
  h2.name = "Hospital 2";
  h2.organization_kind = "hospital";
  CapacityNode w1 = Ward("Location/w1", 4, 1);
  w1.sources = {"kommun"};
  w1.stale = true;
  w1.counts.discharge_ready = {1, 3.0, 3.0};
  h2.counts = w1.counts;
  h2.children.push_back(w1);
  CapacityNode unplaced;
  unplaced.kind = NodeKind::kOrganization;
  unplaced.reference = std::string(kUnplaced);
  unplaced.name = "Unplaced";
  CapacityNode unplaced_site;
  unplaced_site.kind = NodeKind::kSite;
  unplaced_site.reference = std::string(kUnplaced);
  unplaced_site.children.push_back(Ward(std::string(kUnplaced), 1, 1));
  unplaced.children.push_back(unplaced_site);
  view.snapshot.region.children.push_back(h2);
  view.snapshot.region.children.push_back(unplaced);
}

TEST_F(CapacityFhirTest, NothingIsServedFromAPictureThatIsStillLoading) {
  view_.is_ready = false;
  // No snapshot at a (re)start while the rollup loads.
  ASSERT_TRUE(fhir_->history().Tick().ok());
  Result<std::string> trend = fhir_->history().PointsJson(24, "");
  ASSERT_TRUE(trend.ok());
  EXPECT_EQ(*trend, R"({"subject":"","hours":24,"points":[]})");
  // $evaluate-measure: 503 with a clear message.
  const rest::RestResponse r = Get("/fhir/Measure/regional-bed-capacity/$evaluate-measure");
  EXPECT_EQ(r.status, 503) << r.body;
  EXPECT_NE(r.body.find("still loading"), std::string::npos) << r.body;
  // The summary says so.
  EXPECT_NE(CapacitySummaryJson(view_.Snapshot()).find(R"("loading":true)"), std::string::npos);
  view_.is_ready = true;
  EXPECT_EQ(CapacitySummaryJson(view_.Snapshot()).find("loading"), std::string::npos);
  ASSERT_TRUE(fhir_->history().Tick().ok());
  EXPECT_EQ(Occurrences(*fhir_->history().PointsJson(24, ""), "\"time\""), 1u);
  EXPECT_EQ(Get("/fhir/Measure/regional-bed-capacity/$evaluate-measure").status, 200);
}

TEST_F(CapacityFhirTest, OneSnapshotIsOneMomentAndOnePoint) {
  advance_ms_ = 7;  // every clock read is later than the one before
  ASSERT_TRUE(fhir_->history().TakeSnapshot().ok());
  now_ms_ += 300'000;
  ASSERT_TRUE(fhir_->history().TakeSnapshot().ok());
  for (const std::string subject : {"", "Organization/h1"}) {
    Result<std::string> trend = fhir_->history().PointsJson(24, subject);
    ASSERT_TRUE(trend.ok()) << trend.status().ToString();
    // Two snapshots, each one whole point: its beds and its discharge-ready.
    EXPECT_EQ(Occurrences(*trend, "\"time\""), 2u) << *trend;
    EXPECT_EQ(Occurrences(*trend, "\"beds\":{}"), 0u) << *trend;
    EXPECT_EQ(Occurrences(*trend, "\"discharge_ready\":{}"), 0u) << *trend;
  }
  // The stored reports of one snapshot carry one date.
  const rest::RestResponse r = Get("/fhir/MeasureReport?reporter=Organization/h1");
  Result<json::Document> bundle = json::Parse(r.body);
  ASSERT_TRUE(bundle.ok());
  std::set<std::string> dates;
  for (const json::Value& e : bundle->root().Find("entry")->elements()) {
    dates.insert(std::string(e.Find("resource")->Find("date")->text()));
  }
  EXPECT_EQ(dates.size(), 2u);
}

TEST_F(CapacityFhirTest, SubjectsAreFoundByKindAndReferenceAndSummedAcrossOrganizations) {
  AddSecondOrganizationAndUnplaced(view_);
  Result<CapacityNode> w1 = FindCapacityNode(view_.snapshot.region, "Location/w1");
  ASSERT_TRUE(w1.ok());
  EXPECT_EQ(w1->counts.beds, (BedCounts{14, 7, 5, 1, 1, 0, 0}));
  EXPECT_EQ(w1->counts.by_category.at("general").total, 14);
  EXPECT_EQ(w1->counts.discharge_ready, (DischargeReady{1, 3.0, 3.0}));
  EXPECT_EQ(w1->sources, (std::vector<std::string>{"ehr", "kommun"}));
  EXPECT_TRUE(w1->stale);
  EXPECT_EQ(FindCapacityNode(view_.snapshot.region, "Organization/h2")->counts.beds.total, 4);
  // A Location reference never names an organization, nor the reverse.
  EXPECT_FALSE(FindCapacityNode(view_.snapshot.region, "Organization/w1").ok());
  EXPECT_FALSE(FindCapacityNode(view_.snapshot.region, std::string(kUnplaced)).ok());
  const rest::RestResponse r =
      Get("/fhir/Measure/regional-bed-capacity/$evaluate-measure?subject=Location/w1");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_NE(r.body.find(R"("count":14)"), std::string::npos) << r.body;
  // Snapshots: the region, h1 and h2, never the unplaced placeholder.
  ASSERT_TRUE(fhir_->history().TakeSnapshot().ok());
  const rest::RestResponse all =
      Get("/fhir/MeasureReport?_tag=" + std::string(kReportKindSystem) + "|snapshot&_count=100");
  EXPECT_EQ(Occurrences(all.body, "\"resourceType\":\"MeasureReport\""), 6u) << all.body;
  EXPECT_EQ(all.body.find("unplaced"), std::string::npos);
}

TEST_F(CapacityFhirTest, TheTrendKeepsTheNewestPointsWhenItHasTooMany) {
  HistoryOptions options;
  options.interval_ms = 60'000;
  options.retention_ms = 2 * 86'400'000LL;
  options.max_points = 3;
  CapacityHistory history(fhir_->evaluator(), view_, *store_, options);
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(history.TakeSnapshot().ok());
    now_ms_ += 60'000;
  }
  Result<std::string> trend = history.PointsJson(24, "");
  ASSERT_TRUE(trend.ok()) << trend.status().ToString();
  EXPECT_EQ(Occurrences(*trend, "\"time\""), 3u) << *trend;
  EXPECT_EQ(trend->find("22:13:20"), std::string::npos) << *trend;
  EXPECT_EQ(trend->find("22:14:20"), std::string::npos) << *trend;
  const std::size_t a = trend->find("22:15:20"), b = trend->find("22:16:20"),
                    c = trend->find("22:17:20");
  ASSERT_NE(c, std::string::npos) << *trend;
  EXPECT_TRUE(a < b && b < c) << *trend;  // oldest first
  // After a restart the trend is loaded from the stored snapshots: the same
  // newest points, the region's and the organization's apart.
  CapacityHistory restarted(fhir_->evaluator(), view_, *store_, options);
  EXPECT_EQ(*restarted.PointsJson(24, ""), *trend);
  Result<std::string> org = restarted.PointsJson(24, "Organization/h1");
  ASSERT_TRUE(org.ok());
  EXPECT_EQ(*org, *history.PointsJson(24, "Organization/h1"));
  EXPECT_EQ(Occurrences(*org, "\"time\""), 3u) << *org;
}

}  // namespace
}  // namespace fhirengine::capacity

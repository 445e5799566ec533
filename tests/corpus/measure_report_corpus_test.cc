// $evaluate-measure output validated with the profile validator against the
// official R4 MeasureReport StructureDefinition (every invariant and binding
// of its snapshot), plus the regional definitions so the capacity extensions
// are known: region, organization and ward subjects, fresh and stale, both
// regional Measures, as answered by the FHIR API and as stored by the
// history. Needs the R4 package in FHIR_R4_EXAMPLES_DIR (fetch_r4_examples.sh).
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "engine/json/json_parser.h"
#include "engine/profiles/profile_validator.h"
#include "tests/unit/capacity/capacity_fhir_fixture.h"

namespace fhirengine::capacity {
namespace {

constexpr const char* kMeasureReportProfile =
    "http://hl7.org/fhir/StructureDefinition/MeasureReport";

std::filesystem::path PackageDir() {
  const char* dir = std::getenv("FHIR_R4_EXAMPLES_DIR");
  return dir != nullptr ? dir : "";
}

// The R4 package and everything the regional package ships.
const profiles::ProfileRegistry& Registry() {
  static const profiles::ProfileRegistry* registry = [] {
    auto* r = new profiles::ProfileRegistry();
    const std::filesystem::path regional =
        std::filesystem::path(FE_SOURCE_DIR) / "fhir-profiles/regional";
    for (const std::filesystem::path& dir :
         {PackageDir(), regional / "snapshots", regional / "terminology", regional / "measures"}) {
      Status s = r->AddDirectory(dir);
      EXPECT_TRUE(s.ok()) << s.message();
    }
    return r;
  }();
  return *registry;
}

// Every issue but information, one a line ("" when the report is valid and
// clean: warnings count too), except dom-6's warning that the reports carry
// no narrative (a machine report for the dashboard and history).
std::string Issues(const json::Value& report) {
  Result<std::unique_ptr<profiles::ProfileValidator>> validator =
      profiles::ProfileValidator::Create(Registry(), kMeasureReportProfile);
  if (!validator.ok()) return "cannot compile the profile: " + validator.status().message();
  validation::IssueCollector sink;
  (*validator)->Validate(report, sink);
  std::string out;
  for (const validation::Issue& i : sink.issues()) {
    if (i.severity == validation::Severity::kInformation) continue;
    if (i.severity == validation::Severity::kWarning &&
        i.message.starts_with("constraint dom-6 failed")) {
      continue;
    }
    out += std::string(validation::SeverityCode(i.severity)) + " " + i.expression + ": " +
           i.message + "\n";
  }
  return out;
}

class MeasureReportProfileTest : public CapacityFhirTest,
                                 public ::testing::WithParamInterface<bool> {
 protected:
  void SetUp() override {
    CapacityFhirTest::SetUp();
    if (PackageDir().empty()) GTEST_SKIP() << "FHIR_R4_EXAMPLES_DIR not set";
    view_.SetStale(GetParam());
  }
};

TEST_P(MeasureReportProfileTest, EvaluatedReportsValidateAgainstR4MeasureReport) {
  int checked = 0;
  for (const std::string measure : {"regional-bed-capacity", "regional-discharge-ready"}) {
    for (const std::string subject : {"", "?subject=Organization/h1", "?subject=Location/w1"}) {
      const rest::RestResponse r = Get("/fhir/Measure/" + measure + "/$evaluate-measure" + subject);
      ASSERT_EQ(r.status, 200) << measure << subject << ": " << r.body;
      Result<json::Document> doc = json::Parse(r.body);
      ASSERT_TRUE(doc.ok()) << r.body;
      ASSERT_EQ(doc->root().Find("resourceType")->text(), "MeasureReport");
      EXPECT_EQ(Issues(doc->root()), "") << measure << subject;
      ++checked;
    }
  }
  EXPECT_EQ(checked, 6);
}

TEST_P(MeasureReportProfileTest, HistorySnapshotsValidateAgainstR4MeasureReport) {
  ASSERT_TRUE(fhir_->history().TakeSnapshot().ok());
  const rest::RestResponse found = Get("/fhir/MeasureReport?_count=50");
  ASSERT_EQ(found.status, 200) << found.body;
  Result<json::Document> bundle = json::Parse(found.body);
  ASSERT_TRUE(bundle.ok());
  const json::Value* entries = bundle->root().Find("entry");
  ASSERT_NE(entries, nullptr) << found.body;
  EXPECT_EQ(entries->size(), 4u);  // region and h1, two Measures
  for (const json::Value& e : entries->elements()) {
    EXPECT_EQ(Issues(*e.Find("resource")), "") << e.Find("fullUrl")->text();
  }
}

// The validator does judge these reports: a data-collection report with
// groups breaks mrp-1, a bad status breaks its required binding, and an
// Organization is no allowed subject (why organizations are reporters).
TEST_P(MeasureReportProfileTest, CatchesWhatR4Forbids) {
  const rest::RestResponse r = Get("/fhir/Measure/regional-bed-capacity/$evaluate-measure");
  ASSERT_EQ(r.status, 200) << r.body;
  Result<json::Document> doc = json::Parse(r.body);
  ASSERT_TRUE(doc.ok());
  doc->SetMember(doc->root(), "type", doc->MakeString("data-collection"));
  doc->SetMember(doc->root(), "status", doc->MakeString("finished"));
  doc->SetMember(doc->root(), "subject",
                 doc->MakeObject(
                     std::vector<json::Member>{{"reference", doc->MakeString("Organization/h1")}}));
  const std::string issues = Issues(doc->root());
  EXPECT_NE(issues.find("error MeasureReport.subject: reference to a Organization is not allowed"),
            std::string::npos)
      << issues;
  EXPECT_NE(issues.find("constraint mrp-1 failed"), std::string::npos) << issues;
  EXPECT_NE(issues.find("code finished is not in the required ValueSet "
                        "http://hl7.org/fhir/ValueSet/measure-report-status"),
            std::string::npos)
      << issues;
}

// Issues (as Issues) of `extension` against its own definition, found by url.
std::string ExtensionIssues(const json::Value& extension) {
  const std::string url(extension.Find("url")->text());
  Result<std::unique_ptr<profiles::ProfileValidator>> validator =
      profiles::ProfileValidator::Create(Registry(), url);
  if (!validator.ok()) return "cannot compile " + url + ": " + validator.status().message();
  validation::IssueCollector sink;
  (*validator)->Validate(extension, sink);
  std::string out;
  for (const validation::Issue& i : sink.issues()) {
    if (i.severity == validation::Severity::kInformation) continue;
    out += std::string(validation::SeverityCode(i.severity)) + " " + i.expression + ": " +
           i.message + "\n";
  }
  return out;
}

// Every capacity extension a report carries fits its StructureDefinition
// (fhir-profiles/regional/extensions), and a stale flag that is no boolean
// does not. (The MeasureReport validator itself checks only the extensions
// its profile reaches, which the base MeasureReport reaches none of.)
TEST_P(MeasureReportProfileTest, CarriesTheCapacityExtensionsAsDefined) {
  const rest::RestResponse r =
      Get("/fhir/Measure/regional-bed-capacity/$evaluate-measure?subject=Organization/h1");
  ASSERT_EQ(r.status, 200) << r.body;
  Result<json::Document> doc = json::Parse(r.body);
  ASSERT_TRUE(doc.ok());
  const json::Value* extensions = doc->root().Find("extension");
  ASSERT_NE(extensions, nullptr);
  EXPECT_EQ(extensions->size(), GetParam() ? 2u : 1u);  // the flag, and the stale source
  for (const json::Value& e : extensions->elements()) EXPECT_EQ(ExtensionIssues(e), "");
  json::Value wrong = doc->MakeObject(std::vector<json::Member>{
      {"url", doc->MakeString(kStaleExtensionUrl)}, {"valueString", doc->MakeString("yes")}});
  EXPECT_NE(ExtensionIssues(wrong).find(
                "error Extension.valueString: type String is not allowed for Extension.value[x] "
                "(allowed: boolean)"),
            std::string::npos)
      << ExtensionIssues(wrong);
}

INSTANTIATE_TEST_SUITE_P(Freshness, MeasureReportProfileTest, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& info) {
                           return info.param ? std::string("Stale") : std::string("Fresh");
                         });

}  // namespace
}  // namespace fhirengine::capacity

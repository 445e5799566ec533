// Golden tests for the shipped mappings: `fhir-engine map` over each sample in
// tests/golden/<mapping>/ must print exactly expected.json, and bad samples
// exactly their errors (bad.errors.txt) and warnings (warnings.txt).
// tests/corpus/golden_profile_test.cc validates every expected.json against
// the regional profiles.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "engine/app/cli.h"

namespace fhirengine::app {
namespace {

std::string Slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

const std::string kDir = FE_SOURCE_DIR;
constexpr const char* kPseudonymKey = "golden-test-key";

struct MapRun {
  int exit = 0;
  std::string out;
  std::string err;  // the mapping's path replaced by MAPPING (golden files are path-free)
};

// `map --mapping <mapping> --input tests/golden/<dir>/<input> <extra...>`.
MapRun Map(const std::string& mapping_file, const std::string& dir, const std::string& input,
           std::vector<std::string_view> extra = {}) {
  const std::string mapping = kDir + "/" + mapping_file;
  const std::string path = kDir + "/tests/golden/" + dir + "/" + input;
  std::vector<std::string_view> args = {"map", "--mapping", mapping, "--input", path};
  args.insert(args.end(), extra.begin(), extra.end());
  ::setenv("FHIR_ENGINE_PSEUDONYM_KEY", kPseudonymKey, 1);
  std::ostringstream out, err;
  MapRun run;
  run.exit = RunCli(args, out, err);
  ::unsetenv("FHIR_ENGINE_PSEUDONYM_KEY");
  run.out = out.str();
  run.err = err.str();
  for (std::size_t p; (p = run.err.find(mapping)) != std::string::npos;)
    run.err.replace(p, mapping.size(), "MAPPING");
  return run;
}

std::string Golden(const std::string& dir, const std::string& file) {
  return Slurp(kDir + "/tests/golden/" + dir + "/" + file);
}

TEST(MapGoldenTest, MunicipalCsvLatin1SemicolonEmitsTheHierarchyPerRow) {
  MapRun run = Map("mappings/municipal-csv.json", "municipal-csv", "input.csv",
                   {"--encoding", "iso-8859-1", "--delimiter", ";"});
  EXPECT_EQ(run.exit, kExitOk) << run.err;
  EXPECT_EQ(run.err, "");
  EXPECT_EQ(run.out, Golden("municipal-csv", "expected.json"));
  // Städning is housekeeping (H), never contaminated (K).
  EXPECT_NE(
      run.out.find(
          R"("operationalStatus":{"system":"http://terminology.hl7.org/CodeSystem/v2-0116","code":"H")"),
      std::string::npos);
  EXPECT_EQ(run.out.find(R"("code":"K")"), std::string::npos);
}

TEST(MapGoldenTest, MunicipalCsvBadRecordsAreReportedExactly) {
  MapRun run = Map("mappings/municipal-csv.json", "municipal-csv", "bad.csv");
  EXPECT_EQ(run.exit, kExitInvalid);
  EXPECT_EQ(run.err, Golden("municipal-csv", "bad.errors.txt"));
  EXPECT_EQ(run.out, "[]\n");
}

TEST(MapGoldenTest, MunicipalXmlAcrossTheAutumnClockChange) {
  MapRun run = Map("mappings/municipal-xml.json", "municipal-xml", "input.xml");
  EXPECT_EQ(run.exit, kExitOk) << run.err;
  EXPECT_EQ(run.out, Golden("municipal-xml", "expected.json"));
}

TEST(MapGoldenTest, MunicipalXmlBadRecordsNameTheirElement) {
  // An unknown status and place type, a place without its number, a date in
  // another format and a local time in the spring gap: each element fails
  // with the mapping's line and field and its XPath, none is emitted.
  MapRun run = Map("mappings/municipal-xml.json", "municipal-xml", "bad.xml");
  EXPECT_EQ(run.exit, kExitInvalid);
  EXPECT_EQ(run.err, Golden("municipal-xml", "bad.errors.txt"));
  EXPECT_EQ(run.out, "[]\n");
}

TEST(MapGoldenTest, MunicipalJsonApiObjects) {
  MapRun run = Map("mappings/municipal-json.json", "municipal-json", "input.json");
  EXPECT_EQ(run.exit, kExitOk) << run.err;
  EXPECT_EQ(run.err, "");
  EXPECT_EQ(run.out, Golden("municipal-json", "expected.json"));
}

TEST(MapGoldenTest, MunicipalJsonBadRecordsAreReportedExactly) {
  MapRun run = Map("mappings/municipal-json.json", "municipal-json", "bad.json");
  EXPECT_EQ(run.exit, kExitInvalid);
  EXPECT_EQ(run.err, Golden("municipal-json", "bad.errors.txt"));
  EXPECT_EQ(run.out, "[]\n");
}

TEST(MapGoldenTest, HospitalFhirRegionalModelWithoutPersonalData) {
  MapRun run = Map("mappings/hospital-fhir.json", "hospital-fhir", "input.json");
  EXPECT_EQ(run.exit, kExitOk) << run.err;
  EXPECT_EQ(run.out, Golden("hospital-fhir", "expected.json"));
  // The unknown ward type is kept, with a warning naming line, field and record.
  EXPECT_EQ(run.err, Golden("hospital-fhir", "warnings.txt"));
  // Names, addresses, phone numbers, patient references and personal
  // identity numbers never leave the mapping.
  const std::string input = Golden("hospital-fhir", "input.json");
  for (const char* personal : {"Testsson", "Testgatan", "000-000000", "Patient/P77", "191212121212",
                               "000000000000", "personnummer"}) {
    EXPECT_NE(input.find(personal), std::string::npos) << personal << " is not in the input";
    EXPECT_EQ(run.out.find(personal), std::string::npos) << personal;
  }
}

TEST(MapGoldenTest, HospitalFhirBadRecordsAreReportedExactly) {
  MapRun run = Map("mappings/hospital-fhir.json", "hospital-fhir", "bad.json");
  EXPECT_EQ(run.exit, kExitInvalid);
  EXPECT_EQ(run.err, Golden("hospital-fhir", "bad.errors.txt"));
  EXPECT_EQ(run.out, "[]\n");
}

TEST(MapGoldenTest, ForEachWardRowGivesTheWardAndItsBeds) {
  MapRun run = Map("mappings/examples/ward-beds-csv.json", "ward-beds-csv", "input.csv");
  EXPECT_EQ(run.exit, kExitOk) << run.err;
  EXPECT_EQ(run.out, Golden("ward-beds-csv", "expected.json"));
}

TEST(MapGoldenTest, XmlInputWithADoctypeIsRefused) {
  const std::string mapping = kDir + "/mappings/municipal-xml.json";
  const std::string input = ::testing::TempDir() + "/doctype.xml";
  std::ofstream(input) << "<?xml version=\"1.0\"?>\n<!DOCTYPE x [<!ENTITY a \"aaaa\">]>\n"
                          "<platser><plats id=\"1\">&a;</plats></platser>\n";
  std::vector<std::string_view> args = {"map", "--mapping", mapping, "--input", input};
  std::ostringstream out, err;
  EXPECT_NE(RunCli(args, out, err), kExitOk);
  EXPECT_NE(err.str().find("DOCTYPE is not allowed"), std::string::npos) << err.str();
  EXPECT_EQ(out.str(), "");
}

}  // namespace
}  // namespace fhirengine::app

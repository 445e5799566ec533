// Golden tests for the shipped mappings: `fhir-engine map` over each sample in
// tests/golden/<mapping>/ must print exactly expected.json.
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

TEST(MapGoldenTest, MunicipalCsvLatin1Semicolon) {
  const std::string dir = std::string(FE_SOURCE_DIR);
  const std::string mapping = dir + "/mappings/municipal-csv.json";
  const std::string input = dir + "/tests/golden/municipal-csv/input.csv";
  std::vector<std::string_view> args = {"map",        "--mapping",  mapping,       "--input", input,
                                        "--encoding", "iso-8859-1", "--delimiter", ";"};
  std::ostringstream out, err;
  EXPECT_EQ(RunCli(args, out, err), kExitOk) << err.str();
  EXPECT_EQ(out.str(), Slurp(dir + "/tests/golden/municipal-csv/expected.json"));
}

TEST(MapGoldenTest, BadRecordsAreReportedAndTheRestMapped) {
  const std::string dir = std::string(FE_SOURCE_DIR);
  const std::string mapping = dir + "/mappings/municipal-csv.json";
  const std::string input = dir + "/tests/golden/municipal-csv/bad.csv";
  std::vector<std::string_view> args = {"map", "--mapping", mapping, "--input", input};
  std::ostringstream out, err;
  EXPECT_EQ(RunCli(args, out, err), kExitInvalid);
  // The messages name the mapping file as given; the golden file says MAPPING.
  std::string errors = err.str();
  for (std::size_t p; (p = errors.find(mapping)) != std::string::npos;)
    errors.replace(p, mapping.size(), "MAPPING");
  EXPECT_EQ(errors, Slurp(dir + "/tests/golden/municipal-csv/bad.errors.txt"));
  EXPECT_EQ(out.str(), "[]\n");
}

// Runs `map` over tests/golden/<name>/<input> with mappings/<name>.json.
std::string MapGolden(const std::string& name, const std::string& input) {
  const std::string dir = std::string(FE_SOURCE_DIR);
  const std::string mapping = dir + "/mappings/" + name + ".json";
  const std::string path = dir + "/tests/golden/" + name + "/" + input;
  std::vector<std::string_view> args = {"map", "--mapping", mapping, "--input", path};
  std::ostringstream out, err;
  EXPECT_EQ(RunCli(args, out, err), kExitOk) << err.str();
  return out.str();
}

TEST(MapGoldenTest, HospitalFhirRewritesIdsTranslatesWardsAndPseudonymises) {
  ::setenv("FHIR_ENGINE_PSEUDONYM_KEY", "golden-test-key", 1);
  const std::string out = MapGolden("hospital-fhir", "input.json");
  ::unsetenv("FHIR_ENGINE_PSEUDONYM_KEY");
  EXPECT_EQ(out, Slurp(std::string(FE_SOURCE_DIR) + "/tests/golden/hospital-fhir/expected.json"));
  // Names, addresses and the personal identity number never leave the mapping.
  EXPECT_EQ(out.find("Testsson"), std::string::npos);
  EXPECT_EQ(out.find("Testgatan"), std::string::npos);
  EXPECT_EQ(out.find("000000000000"), std::string::npos);
}

TEST(MapGoldenTest, MunicipalXmlAcrossTheAutumnClockChange) {
  EXPECT_EQ(MapGolden("municipal-xml", "input.xml"),
            Slurp(std::string(FE_SOURCE_DIR) + "/tests/golden/municipal-xml/expected.json"));
}

TEST(MapGoldenTest, XmlInputWithADoctypeIsRefused) {
  const std::string dir = std::string(FE_SOURCE_DIR);
  const std::string mapping = dir + "/mappings/municipal-xml.json";
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

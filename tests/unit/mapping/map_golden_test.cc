// Golden tests for the shipped mappings: `fhir-engine map` over each sample in
// tests/golden/<mapping>/ must print exactly expected.json.
#include <gtest/gtest.h>

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

}  // namespace
}  // namespace fhirengine::app

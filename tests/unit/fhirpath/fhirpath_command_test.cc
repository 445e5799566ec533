// `fhir-engine fhirpath`: output format, exit codes and messages.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

#include "engine/app/cli.h"

namespace fhirengine::app {
namespace {

using ::testing::HasSubstr;

struct CliRun {
  int code;
  std::string out;
  std::string err;
};

CliRun Cli(std::vector<std::string_view> args) {
  std::ostringstream out;
  std::ostringstream err;
  args.insert(args.begin(), "fhirpath");
  const int code = RunCli(args, out, err);
  return {code, out.str(), err.str()};
}

const std::string kPatient =
    std::string(FE_SOURCE_DIR) + "/tests/unit/fhirpath/data/Patient-example.json";

TEST(FhirpathCommand, PrintsTheResultAsJson) {
  CliRun r = Cli({"--resource", kPatient, "name.where(use = 'usual').given | birthDate"});
  EXPECT_EQ(r.code, kExitOk) << r.err;
  EXPECT_EQ(
      r.out,
      "[{\"type\":\"string\",\"value\":\"Jim\"},{\"type\":\"date\",\"value\":\"1974-12-25\"}]\n");
  r = Cli({"--resource", kPatient, "--pretty", "name.first().family"});
  EXPECT_EQ(r.out, "[\n  {\n    \"type\": \"string\",\n    \"value\": \"Chalmers\"\n  }\n]\n");
}

TEST(FhirpathCommand, RunsWithoutAResource) {
  CliRun r = Cli({"1 + 2.5"});
  EXPECT_EQ(r.code, kExitOk);
  EXPECT_EQ(r.out, "[{\"type\":\"System.Decimal\",\"value\":3.5}]\n");
  r = Cli({"--", "--2"});
  EXPECT_EQ(r.code, kExitOk) << r.err;
  EXPECT_EQ(r.out, "[{\"type\":\"System.Integer\",\"value\":2}]\n");
}

TEST(FhirpathCommand, ReadsXmlResources) {
  const std::filesystem::path file =
      std::filesystem::temp_directory_path() / "fhirpath_command_test.xml";
  std::ofstream(file) << "<Patient xmlns=\"http://hl7.org/fhir\"><id value=\"x1\"/><active "
                         "value=\"true\"/></Patient>";
  CliRun r = Cli({"--resource", file.string(), "Patient.id | active"});
  std::filesystem::remove(file);
  EXPECT_EQ(r.code, kExitOk) << r.err;
  EXPECT_EQ(r.out, "[{\"type\":\"id\",\"value\":\"x1\"},{\"type\":\"boolean\",\"value\":true}]\n");
}

TEST(FhirpathCommand, CompileAndEvaluationErrorsExitOne) {
  CliRun r = Cli({"--resource", kPatient, "name.where("});
  EXPECT_EQ(r.code, kExitInvalid);
  EXPECT_THAT(r.err, HasSubstr("fhir-engine fhirpath: column 12: expected an expression"));
  r = Cli({"--resource", kPatient, "name.given + 1"});
  EXPECT_EQ(r.code, kExitInvalid);
  EXPECT_THAT(r.err, HasSubstr("needs single items"));
  EXPECT_TRUE(r.out.empty());
}

TEST(FhirpathCommand, UsageErrorsExitTwo) {
  EXPECT_EQ(Cli({}).code, kExitUsage);
  EXPECT_EQ(Cli({"--resource"}).code, kExitUsage);
  EXPECT_EQ(Cli({"--bogus", "1"}).code, kExitUsage);
  EXPECT_EQ(Cli({"1", "2"}).code, kExitUsage);
  CliRun r = Cli({"--resource", "/nonexistent/file.json", "1"});
  EXPECT_EQ(r.code, kExitUsage);
  EXPECT_THAT(r.err, HasSubstr("/nonexistent/file.json"));
}

}  // namespace
}  // namespace fhirengine::app

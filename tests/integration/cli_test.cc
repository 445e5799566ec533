// The real fhir-engine binary: convert and validate from the command line,
// exit codes and output, as a user or a script sees them.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

namespace {

struct EngineRun {
  int exit_code;
  std::string out;
};

// Runs the binary through the shell with `args`; captures stdout.
EngineRun RunEngine(const std::string& args) {
  std::string command = std::string(FHIR_ENGINE_BINARY) + " " + args + " 2>/dev/null";
  FILE* pipe = popen(command.c_str(), "r");
  EXPECT_NE(pipe, nullptr);
  std::string out;
  std::array<char, 4096> buffer{};
  std::size_t n = 0;
  while ((n = fread(buffer.data(), 1, buffer.size(), pipe)) > 0) out.append(buffer.data(), n);
  int status = pclose(pipe);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

class CliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("fe-cli-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string Write(const std::string& name, const std::string& text) {
    std::filesystem::path p = dir_ / name;
    std::ofstream(p, std::ios::binary) << text;
    return p.string();
  }
  std::filesystem::path dir_;
};

constexpr const char* kWard = R"({"resourceType":"Location","id":"ward-7","status":"active",
  "name":"Avd 7","physicalType":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/location-physical-type","code":"wa"}]},
  "position":{"longitude":20.260,"latitude":63.8300}})";

TEST_F(CliTest, VersionNamesFhirR4) {
  EngineRun r = RunEngine("version");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("FHIR R4 4.0.1"), std::string::npos) << r.out;
}

TEST_F(CliTest, ValidateValidFileExitsZero) {
  EngineRun r = RunEngine("validate " + Write("ward.json", kWard));
  EXPECT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("\"severity\": \"information\""), std::string::npos) << r.out;
}

TEST_F(CliTest, ValidateInvalidFileExitsOneWithOperationOutcome) {
  EngineRun r =
      RunEngine("validate " +
                Write("bad.json", R"({"resourceType":"Location","position":{"latitude":"x"}})"));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.out.find("\"resourceType\": \"OperationOutcome\""), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Location.position.latitude"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Location.position.longitude"), std::string::npos) << r.out;
}

TEST_F(CliTest, ValidateSeveralFilesGivesABundle) {
  EngineRun r =
      RunEngine("validate " + Write("a.json", kWard) + " " + Write("b.json", "{\"resourceType\":"));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.out.find("\"resourceType\": \"Bundle\""), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("b.json"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\"code\": \"structure\""), std::string::npos) << r.out;
}

TEST_F(CliTest, ValidateMissingFileIsAnError) {
  EngineRun r = RunEngine("validate " + (dir_ / "nope.json").string());
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.out.find("nope.json"), std::string::npos) << r.out;
}

// --profile with the small test profiles of tests/unit/profiles/data.
const std::string kProfileData = std::string(FE_SOURCE_DIR) + "/tests/unit/profiles/data";
const std::string kBedProfileArgs =
    "validate --profile http://example.org/fhir/StructureDefinition/test-bed-location --profiles " +
    kProfileData + " ";

TEST_F(CliTest, ValidateAgainstProfileAcceptsValidBed) {
  EngineRun r = RunEngine(kBedProfileArgs + kProfileData + "/Location-valid-bed.json");
  EXPECT_EQ(r.exit_code, 0) << r.out;
  EXPECT_EQ(r.out.find("\"severity\": \"error\""), std::string::npos) << r.out;
}

TEST_F(CliTest, ValidateAgainstProfileReportsProfileErrors) {
  // The ward of the other tests is no bed: no identifier slice, not physicalType "bd".
  EngineRun r = RunEngine(kBedProfileArgs + Write("ward.json", kWard));
  EXPECT_EQ(r.exit_code, 1) << r.out;
  EXPECT_NE(r.out.find("slice 'bedId' requires at least 1, but found 0"), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("\"Location.physicalType\""), std::string::npos) << r.out;
}

TEST_F(CliTest, ValidateWithUnknownProfileIsAUsageError) {
  EngineRun r = RunEngine("validate --profile http://example.org/none --profiles " + kProfileData +
                          " " + Write("ward.json", kWard));
  EXPECT_EQ(r.exit_code, 2) << r.out;
}

TEST_F(CliTest, ConvertJsonToXmlAndBack) {
  std::string json_file = Write("ward.json", kWard);
  EngineRun xml = RunEngine("convert --to xml " + json_file);
  ASSERT_EQ(xml.exit_code, 0);
  EXPECT_NE(xml.out.find("<Location xmlns=\"http://hl7.org/fhir\">"), std::string::npos) << xml.out;
  EXPECT_NE(xml.out.find("<latitude value=\"63.8300\"/>"), std::string::npos) << xml.out;
  std::string xml_file = Write("ward.xml", xml.out);
  EngineRun back = RunEngine("convert --to json " + xml_file);
  ASSERT_EQ(back.exit_code, 0);
  // Canonical JSON, decimals exactly as written.
  EXPECT_EQ(
      back.out,
      R"({"resourceType":"Location","id":"ward-7","status":"active","name":"Avd 7",)"
      R"("physicalType":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/location-physical-type","code":"wa"}]},)"
      R"("position":{"longitude":20.260,"latitude":63.8300}})"
      "\n");
  EngineRun xml_validate = RunEngine("validate " + xml_file);
  EXPECT_EQ(xml_validate.exit_code, 0) << xml_validate.out;
}

TEST_F(CliTest, ConvertRejectsBadInputAndUsage) {
  EXPECT_EQ(RunEngine("convert --to xml " + Write("x.json", "{\"a\":")).exit_code, 1);
  EXPECT_EQ(RunEngine("convert --to yaml x").exit_code, 2);
  EXPECT_EQ(RunEngine("convert").exit_code, 2);
  EXPECT_EQ(RunEngine("frobnicate").exit_code, 2);
}

}  // namespace

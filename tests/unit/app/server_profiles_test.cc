// The server's profile configuration: the "profiles" keys, the registry
// LoadServerProfiles builds, and the required profiles ProfileConformance
// accepts or refuses at start-up.
#include "engine/app/server_profiles.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "engine/app/server_config.h"
#include "engine/json/json_parser.h"
#include "engine/rest/profile_conformance.h"
#include "engine/validation/issue.h"

namespace fhirengine::app {
namespace {

const std::string kBed = "https://fhir-engine.example.org/fhir/StructureDefinition/RegionalBed";
const std::string kRegional = std::string(FE_SOURCE_DIR) + "/fhir-profiles/regional";

TEST(ServerProfiles, ConfigReadsDirectoriesAndRequiredProfiles) {
  Result<ServerConfig> c =
      ParseServerConfig(R"({"profiles": {"directories": ["a", "/b"], "required": {"Location": [")" +
                            kBed + R"("]}}})",
                        "c.json");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->profile_directories, (std::vector<std::string>{"a", "/b"}));
  ASSERT_EQ(c->required_profiles.size(), 1u);
  EXPECT_EQ(c->required_profiles.at("Location"), std::vector<std::string>{kBed});
  ResolveServerConfigPaths(*c, "/etc/fe/c.json");
  EXPECT_EQ(c->profile_directories, (std::vector<std::string>{"/etc/fe/a", "/b"}));
}

TEST(ServerProfiles, ConfigErrorsNameTheJsonPath) {
  auto error = [](std::string_view text) {
    Result<ServerConfig> c = ParseServerConfig(text, "c.json");
    return c.ok() ? std::string() : c.status().message();
  };
  EXPECT_EQ(error(R"({"profiles": {"required": {"Bed": ["x"]}}})"),
            "c.json: $.profiles.required.Bed: not an R4 resource type");
  EXPECT_EQ(error(R"({"profiles": {"required": {"Location": []}}})"),
            "c.json: $.profiles.required.Location: expected a non-empty array of profile URLs");
  EXPECT_EQ(error(R"({"profiles": {"directories": "x"}})"),
            "c.json: $.profiles.directories: expected an array of folder paths");
  EXPECT_EQ(error(R"({"profiles": {"dirs": []}})"),
            "c.json: $.profiles.dirs: unknown key (known here: directories, required)");
}

TEST(ServerProfiles, DefaultsAreTheShippedRegionalProfiles) {
  Result<std::shared_ptr<const profiles::ProfileRegistry>> r = LoadServerProfiles(ServerConfig{});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_NE((*r)->FindProfile(kBed), nullptr);
  EXPECT_NE((*r)->FindValueSet("https://fhir-engine.example.org/fhir/ValueSet/bed-category"),
            nullptr);
}

TEST(ServerProfiles, ConfiguredFoldersReplaceTheDefaultsAndMustExist) {
  ServerConfig config;
  config.profile_directories = {kRegional + "/terminology"};
  Result<std::shared_ptr<const profiles::ProfileRegistry>> r = LoadServerProfiles(config);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)->FindProfile(kBed), nullptr);
  config.profile_directories = {kRegional + "/no-such-folder"};
  r = LoadServerProfiles(config);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("no-such-folder"), std::string::npos) << r.status().message();
}

TEST(ServerProfiles, RequiredProfilesMustBeLoadedAndOfTheirType) {
  Result<std::shared_ptr<const profiles::ProfileRegistry>> r = LoadServerProfiles(ServerConfig{});
  ASSERT_TRUE(r.ok());
  auto unknown = rest::ProfileConformance::Create(
      *r, {{"Location", {"https://example.org/StructureDefinition/Nope"}}});
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.status().message().find("is not loaded"), std::string::npos);
  auto wrong_type = rest::ProfileConformance::Create(*r, {{"Encounter", {kBed}}});
  ASSERT_FALSE(wrong_type.ok());
  EXPECT_NE(wrong_type.status().message().find("constrains Location, not Encounter"),
            std::string::npos)
      << wrong_type.status().message();
}

TEST(ServerProfiles, CheckRequiredReportsTheRequiredProfilesFindings) {
  Result<std::shared_ptr<const profiles::ProfileRegistry>> r = LoadServerProfiles(ServerConfig{});
  ASSERT_TRUE(r.ok());
  auto conformance = rest::ProfileConformance::Create(*r, {{"Location", {kBed}}});
  ASSERT_TRUE(conformance.ok()) << conformance.status().ToString();
  Result<json::Document> ward =
      json::Parse(R"({"resourceType":"Location","status":"active","name":"Ward"})");
  ASSERT_TRUE(ward.ok());
  validation::IssueCollector sink;
  (*conformance)->CheckRequired(ward->root(), "Location", sink);
  EXPECT_GT(sink.error_count(), 0u);
  bool operational_status = false;
  for (const validation::Issue& i : sink.issues()) {
    operational_status = operational_status || i.expression == "Location.operationalStatus";
  }
  EXPECT_TRUE(operational_status);
  validation::IssueCollector none;
  (*conformance)->CheckRequired(ward->root(), "Organization", none);
  EXPECT_TRUE(none.issues().empty()) << "no profile is required for Organization";
}

}  // namespace
}  // namespace fhirengine::app

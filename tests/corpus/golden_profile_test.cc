// Every resource in every golden mapping output (tests/golden/*/expected.json)
// names a regional profile in meta.profile and validates against it with no
// errors: the shipped mappings produce the regional model. Needs the R4
// package in FHIR_R4_EXAMPLES_DIR for the base definitions.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>

#include "engine/json/json_parser.h"
#include "engine/json/json_writer.h"
#include "engine/profiles/profile_validator.h"

namespace fhirengine::profiles {
namespace {

const std::filesystem::path kSource = FE_SOURCE_DIR;
constexpr std::string_view kRegional = "https://fhir-engine.example.org/fhir/StructureDefinition/";

std::filesystem::path PackageDir() {
  const char* dir = std::getenv("FHIR_R4_EXAMPLES_DIR");
  return dir != nullptr ? dir : "";
}

const ProfileRegistry& Registry() {
  static const ProfileRegistry* registry = [] {
    auto* r = new ProfileRegistry();
    for (const std::filesystem::path& dir :
         {PackageDir(), kSource / "fhir-profiles/regional/snapshots",
          kSource / "fhir-profiles/regional/terminology"}) {
      Status s = r->AddDirectory(dir);
      EXPECT_TRUE(s.ok()) << s.message();
    }
    return r;
  }();
  return *registry;
}

// One compiled validator per profile URL.
const ProfileValidator* Validator(const std::string& url) {
  static std::map<std::string, std::unique_ptr<ProfileValidator>> validators;
  auto it = validators.find(url);
  if (it != validators.end()) return it->second.get();
  auto v = ProfileValidator::Create(Registry(), url);
  if (!v.ok()) return nullptr;
  return validators.emplace(url, std::move(*v)).first->second.get();
}

// The errors of `resource` against its meta.profile, one per line.
std::string Errors(const json::Value& resource) {
  const json::Value* meta = resource.Find("meta");
  const json::Value* profiles = meta != nullptr ? meta->Find("profile") : nullptr;
  if (profiles == nullptr || !profiles->IsArray() || profiles->size() != 1)
    return "no single meta.profile\n";
  const std::string url(profiles->elements()[0].text());
  if (!url.starts_with(kRegional)) return "not a regional profile: " + url + "\n";
  const ProfileValidator* validator = Validator(url);
  if (validator == nullptr) return "cannot compile " + url + "\n";
  validation::IssueCollector sink;
  validator->Validate(resource, sink);
  std::string out;
  for (const validation::Issue& i : sink.issues()) {
    if (i.severity == validation::Severity::kError || i.severity == validation::Severity::kFatal)
      out += i.expression + ": " + i.message + "\n";
  }
  return out;
}

std::string ReadText(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST(GoldenProfiles, EveryGoldenOutputValidatesAgainstTheRegionalProfiles) {
  if (PackageDir().empty()) GTEST_SKIP() << "FHIR_R4_EXAMPLES_DIR not set";
  std::map<std::string, int> by_profile;
  int files = 0;
  for (const auto& dir : std::filesystem::directory_iterator(kSource / "tests/golden")) {
    const std::filesystem::path expected = dir.path() / "expected.json";
    if (!std::filesystem::exists(expected)) continue;
    ++files;
    Result<json::Document> doc = json::Parse(ReadText(expected));
    ASSERT_TRUE(doc.ok()) << expected << ": " << doc.status().message();
    ASSERT_TRUE(doc->root().IsArray()) << expected;
    EXPECT_GT(doc->root().size(), 0u) << expected;
    for (const json::Value& resource : doc->root().elements()) {
      const std::string id(resource.Find("id")->text());
      EXPECT_EQ(Errors(resource), "") << expected << ": " << id;
      by_profile[std::string(resource.Find("meta")->Find("profile")->elements()[0].text())]++;
    }
  }
  EXPECT_GE(files, 5);
  // Every regional profile but RegionalRoom (no dialect has rooms) is exercised.
  for (const char* name :
       {"RegionalOrganization", "RegionalSite", "RegionalWard", "RegionalBed", "RegionalEncounter"})
    EXPECT_GT(by_profile[std::string(kRegional) + name], 0) << name;
}

TEST(GoldenProfiles, AGoldenBedWithoutItsCategoryFails) {
  if (PackageDir().empty()) GTEST_SKIP() << "FHIR_R4_EXAMPLES_DIR not set";
  // The check above can fail: the same validation catches a broken bed.
  Result<json::Document> doc =
      json::Parse(ReadText(kSource / "tests/golden/municipal-csv/expected.json"));
  ASSERT_TRUE(doc.ok());
  const json::Value& bed = doc->root().elements()[3];
  ASSERT_EQ(bed.Find("id")->text(), "kommun-0180-KTA-1");
  ASSERT_EQ(Errors(bed), "");
  std::string text = json::Write(bed);
  const std::string category =
      "\"url\":\"https://fhir-engine.example.org/fhir/StructureDefinition/bed-category\"";
  const std::size_t at = text.find(category);
  ASSERT_NE(at, std::string::npos);
  text.replace(at, category.size(), "\"url\":\"https://example.org/other\"");
  Result<json::Document> broken = json::Parse(text);
  ASSERT_TRUE(broken.ok());
  EXPECT_NE(Errors(broken->root()), "");
}

}  // namespace
}  // namespace fhirengine::profiles

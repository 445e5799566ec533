// The official R4 examples of Location, Organization and Encounter validated
// against their base StructureDefinitions (snapshots from the R4 package):
// no errors, and in particular no false invariant failures. Needs the package
// fetched into FHIR_R4_EXAMPLES_DIR (see tools/fetch_r4_examples.sh).
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "engine/json/json_parser.h"
#include "engine/json/json_writer.h"
#include "engine/profiles/profile_validator.h"

namespace fhirengine::profiles {
namespace {

// Examples that are known to break a base rule of R4 itself (none so far).
const std::set<std::string> kKnownBad = {};

std::filesystem::path PackageDir() {
  const char* dir = std::getenv("FHIR_R4_EXAMPLES_DIR");
  return dir != nullptr ? dir : "";
}

const ProfileRegistry& R4Registry() {
  static const ProfileRegistry* registry = [] {
    auto* r = new ProfileRegistry();
    Status s = r->AddDirectory(PackageDir());
    EXPECT_TRUE(s.ok()) << s.message();
    return r;
  }();
  return *registry;
}

class ProfileCorpusTest : public ::testing::TestWithParam<std::string> {};

TEST_P(ProfileCorpusTest, ExamplesValidateAgainstBaseProfile) {
  if (PackageDir().empty()) GTEST_SKIP() << "FHIR_R4_EXAMPLES_DIR not set";
  const std::string type = GetParam();
  auto validator =
      ProfileValidator::Create(R4Registry(), "http://hl7.org/fhir/StructureDefinition/" + type);
  ASSERT_TRUE(validator.ok()) << validator.status().message();
  int files = 0;
  int failed = 0;
  for (const auto& e : std::filesystem::directory_iterator(PackageDir())) {
    const std::string name = e.path().filename().string();
    if (!name.starts_with(type + "-") || e.path().extension() != ".json") continue;
    std::ifstream in(e.path());
    std::ostringstream text;
    text << in.rdbuf();
    Result<json::Document> doc = json::Parse(text.str());
    ASSERT_TRUE(doc.ok()) << name;
    const json::Value* rt = doc->root().Find("resourceType");
    if (rt == nullptr || !rt->IsString() || rt->text() != type) continue;
    ++files;
    validation::IssueCollector sink;
    (*validator)->Validate(doc->root(), sink);
    std::string errors;
    for (const auto& i : sink.issues()) {
      if (i.severity == validation::Severity::kError ||
          i.severity == validation::Severity::kFatal ||
          i.severity == validation::Severity::kInformation) {
        errors += "\n  " + std::string(validation::SeverityCode(i.severity)) + " " + i.expression +
                  ": " + i.message;
      }
    }
    if (sink.error_count() > 0 && !kKnownBad.contains(name)) {
      ++failed;
      ADD_FAILURE() << name << errors;
    } else if (!errors.empty()) {
      std::cout << name << errors << "\n";
    }
  }
  std::cout << type << ": " << files << " examples, " << failed << " with errors\n";
  EXPECT_GT(files, 0);
}

// The same base profiles do catch what R4 itself forbids: the resource's own
// invariants, ele-1 on an empty element, required bindings to R4 ValueSets and
// the datatypes' own rules below the resource.
std::vector<validation::Issue> ValidateBase(std::string_view type, std::string_view text) {
  auto validator = ProfileValidator::Create(
      R4Registry(), "http://hl7.org/fhir/StructureDefinition/" + std::string(type));
  EXPECT_TRUE(validator.ok());
  Result<json::Document> doc = json::Parse(text);
  EXPECT_TRUE(doc.ok());
  validation::IssueCollector sink;
  if (validator.ok() && doc.ok()) (*validator)->Validate(doc->root(), sink);
  return sink.issues();
}

std::string Show(const std::vector<validation::Issue>& issues) {
  std::string out;
  for (const auto& i : issues) {
    out += std::string(validation::SeverityCode(i.severity)) + " " + i.expression + ": " +
           i.message + "\n";
  }
  return out;
}

TEST(ProfileCorpusBase, CatchesBrokenResources) {
  if (PackageDir().empty()) GTEST_SKIP() << "FHIR_R4_EXAMPLES_DIR not set";
  EXPECT_GT(R4Registry().profile_count(), 600u);
  EXPECT_GT(R4Registry().value_set_count(), 1000u);
  std::string org =
      Show(ValidateBase("Organization", R"({"resourceType":"Organization","active":true})"));
  EXPECT_NE(org.find("error Organization: constraint org-1 failed: The organization SHALL at least "
                     "have a name or an identifier, and possibly more than one"),
            std::string::npos)
      << org;
  std::string loc = Show(ValidateBase(
      "Location",
      R"({"resourceType":"Location","status":"bogus","address":{},)"
      R"("identifier":[{"system":"urn:x","period":{"start":"2020-02-01","end":"2020-01-01"}}]})"));
  EXPECT_NE(loc.find("error Location.status: code bogus is not in the required ValueSet "
                     "http://hl7.org/fhir/ValueSet/location-status"),
            std::string::npos)
      << loc;
  EXPECT_NE(loc.find("error Location.address: constraint ele-1 failed: All FHIR elements must have "
                     "a @value or children"),
            std::string::npos)
      << loc;
  EXPECT_NE(loc.find("error Location.identifier[0].period: constraint per-1 failed"),
            std::string::npos)
      << loc;
}

// dom-3 (a contained resource is referenced from its container) is evaluated
// on the container even when no element of it can hold a reference: the
// unreferenced one fails, the referenced one passes.
TEST(ProfileCorpusBase, Dom3JudgesContainedResources) {
  if (PackageDir().empty()) GTEST_SKIP() << "FHIR_R4_EXAMPLES_DIR not set";
  const std::string unreferenced = Show(ValidateBase(
      "Location", R"({"resourceType":"Location","id":"x","name":"b",)"
                  R"("contained":[{"resourceType":"Organization","id":"o1","name":"H"}]})"));
  EXPECT_EQ(unreferenced.find("could not be evaluated"), std::string::npos) << unreferenced;
  EXPECT_NE(unreferenced.find("error Location: constraint dom-3 failed"), std::string::npos)
      << unreferenced;
  const std::string referenced = Show(ValidateBase(
      "Location", R"({"resourceType":"Location","id":"x","name":"b",)"
                  R"("managingOrganization":{"reference":"#o1"},)"
                  R"("contained":[{"resourceType":"Organization","id":"o1","name":"H"}]})"));
  EXPECT_EQ(referenced.find("dom-3"), std::string::npos) << referenced;
}

// The base definitions plus the regional profiles and terminology
// (fhir-profiles/regional: snapshots made by tools/generate_snapshots.py).
const ProfileRegistry& RegionalRegistry() {
  static const ProfileRegistry* registry = [] {
    auto* r = new ProfileRegistry();
    for (const std::filesystem::path& dir :
         {PackageDir(), std::filesystem::path(FE_SOURCE_DIR) / "fhir-profiles/regional/snapshots",
          std::filesystem::path(FE_SOURCE_DIR) / "fhir-profiles/regional/terminology"}) {
      Status s = r->AddDirectory(dir);
      EXPECT_TRUE(s.ok()) << s.message();
    }
    return r;
  }();
  return *registry;
}

// Issues of severity error (a profile's warnings, such as dom-6's missing
// narrative, are not failures).
std::string Errors(const std::string& profile, const std::string& json) {
  Result<std::unique_ptr<ProfileValidator>> validator =
      ProfileValidator::Create(RegionalRegistry(), profile);
  if (!validator.ok()) return "cannot compile " + profile + ": " + validator.status().message();
  Result<json::Document> doc = json::Parse(json);
  if (!doc.ok()) return doc.status().message();
  validation::IssueCollector sink;
  (*validator)->Validate(doc->root(), sink);
  std::string out;
  for (const validation::Issue& i : sink.issues()) {
    if (i.severity == validation::Severity::kError) out += i.expression + ": " + i.message + "\n";
  }
  return out;
}

std::string ReadText(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST(RegionalProfiles, EveryShippedExampleValidatesAgainstItsProfile) {
  if (PackageDir().empty()) GTEST_SKIP() << "FHIR_R4_EXAMPLES_DIR not set";
  int checked = 0;
  for (const auto& e : std::filesystem::directory_iterator(std::filesystem::path(FE_SOURCE_DIR) /
                                                           "fhir-profiles/regional/examples")) {
    const std::string text = ReadText(e.path());
    Result<json::Document> doc = json::Parse(text);
    ASSERT_TRUE(doc.ok()) << e.path();
    const json::Value* profiles = doc->root().Find("meta")->Find("profile");
    ASSERT_NE(profiles, nullptr) << e.path();
    const std::string profile(profiles->elements()[0].text());
    EXPECT_EQ(Errors(profile, text), "") << e.path() << " against " << profile;
    ++checked;
  }
  EXPECT_GE(checked, 7);
}

TEST(RegionalProfiles, BrokenBedsAreCaughtWithPathAndMessage) {
  if (PackageDir().empty()) GTEST_SKIP() << "FHIR_R4_EXAMPLES_DIR not set";
  const std::string bed_profile =
      "https://fhir-engine.example.org/fhir/StructureDefinition/RegionalBed";
  const std::string bed = ReadText(std::filesystem::path(FE_SOURCE_DIR) /
                                   "fhir-profiles/regional/examples/Location-example-bed.json");
  auto without = [&bed](const std::string& key) {
    Result<json::Document> doc = json::Parse(bed);
    doc->RemoveMember(doc->root(), key);
    return json::Write(doc->root());
  };
  EXPECT_EQ(Errors(bed_profile, without("operationalStatus")),
            "Location.operationalStatus: Location.operationalStatus: minimum required = 1, but "
            "only found 0\n");
  EXPECT_EQ(Errors(bed_profile, without("managingOrganization")),
            "Location.managingOrganization: Location.managingOrganization: minimum required = 1, "
            "but only found 0\n");
  // "reserved" maps down to O: a bed shown as U (free) contradicts it.
  std::string free = bed;
  const std::string occupied = "\"code\": \"O\"";
  free.replace(free.find(occupied), occupied.size(), "\"code\": \"U\"");
  EXPECT_EQ(Errors(bed_profile, free),
            "Location: constraint reg-bed-1 failed: A regional bed status agrees with "
            "operationalStatus (the 0116 code it maps down to)\n");
}

// ext-1 ("Must have either extensions or value[x], not both") on a regional
// bed: an extension with a value and nested extensions, and one with neither,
// are errors; one with only a value, or only nested extensions, is not.
TEST(RegionalProfiles, BedExtensionWithBothOrNeitherFailsExt1) {
  if (PackageDir().empty()) GTEST_SKIP() << "FHIR_R4_EXAMPLES_DIR not set";
  const std::string bed_profile =
      "https://fhir-engine.example.org/fhir/StructureDefinition/RegionalBed";
  const std::string bed = ReadText(std::filesystem::path(FE_SOURCE_DIR) /
                                   "fhir-profiles/regional/examples/Location-example-bed.json");
  // The bed with `extra` after its two shipped extensions (so at [2]).
  auto with_extension = [&bed](const std::string& extra) {
    const std::string end = "\n  ],\n  \"status\"";  // the end of the extension array
    std::string text = bed;
    const std::size_t at = text.find(end);
    EXPECT_NE(at, std::string::npos);
    if (at != std::string::npos) text.insert(at, "," + extra);
    return text;
  };
  const std::string ext1 =
      "Location.extension[2]: constraint ext-1 failed: Must have either extensions or value[x], "
      "not both\n";
  const std::string both = Errors(
      bed_profile, with_extension(R"({"url":"https://example.org/fhir/both","valueString":"v",)"
                                  R"("extension":[{"url":"n","valueInteger":1}]})"));
  EXPECT_NE(both.find(ext1), std::string::npos) << both;
  const std::string neither =
      Errors(bed_profile, with_extension(R"({"url":"https://example.org/fhir/neither"})"));
  EXPECT_NE(neither.find(ext1), std::string::npos) << neither;
  for (const std::string& valid :
       {std::string(R"({"url":"https://example.org/fhir/value","valueString":"v"})"),
        std::string(R"({"url":"https://example.org/fhir/nested",)"
                    R"("extension":[{"url":"n","valueInteger":1}]})")}) {
    EXPECT_EQ(Errors(bed_profile, with_extension(valid)), "") << valid;
  }
}

// Extensions on primitives (`_status` in FHIR JSON: the primitive's id and
// extensions) are checked as on complex elements: ext-1, and the extension's
// own definition when the registry has it.
TEST(RegionalProfiles, PrimitiveExtensionsAreValidated) {
  if (PackageDir().empty()) GTEST_SKIP() << "FHIR_R4_EXAMPLES_DIR not set";
  const std::string bed_profile =
      "https://fhir-engine.example.org/fhir/StructureDefinition/RegionalBed";
  const std::string bed = ReadText(std::filesystem::path(FE_SOURCE_DIR) /
                                   "fhir-profiles/regional/examples/Location-example-bed.json");
  auto with_status_extension = [&bed](const std::string& extension) {
    const std::string status = "\"status\": \"active\",";
    std::string text = bed;
    const std::size_t at = text.find(status);
    EXPECT_NE(at, std::string::npos);
    if (at != std::string::npos) {
      text.insert(at + status.size(), "\"_status\": {\"extension\": [" + extension + "]},");
    }
    return text;
  };
  EXPECT_EQ(
      Errors(bed_profile, with_status_extension(R"({"url":"https://example.org/fhir/both",)"
                                                R"("valueString":"v",)"
                                                R"("extension":[{"url":"n","valueInteger":1}]})")),
      "Location.status.extension[0]: constraint ext-1 failed: Must have either extensions "
      "or value[x], not both\n");
  // bed-status takes a Coding, not a string.
  const std::string wrong_type =
      Errors(bed_profile,
             with_status_extension(
                 R"({"url":"https://fhir-engine.example.org/fhir/StructureDefinition/bed-status",)"
                 R"("valueString":"reserved"})"));
  EXPECT_NE(wrong_type.find("Location.status.extension[0].valueString: type String is not allowed"),
            std::string::npos)
      << wrong_type;
  EXPECT_EQ(
      Errors(bed_profile,
             with_status_extension(R"({"url":"https://example.org/fhir/note","valueString":"v"})")),
      "");
  // An extension without a url, and a primitive with neither value nor extension.
  const std::string no_url = Errors(bed_profile, with_status_extension(R"({"valueString":"v"})"));
  EXPECT_NE(no_url.find("Location.status.extension[0].url: Extension.url: minimum required = 1"),
            std::string::npos)
      << no_url;
  Result<json::Document> doc = json::Parse(bed);
  ASSERT_TRUE(doc.ok());
  doc->RemoveMember(doc->root(), "status");
  std::string id_only = json::Write(doc->root());
  id_only.insert(id_only.size() - 1, R"(,"_status":{"id":"s1"})");
  const std::string ele1 = Errors(bed_profile, id_only);
  EXPECT_NE(ele1.find("Location.status: constraint ele-1 failed"), std::string::npos) << ele1;
}

// An invariant that two definitions carry for the same node (ext-1 from the
// profile's Location.extension and from Extension itself) is reported once.
TEST(RegionalProfiles, InvariantFailureReportedOncePerNode) {
  if (PackageDir().empty()) GTEST_SKIP() << "FHIR_R4_EXAMPLES_DIR not set";
  const std::string bed = ReadText(std::filesystem::path(FE_SOURCE_DIR) /
                                   "fhir-profiles/regional/examples/Location-example-bed.json");
  const std::string end = "\n  ],\n  \"status\"";
  std::string text = bed;
  text.insert(text.find(end), R"(,{"url":"https://example.org/fhir/neither"})");
  EXPECT_EQ(Errors("https://fhir-engine.example.org/fhir/StructureDefinition/RegionalBed", text),
            "Location.extension[2]: constraint ext-1 failed: Must have either extensions or "
            "value[x], not both\n");
}

// Every issue, of any severity, as "severity path: message" lines.
std::string AllIssues(const std::string& profile, const std::string& json) {
  Result<std::unique_ptr<ProfileValidator>> validator =
      ProfileValidator::Create(RegionalRegistry(), profile);
  if (!validator.ok()) return "cannot compile " + profile + ": " + validator.status().message();
  Result<json::Document> doc = json::Parse(json);
  if (!doc.ok()) return doc.status().message();
  validation::IssueCollector sink;
  (*validator)->Validate(doc->root(), sink);
  return Show(sink.issues());
}

// A contained resource is checked against its own type's base definition
// (org-1, ext-1 on its extensions), and the bed's dom-3 (every contained
// resource is referenced from the container) evaluates without error.
TEST(RegionalProfiles, ContainedResourcesAreValidatedAgainstTheirType) {
  if (PackageDir().empty()) GTEST_SKIP() << "FHIR_R4_EXAMPLES_DIR not set";
  const std::string bed_profile =
      "https://fhir-engine.example.org/fhir/StructureDefinition/RegionalBed";
  const std::string bed = ReadText(std::filesystem::path(FE_SOURCE_DIR) /
                                   "fhir-profiles/regional/examples/Location-example-bed.json");
  auto with_contained = [&bed](const std::string& organization) {
    std::string text = bed;
    const std::string managing = R"("reference": "Organization/example-hospital")";
    const std::size_t at = text.find(managing);
    EXPECT_NE(at, std::string::npos);
    if (at != std::string::npos) text.replace(at, managing.size(), R"("reference": "#org1")");
    text.insert(text.rfind('}'), R"(,"contained":[)" + organization + "]");
    return text;
  };
  const std::string valid = AllIssues(
      bed_profile, with_contained(R"({"resourceType":"Organization","id":"org1","name":"H"})"));
  EXPECT_EQ(valid.find("error"), std::string::npos) << valid;
  EXPECT_EQ(valid.find("could not be evaluated"), std::string::npos) << valid;
  // dom-6 (narrative) does not apply to it: dom-1 forbids narrative there.
  EXPECT_EQ(valid.find("Location.contained[0]: constraint dom-6"), std::string::npos) << valid;
  const std::string both =
      Errors(bed_profile,
             with_contained(R"({"resourceType":"Organization","id":"org1","name":"H",)"
                            R"("extension":[{"url":"https://example.org/x","valueString":"v",)"
                            R"("extension":[{"url":"n","valueInteger":1}]}]})"));
  EXPECT_EQ(both,
            "Location.contained[0].extension[0]: constraint ext-1 failed: Must have either "
            "extensions or value[x], not both\n");
  const std::string nameless =
      Errors(bed_profile, with_contained(R"({"resourceType":"Organization","id":"org1"})"));
  EXPECT_NE(nameless.find("Location.contained[0]: constraint org-1 failed"), std::string::npos)
      << nameless;
}

INSTANTIATE_TEST_SUITE_P(R4, ProfileCorpusTest,
                         ::testing::Values("Location", "Organization", "Encounter"));

}  // namespace
}  // namespace fhirengine::profiles

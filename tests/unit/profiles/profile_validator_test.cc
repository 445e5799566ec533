// ProfileValidator against the small test profiles in data/: one deliberately
// broken bed Location per rule kind, each caught with its path and message.
#include "engine/profiles/profile_validator.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "engine/json/json_parser.h"

namespace fhirengine::profiles {
namespace {

using ::testing::HasSubstr;
using validation::Issue;
using validation::Severity;

constexpr std::string_view kProfile =
    "http://example.org/fhir/StructureDefinition/test-bed-location";
const std::string kDataDir = std::string(FE_SOURCE_DIR) + "/tests/unit/profiles/data";

std::string ReadText(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string Replace(std::string text, std::string_view from, std::string_view to) {
  auto at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) text.replace(at, from.size(), to);
  return text;
}

class ProfileValidatorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(registry_.AddDirectory(kDataDir).ok());
    auto v = ProfileValidator::Create(registry_, kProfile);
    ASSERT_TRUE(v.ok()) << v.status().message();
    validator_ = std::move(*v);
    valid_ = ReadText(kDataDir + "/Location-valid-bed.json");
  }

  std::vector<Issue> Validate(const std::string& text) {
    Result<json::Document> doc = json::Parse(text);
    EXPECT_TRUE(doc.ok()) << doc.status().message();
    validation::IssueCollector sink;
    if (doc.ok()) validator_->Validate(doc->root(), sink);
    return sink.issues();
  }

  // The issues other than the malformed-invariant note every run carries.
  static std::vector<Issue> Findings(const std::vector<Issue>& all) {
    std::vector<Issue> out;
    for (const Issue& i : all) {
      if (i.message.find("tbl-3") == std::string::npos) out.push_back(i);
    }
    return out;
  }

  void ExpectOnly(const std::string& text, Severity severity, std::string_view expression,
                  std::string_view message) {
    std::vector<Issue> found = Findings(Validate(text));
    ASSERT_EQ(found.size(), 1u) << (found.empty()
                                        ? ""
                                        : found[0].message + " / " + found.back().message);
    EXPECT_EQ(found[0].severity, severity);
    EXPECT_EQ(found[0].expression, expression);
    EXPECT_EQ(found[0].message, message);
  }

  ProfileRegistry registry_;
  std::unique_ptr<ProfileValidator> validator_;
  std::string valid_;
};

TEST_F(ProfileValidatorTest, ValidBedHasNoFindings) {
  std::vector<Issue> all = Validate(valid_);
  EXPECT_TRUE(Findings(all).empty())
      << Findings(all)[0].expression << ": " << Findings(all)[0].message;
}

TEST_F(ProfileValidatorTest, MalformedInvariantIsReportedAsInformationAndSkipped) {
  std::vector<Issue> all = Validate(valid_);
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].severity, Severity::kInformation);
  EXPECT_EQ(all[0].expression, "Location");
  EXPECT_THAT(all[0].message,
              HasSubstr("constraint tbl-3 skipped: its expression does not compile"));
}

TEST_F(ProfileValidatorTest, MissingRequiredElement) {
  std::string text = Replace(valid_, "\"physicalType\"", "\"physicalTypeX\"");
  text = Replace(text, "\"mode\": \"instance\",", "");
  std::vector<Issue> found = Findings(Validate(text));
  ASSERT_GE(found.size(), 1u);
  EXPECT_EQ(found[0].expression, "Location.physicalType");
  EXPECT_EQ(found[0].message, "Location.physicalType: minimum required = 1, but only found 0");
  EXPECT_EQ(found[0].severity, Severity::kError);
}

TEST_F(ProfileValidatorTest, TooManyRepetitions) {
  ExpectOnly(Replace(valid_, "\"name\": \"Bed 101\"", "\"name\": [\"Bed 101\", \"Bed 102\"]"),
             Severity::kError, "Location.name", "Location.name: maximum allowed = 1, but found 2");
}

TEST_F(ProfileValidatorTest, WrongJsonKind) {
  ExpectOnly(Replace(valid_, "\"name\": \"Bed 101\"", "\"name\": 101"), Severity::kError,
             "Location.name", "expected string, found a number");
}

TEST_F(ProfileValidatorTest, ReferenceToWrongTargetType) {
  ExpectOnly(Replace(valid_, "Organization/hospital-1", "Patient/p-1"), Severity::kError,
             "Location.managingOrganization",
             "reference to a Patient is not allowed here (allowed targets: Organization)");
}

TEST_F(ProfileValidatorTest, AbsoluteReferenceTypeIsChecked) {
  ExpectOnly(Replace(valid_, "Location/ward-3", "https://other.example/fhir/Device/d-1/_history/2"),
             Severity::kError, "Location.partOf",
             "reference to a Device is not allowed here (allowed targets: Location)");
}

TEST_F(ProfileValidatorTest, FixedValueMismatch) {
  ExpectOnly(Replace(valid_, "\"mode\": \"instance\"", "\"mode\": \"kind\""), Severity::kError,
             "Location.mode", "value must be exactly \"instance\" (fixed), found \"kind\"");
}

TEST_F(ProfileValidatorTest, PatternMismatch) {
  std::vector<Issue> found =
      Findings(Validate(Replace(valid_, "\"code\": \"bd\"", "\"code\": \"ro\"")));
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].expression, "Location.physicalType");
  EXPECT_THAT(found[0].message, HasSubstr("value does not match the pattern {\"coding\":"));
  EXPECT_THAT(found[0].message, HasSubstr("\"code\":\"ro\""));
}

TEST_F(ProfileValidatorTest, PatternAllowsExtraContent) {
  // The pattern is a subset: extra codings and displays still match.
  std::string text = Replace(valid_, "\"display\": \"Bed\"}]",
                             "\"display\": \"Bed\"}, {\"system\": \"urn:x\", \"code\": \"y\"}]");
  EXPECT_TRUE(Findings(Validate(text)).empty());
}

TEST_F(ProfileValidatorTest, MissingSlice) {
  ExpectOnly(Replace(valid_, "http://example.org/fhir/sid/bed-id", "http://example.org/fhir/sid/x"),
             Severity::kError, "Location.identifier",
             "Location.identifier: slice 'bedId' requires at least 1, but found 0");
}

TEST_F(ProfileValidatorTest, RequiredSliceCountedWithoutAnyItems) {
  std::string text = valid_;
  auto from = text.find("\"identifier\"");
  auto to = text.find("\"status\"");
  ASSERT_LT(from, to);
  text.erase(from, to - from);
  ExpectOnly(text, Severity::kError, "Location.identifier",
             "Location.identifier: slice 'bedId' requires at least 1, but found 0");
}

TEST_F(ProfileValidatorTest, SliceOwnConstraintsApply) {
  ExpectOnly(Replace(valid_, ", \"value\": \"B-101\"", ""), Severity::kError,
             "Location.identifier[0].value",
             "Location.identifier.value: minimum required = 1, but only found 0");
}

TEST_F(ProfileValidatorTest, ClosedSlicingRejectsUnmatched) {
  std::string sd = ReadText(kDataDir + "/StructureDefinition-test-bed-location.json");
  sd = Replace(sd, "\"path\": \"system\"}], \"rules\": \"open\"",
               "\"path\": \"system\"}], \"rules\": \"closed\"");
  Result<json::Document> doc = json::Parse(sd);
  ASSERT_TRUE(doc.ok());
  ASSERT_TRUE(registry_.Add(std::make_shared<const json::Document>(std::move(*doc))).ok());
  auto closed = ProfileValidator::Create(registry_, kProfile);
  ASSERT_TRUE(closed.ok());
  validator_ = std::move(*closed);
  ExpectOnly(valid_, Severity::kError, "Location.identifier[1]",
             "Location.identifier: this element matches no slice, and the slicing is closed");
}

TEST_F(ProfileValidatorTest, ExtensionCheckedAgainstItsDefinition) {
  std::vector<Issue> found =
      Findings(Validate(Replace(valid_, "\"valueUnsignedInt\": 1", "\"valueString\": \"1\"")));
  ASSERT_EQ(found.size(), 2u);
  EXPECT_EQ(found[0].expression, "Location.extension[0].valueString");
  EXPECT_EQ(found[0].message,
            "type String is not allowed for Extension.value[x] (allowed: unsignedInt)");
  EXPECT_EQ(found[1].expression, "Location.extension[0].value");
  EXPECT_EQ(found[1].message, "Extension.value[x]: minimum required = 1, but only found 0");
}

TEST_F(ProfileValidatorTest, ExtensionValueKindChecked) {
  ExpectOnly(Replace(valid_, "\"valueUnsignedInt\": 1", "\"valueUnsignedInt\": \"1\""),
             Severity::kError, "Location.extension[0].valueUnsignedInt",
             "expected unsignedInt, found a string");
}

TEST_F(ProfileValidatorTest, RequiredBindingViolationIsError) {
  ExpectOnly(Replace(valid_, "\"status\": \"active\"", "\"status\": \"inactive\""),
             Severity::kError, "Location.status",
             "code inactive is not in the required ValueSet "
             "http://example.org/fhir/ValueSet/test-bed-status");
}

TEST_F(ProfileValidatorTest, ExtensibleBindingViolationIsWarning) {
  ExpectOnly(Replace(valid_, "\"code\": \"icu\"", "\"code\": \"nursery\""), Severity::kWarning,
             "Location.type[0]",
             "code http://example.org/fhir/CodeSystem/test-bed-type|nursery is not in the "
             "extensible ValueSet http://example.org/fhir/ValueSet/test-bed-type");
}

TEST_F(ProfileValidatorTest, ErrorInvariant) {
  ExpectOnly(Replace(valid_, "\"mode\": \"instance\",", ""), Severity::kError, "Location",
             "constraint tbl-1 failed: A bed location must have a mode");
}

TEST_F(ProfileValidatorTest, WarningInvariant) {
  ExpectOnly(Replace(valid_, "\"name\": \"Bed 101\",", ""), Severity::kWarning, "Location",
             "constraint tbl-2 failed: A bed location should have a name");
}

TEST_F(ProfileValidatorTest, WrongResourceType) {
  ExpectOnly(Replace(valid_, "\"resourceType\": \"Location\"", "\"resourceType\": \"Device\""),
             Severity::kError, "Location",
             "profile http://example.org/fhir/StructureDefinition/test-bed-location applies to "
             "Location resources");
}

TEST_F(ProfileValidatorTest, UnknownProfileIsNotFound) {
  auto v = ProfileValidator::Create(registry_, "http://example.org/none");
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.status().code(), StatusCode::kNotFound);
}

TEST(ProfileRegistry, ValueSetMembership) {
  ProfileRegistry registry;
  ASSERT_TRUE(registry.AddDirectory(kDataDir).ok());
  const std::string vs = "http://example.org/fhir/ValueSet/test-bed-status";
  EXPECT_EQ(registry.ValueSetContains(vs, "", "active"), Membership::kMember);
  EXPECT_EQ(registry.ValueSetContains(vs, "http://hl7.org/fhir/location-status", "suspended"),
            Membership::kMember);
  EXPECT_EQ(registry.ValueSetContains(vs, "urn:other", "active"), Membership::kNotMember);
  EXPECT_EQ(registry.ValueSetContains(vs, "", "inactive"), Membership::kNotMember);
  EXPECT_EQ(registry.ValueSetContains("http://example.org/none", "", "x"), Membership::kUnknown);
  EXPECT_EQ(registry.profile_count(), 2u);
}

TEST(ProfileRegistry, StructureDefinitionWithoutSnapshotIsRejected) {
  ProfileRegistry registry;
  Result<json::Document> doc = json::Parse(
      R"({"resourceType":"StructureDefinition","url":"http://x/sd","type":"Location"})");
  ASSERT_TRUE(doc.ok());
  Status s = registry.Add(std::make_shared<const json::Document>(std::move(*doc)));
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("has no snapshot"));
}

}  // namespace
}  // namespace fhirengine::profiles

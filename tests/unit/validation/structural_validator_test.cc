// Structural validation: each rule, with the issue's code, path and message.
#include "engine/validation/structural_validator.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "engine/json/json_parser.h"
#include "engine/json/json_writer.h"
#include "engine/validation/operation_outcome.h"

namespace fhirengine::validation {
namespace {

using ::testing::HasSubstr;

std::vector<Issue> Validate(const std::string& text) {
  Result<json::Document> doc = json::Parse(text);
  EXPECT_TRUE(doc.ok()) << doc.status().ToString();
  IssueCollector issues;
  if (doc.ok()) EXPECT_TRUE(ValidateStructure(doc->root(), issues).ok());
  return issues.issues();
}

// The one issue expected from `text`.
Issue OneIssue(const std::string& text) {
  std::vector<Issue> issues = Validate(text);
  EXPECT_EQ(issues.size(), 1u) << text;
  return issues.empty() ? Issue{} : issues[0];
}

constexpr const char* kBed = R"({
  "resourceType": "Location",
  "id": "bed-1",
  "status": "active",
  "operationalStatus": {"system": "http://terminology.hl7.org/CodeSystem/v2-0116", "code": "U"},
  "name": "Bed 1",
  "physicalType": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/location-physical-type", "code": "bd"}]},
  "position": {"longitude": 20.26, "latitude": 63.83},
  "partOf": {"reference": "Location/ward-7"}
})";

TEST(StructuralValidator, AcceptsAValidBed) { EXPECT_TRUE(Validate(kBed).empty()); }

TEST(StructuralValidator, UnknownElementWithPath) {
  Issue issue = OneIssue(
      R"({"resourceType":"Location","position":{"latitude":1,"longitude":2,"altitude2":3}})");
  EXPECT_EQ(issue.type, IssueType::kStructure);
  EXPECT_EQ(issue.expression, "Location.position.altitude2");
  EXPECT_THAT(issue.message, HasSubstr("unknown element 'altitude2'"));
}

TEST(StructuralValidator, WrongJsonTypeForPrimitive) {
  Issue issue =
      OneIssue(R"({"resourceType":"Location","position":{"latitude":"63.8","longitude":20}})");
  EXPECT_EQ(issue.expression, "Location.position.latitude");
  EXPECT_EQ(issue.type, IssueType::kStructure);
  EXPECT_THAT(issue.message, HasSubstr("a decimal value must be a number in JSON, found a string"));
  Issue boolean = OneIssue(R"({"resourceType":"Patient","active":"true"})");
  EXPECT_THAT(boolean.message, HasSubstr("must be a boolean"));
  Issue str = OneIssue(R"({"resourceType":"Location","name":7})");
  EXPECT_THAT(str.message, HasSubstr("a string value must be a string in JSON, found a number"));
}

TEST(StructuralValidator, PrimitiveLexicalForm) {
  Issue issue = OneIssue(
      R"({"resourceType":"Encounter","status":"planned","class":{"code":"IMP"},"period":{"start":"2024-02-30"}})");
  EXPECT_EQ(issue.type, IssueType::kValue);
  EXPECT_EQ(issue.expression, "Encounter.period.start");
  EXPECT_THAT(issue.message, HasSubstr("invalid dateTime value '2024-02-30'"));
  Issue id = OneIssue(R"({"resourceType":"Location","id":"bed 1"})");
  EXPECT_EQ(id.expression, "Location.id");
}

TEST(StructuralValidator, RequiredElements) {
  Issue issue = OneIssue(R"({"resourceType":"Encounter","class":{"code":"IMP"}})");
  EXPECT_EQ(issue.type, IssueType::kRequired);
  EXPECT_EQ(issue.expression, "Encounter.status");
  EXPECT_THAT(issue.message, HasSubstr("'status' is required (min 1), found 0"));
  // A primitive present only through its extension counts as present.
  EXPECT_TRUE(Validate(R"({"resourceType":"Encounter","class":{"code":"IMP"},
      "_status":{"extension":[{"url":"http://hl7.org/fhir/StructureDefinition/data-absent-reason","valueCode":"unknown"}]}})")
                  .empty());
}

TEST(StructuralValidator, ArraysAndSingles) {
  Issue single = OneIssue(R"({"resourceType":"Location","name":["a"]})");
  EXPECT_THAT(single.message, HasSubstr("does not repeat"));
  Issue array = OneIssue(R"({"resourceType":"Location","alias":"a"})");
  EXPECT_THAT(array.message, HasSubstr("repeats: it must be a JSON array"));
  EXPECT_EQ(array.expression, "Location.alias");
}

TEST(StructuralValidator, EmptyValues) {
  EXPECT_THAT(OneIssue(R"({"resourceType":"Location","alias":[]})").message,
              HasSubstr("empty array"));
  EXPECT_THAT(OneIssue(R"({"resourceType":"Location","position":{}})").message,
              HasSubstr("empty object"));
  EXPECT_THAT(OneIssue(R"({"resourceType":"Location","name":""})").message,
              HasSubstr("empty value"));
  EXPECT_THAT(OneIssue(R"({"resourceType":"Location","name":null})").message, HasSubstr("null"));
}

TEST(StructuralValidator, ResourceTypes) {
  EXPECT_EQ(OneIssue(R"({"resourceType":"Bed"})").type, IssueType::kNotSupported);
  EXPECT_THAT(OneIssue(R"({"resourceType":"DomainResource"})").message, HasSubstr("abstract"));
  EXPECT_THAT(OneIssue(R"({"id":"x"})").message, HasSubstr("missing 'resourceType'"));
  EXPECT_THAT(OneIssue(R"([])").message, HasSubstr("must be a JSON object"));
  // resourceType inside a datatype is not allowed.
  EXPECT_EQ(
      OneIssue(
          R"({"resourceType":"Location","position":{"resourceType":"X","latitude":1,"longitude":1}})")
          .expression,
      "Location.position.resourceType");
}

TEST(StructuralValidator, ChoiceTypes) {
  EXPECT_TRUE(
      Validate(
          R"({"resourceType":"Observation","status":"final","code":{"text":"x"},"valueQuantity":{"value":1.50}})")
          .empty());
  Issue two = OneIssue(
      R"({"resourceType":"Observation","status":"final","code":{"text":"x"},"valueString":"a","valueBoolean":true})");
  EXPECT_THAT(two.message, HasSubstr("more than one type given for choice element 'value[x]'"));
  Issue bare = OneIssue(
      R"({"resourceType":"Observation","status":"final","code":{"text":"x"},"value":"a"})");
  EXPECT_THAT(bare.message, HasSubstr("unknown element 'value'"));
}

TEST(StructuralValidator, PrimitiveExtensionsAndAlignment) {
  EXPECT_TRUE(Validate(R"({"resourceType":"Patient","name":[{"given":["A",null],
      "_given":[null,{"extension":[{"url":"http://x.org/e","valueString":"v"}]}]}]})")
                  .empty());
  Issue both_null = OneIssue(
      R"({"resourceType":"Patient","name":[{"given":["A",null],"_given":[{"id":"a"},null]}]})");
  EXPECT_THAT(both_null.message, HasSubstr("null in both"));
  EXPECT_EQ(both_null.expression, "Patient.name[0].given[1]");
  Issue mismatch =
      OneIssue(R"({"resourceType":"Patient","name":[{"given":["A","B"],"_given":[{"id":"a"}]}]})");
  EXPECT_THAT(mismatch.message, HasSubstr("same number of entries"));
  Issue complex = OneIssue(R"({"resourceType":"Location","_position":{"id":"a"}})");
  EXPECT_THAT(complex.message, HasSubstr("unknown element '_position'"));
  Issue value_in_twin = OneIssue(R"({"resourceType":"Location","_name":{"value":"x"}})");
  EXPECT_THAT(value_in_twin.message, HasSubstr("unknown element 'value'"));
}

TEST(StructuralValidator, ContainedAndBundledResources) {
  Issue contained =
      OneIssue(R"({"resourceType":"Encounter","status":"planned","class":{"code":"IMP"},
      "contained":[{"resourceType":"Location","id":"l","mode":"instance "}]})");
  EXPECT_EQ(contained.expression, "Encounter.contained[0].mode");
  EXPECT_THAT(contained.message, HasSubstr("invalid code value"));
  Issue bundled = OneIssue(R"({"resourceType":"Bundle","type":"collection",
      "entry":[{"resource":{"resourceType":"Location"}},{"resource":{"resourceType":"Encounter","class":{"code":"IMP"}}}]})");
  EXPECT_EQ(bundled.expression, "Bundle.entry[1].resource.status");
}

TEST(StructuralValidator, OperationOutcomeCarriesEveryIssue) {
  std::vector<Issue> issues = Validate(R"({"resourceType":"Encounter","foo":1})");
  ASSERT_EQ(issues.size(), 3u);  // foo, status, class
  json::Document doc;
  json::Value oo = ToOperationOutcome(issues, doc);
  const std::string text = json::Write(oo);
  EXPECT_THAT(text, HasSubstr(R"("resourceType":"OperationOutcome")"));
  EXPECT_THAT(
      text,
      HasSubstr(
          R"("severity":"error","code":"structure","diagnostics":"unknown element 'foo'","expression":["Encounter.foo"])"));
  EXPECT_THAT(text, HasSubstr(R"("code":"required")"));
  // And the OperationOutcome is itself a valid resource.
  Result<json::Document> reparsed = json::Parse(text);
  ASSERT_TRUE(reparsed.ok());
  IssueCollector self;
  ASSERT_TRUE(ValidateStructure(reparsed->root(), self).ok());
  EXPECT_EQ(self.error_count(), 0u);
}

}  // namespace
}  // namespace fhirengine::validation

namespace fhirengine::validation {
namespace {

TEST(StructuralValidator, BoundsTheNumberOfIssues) {
  std::string text = R"({"resourceType":"Location","alias":[)";
  for (int i = 0; i < 5000; ++i) text += (i ? ",null" : "null");
  text += "]}";
  std::vector<Issue> issues = Validate(text);
  ASSERT_EQ(issues.size(), 1001u);
  EXPECT_EQ(issues.back().type, IssueType::kTooCostly);
  EXPECT_THAT(issues.back().message, HasSubstr("more than 1000 issues"));
}

TEST(StructuralValidator, MessagesReadWell) {
  EXPECT_THAT(OneIssue(R"({"resourceType":"Location","id":7})").message,
              HasSubstr("an id value must be a string"));
  EXPECT_THAT(OneIssue(R"({"resourceType":"Location","name":"a\u0001b"})").message,
              HasSubstr("'a\\u0001b'"));
  EXPECT_THAT(OneIssue(R"({"resourceType":42})").message,
              HasSubstr("'resourceType' must be a string naming the type, found a number"));
}

}  // namespace
}  // namespace fhirengine::validation

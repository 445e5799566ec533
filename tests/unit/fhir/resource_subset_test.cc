// The _summary and _elements subsets, checked on the shapes of the official
// R4 examples (Patient-example, Observation-example-bmi/-bp, Location-1)
// with synthetic values: exact output, member order included.
#include "engine/fhir/resource_subset.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "engine/json/json_parser.h"
#include "engine/json/json_writer.h"

namespace fhirengine::fhir {
namespace {

constexpr std::string_view kTag =
    R"({"system":"http://terminology.hl7.org/CodeSystem/v3-ObservationValue",)"
    R"("code":"SUBSETTED","display":"subsetted"})";

std::string WithTag(std::string_view before, std::string_view after) {
  return std::string(before) + std::string(kTag) + std::string(after);
}

// The compact JSON of `input` after _summary=`mode`.
std::string Summary(std::string_view input, SummaryMode mode, bool* subsetted = nullptr) {
  Result<json::Document> doc = json::Parse(input);
  EXPECT_TRUE(doc.ok()) << doc.status().ToString();
  if (!doc.ok()) return "";
  Result<SubsetOutcome> outcome = ApplySummary(*doc, doc->root(), mode);
  EXPECT_TRUE(outcome.ok()) << outcome.status().ToString();
  if (!outcome.ok()) return "";
  if (subsetted != nullptr) *subsetted = outcome->subsetted;
  return json::Write(doc->root());
}

std::string Elements(std::string_view input, std::vector<std::string> names,
                     std::vector<std::string>* unknown = nullptr) {
  Result<json::Document> doc = json::Parse(input);
  EXPECT_TRUE(doc.ok()) << doc.status().ToString();
  if (!doc.ok()) return "";
  Result<SubsetOutcome> outcome = ApplyElements(*doc, doc->root(), names);
  EXPECT_TRUE(outcome.ok()) << outcome.status().ToString();
  if (!outcome.ok()) return "";
  if (unknown != nullptr) *unknown = outcome->unknown_elements;
  return json::Write(doc->root());
}

// Patient-example's shape: narrative, a resource extension, an identifier
// with its own extension, primitive extensions, choices, backbones.
constexpr std::string_view kPatient =
    R"({"resourceType":"Patient","id":"example","meta":{"versionId":"3"},)"
    R"("text":{"status":"generated","div":"<div xmlns=\"http://www.w3.org/1999/xhtml\">p</div>"},)"
    R"("extension":[{"url":"http://example.org/fhir/ext","valueString":"x"}],)"
    R"("identifier":[{"extension":[{"url":"http://example.org/fhir/id-ext","valueCode":"a"}],)"
    R"("use":"usual","system":"urn:oid:1.2.36.146.595.217.0.1","value":"12345"}],)"
    R"("active":true,"name":[{"use":"official","family":"Family1","given":["G1",null],)"
    R"("_given":[null,{"extension":[{"url":"http://example.org/fhir/g","valueCode":"b"}]}]}],)"
    R"("gender":"male","birthDate":"1974-12-25","_birthDate":{"extension":[{"url":)"
    R"("http://hl7.org/fhir/StructureDefinition/patient-birthTime","valueDateTime":)"
    R"("1974-12-25T14:35:45-05:00"}]},"deceasedBoolean":false,)"
    R"("maritalStatus":{"text":"unknown"},"multipleBirthInteger":2,)"
    R"("contact":[{"relationship":[{"coding":[{"system":)"
    R"("http://terminology.hl7.org/CodeSystem/v2-0131","code":"N"}]}],"gender":"female"}],)"
    R"("communication":[{"language":{"text":"sv"}}],)"
    R"("managingOrganization":{"reference":"Organization/1"},)"
    R"("link":[{"modifierExtension":[{"url":"http://example.org/fhir/m","valueBoolean":true}],)"
    R"("other":{"reference":"Patient/pat2"},"type":"seealso"}]})";

TEST(ResourceSubset, SummaryTrueKeepsSummaryElementsRecursively) {
  bool subsetted = false;
  EXPECT_EQ(
      Summary(kPatient, SummaryMode::kTrue, &subsetted),
      WithTag(R"({"resourceType":"Patient","id":"example","meta":{"versionId":"3","tag":[)",
              // Identifier.extension is not a summary element of the datatype.
              R"(]},"identifier":[{"use":"usual","system":"urn:oid:1.2.36.146.595.217.0.1",)"
              R"("value":"12345"}],"active":true,"name":[{"use":"official","family":"Family1",)"
              R"("given":["G1",null],"_given":[null,{"extension":[{"url":)"
              R"("http://example.org/fhir/g","valueCode":"b"}]}]}],"gender":"male",)"
              R"("birthDate":"1974-12-25","_birthDate":{"extension":[{"url":)"
              R"("http://hl7.org/fhir/StructureDefinition/patient-birthTime","valueDateTime":)"
              R"("1974-12-25T14:35:45-05:00"}]},"deceasedBoolean":false,)"
              R"("managingOrganization":{"reference":"Organization/1"},)"
              // modifierExtension is summary in a backbone, and kept whole.
              R"("link":[{"modifierExtension":[{"url":"http://example.org/fhir/m",)"
              R"("valueBoolean":true}],"other":{"reference":"Patient/pat2"},"type":"seealso"}]})"));
  EXPECT_TRUE(subsetted);
}

TEST(ResourceSubset, SummaryTextKeepsTextIdMetaAndMandatoryTopLevel) {
  // Patient has no mandatory top-level element.
  EXPECT_EQ(Summary(kPatient, SummaryMode::kText),
            WithTag(R"({"resourceType":"Patient","id":"example","meta":{"versionId":"3","tag":[)",
                    R"(]},"text":{"status":"generated","div":)"
                    R"("<div xmlns=\"http://www.w3.org/1999/xhtml\">p</div>"}})"));
}

TEST(ResourceSubset, SummaryDataDropsOnlyText) {
  Result<json::Document> expected = json::Parse(kPatient);
  ASSERT_TRUE(expected.ok());
  ASSERT_TRUE(expected->RemoveMember(expected->root(), "text"));
  const std::string data = Summary(kPatient, SummaryMode::kData);
  std::string want = json::Write(expected->root());
  // The tag is the only addition.
  const std::string meta_before = R"("meta":{"versionId":"3"})";
  want.replace(want.find(meta_before), meta_before.size(),
               WithTag(R"("meta":{"versionId":"3","tag":[)", "]}"));
  EXPECT_EQ(data, want);
}

TEST(ResourceSubset, SummaryFalseChangesNothing) {
  bool subsetted = true;
  Result<json::Document> original = json::Parse(kPatient);
  ASSERT_TRUE(original.ok());
  EXPECT_EQ(Summary(kPatient, SummaryMode::kFalse, &subsetted), json::Write(original->root()));
  EXPECT_FALSE(subsetted);
}

// Observation-example-bp's shape: a component array with choice values, a
// reference range (not summary), mandatory status and code.
constexpr std::string_view kObservation =
    R"({"resourceType":"Observation","id":"bp",)"
    R"("text":{"status":"generated","div":"<div xmlns=\"http://www.w3.org/1999/xhtml\">bp</div>"},)"
    R"("status":"final","category":[{"coding":[{"system":)"
    R"("http://terminology.hl7.org/CodeSystem/observation-category","code":"vital-signs"}]}],)"
    R"("code":{"coding":[{"system":"http://loinc.org","code":"85354-9"}]},)"
    R"("subject":{"reference":"Patient/example"},"effectiveDateTime":"2012-09-17",)"
    R"("interpretation":[{"text":"low"}],"bodySite":{"text":"arm"},)"
    R"("component":[{"code":{"coding":[{"system":"http://loinc.org","code":"8480-6"}]},)"
    R"("valueQuantity":{"value":107,"unit":"mmHg","system":"http://unitsofmeasure.org",)"
    R"("code":"mm[Hg]"},"interpretation":[{"text":"normal"}]},)"
    R"({"code":{"text":"diastolic"},"dataAbsentReason":{"text":"not measured"}}],)"
    R"("referenceRange":[{"low":{"value":60},"high":{"value":80}}]})";

TEST(ResourceSubset, SummaryTrueFollowsChoicesAndBackbones) {
  EXPECT_EQ(Summary(kObservation, SummaryMode::kTrue),
            WithTag(R"({"resourceType":"Observation","id":"bp","meta":{"tag":[)",
                    R"(]},"status":"final","code":{"coding":[{"system":"http://loinc.org",)"
                    R"("code":"85354-9"}]},"subject":{"reference":"Patient/example"},)"
                    R"("effectiveDateTime":"2012-09-17","component":[{"code":{"coding":[{)"
                    R"("system":"http://loinc.org","code":"8480-6"}]},"valueQuantity":{)"
                    R"("value":107,"unit":"mmHg","system":"http://unitsofmeasure.org",)"
                    R"("code":"mm[Hg]"}},{"code":{"text":"diastolic"}}]})"));
}

TEST(ResourceSubset, SummaryTextKeepsMandatoryTopLevelElementsWhole) {
  EXPECT_EQ(Summary(kObservation, SummaryMode::kText),
            WithTag(R"({"resourceType":"Observation","id":"bp","meta":{"tag":[)",
                    R"(]},"text":{"status":"generated","div":)"
                    R"("<div xmlns=\"http://www.w3.org/1999/xhtml\">bp</div>"},"status":"final",)"
                    R"("code":{"coding":[{"system":"http://loinc.org","code":"85354-9"}]}})"));
}

// Location-1's shape: address, position (a backbone whose mandatory
// latitude and longitude are not summary), telecom, partOf.
constexpr std::string_view kLocation =
    R"({"resourceType":"Location","id":"1","meta":{"tag":[{"system":"http://example.org/t",)"
    R"("code":"demo"}]},"identifier":[{"value":"B1-S.F2"}],"status":"active",)"
    R"("name":"Ward 2","alias":["W2"],"description":"Second floor","mode":"instance",)"
    R"("telecom":[{"system":"phone","value":"2329"}],"address":{"city":"Umea"},)"
    R"("physicalType":{"coding":[{"system":)"
    R"("http://terminology.hl7.org/CodeSystem/location-physical-type","code":"wa"}]},)"
    R"("position":{"longitude":-83.6945691,"latitude":42.25475478,"altitude":0},)"
    R"("managingOrganization":{"reference":"Organization/f001"},)"
    R"("partOf":{"reference":"Location/site"}})";

TEST(ResourceSubset, SummaryTrueOnLocationAppendsToExistingTags) {
  EXPECT_EQ(Summary(kLocation, SummaryMode::kTrue),
            WithTag(R"({"resourceType":"Location","id":"1","meta":{"tag":[{"system":)"
                    R"("http://example.org/t","code":"demo"},)",
                    R"(]},"identifier":[{"value":"B1-S.F2"}],"status":"active",)"
                    R"("name":"Ward 2","description":"Second floor","mode":"instance",)"
                    R"("physicalType":{"coding":[{"system":)"
                    R"("http://terminology.hl7.org/CodeSystem/location-physical-type",)"
                    R"("code":"wa"}]},"managingOrganization":{"reference":"Organization/f001"}})"));
}

TEST(ResourceSubset, NothingRemovedMeansNoTag) {
  constexpr std::string_view kSmall =
      R"({"resourceType":"Location","id":"1","status":"active","name":"Ward 2"})";
  bool subsetted = true;
  EXPECT_EQ(Summary(kSmall, SummaryMode::kTrue, &subsetted), kSmall);
  EXPECT_FALSE(subsetted);
  EXPECT_EQ(Summary(kSmall, SummaryMode::kData, &subsetted), kSmall);
  EXPECT_FALSE(subsetted);
  EXPECT_EQ(Elements(kSmall, {"name", "status"}), kSmall);
}

TEST(ResourceSubset, SubsettedTagIsNotRepeated) {
  const std::string tagged =
      WithTag(R"({"resourceType":"Location","id":"1","meta":{"tag":[)", R"(]},"alias":["W2"]})");
  EXPECT_EQ(Summary(tagged, SummaryMode::kTrue),
            WithTag(R"({"resourceType":"Location","id":"1","meta":{"tag":[)", "]}}"));
}

TEST(ResourceSubset, NewMetaGoesAfterResourceTypeWithoutId) {
  EXPECT_EQ(Summary(R"({"resourceType":"Location","alias":["W2"],"status":"active"})",
                    SummaryMode::kTrue),
            WithTag(R"({"resourceType":"Location","meta":{"tag":[)", R"(]},"status":"active"})"));
}

TEST(ResourceSubset, NestedResourcesAreSummarisedAndTaggedThemselves) {
  // A Bundle's entry.resource is a summary element; contained is not.
  constexpr std::string_view kBundle =
      R"({"resourceType":"Bundle","id":"b","type":"collection","entry":[{"fullUrl":)"
      R"("urn:uuid:61ebe359-bfdc-4613-8bf2-c5e300945f0a","resource":{"resourceType":)"
      R"("Location","id":"w","alias":["W2"],"status":"active","contained":[{)"
      R"("resourceType":"Organization","id":"o","name":"x"}]}}]})";
  EXPECT_EQ(Summary(kBundle, SummaryMode::kTrue),
            WithTag(R"({"resourceType":"Bundle","id":"b","meta":{"tag":[)",
                    WithTag(R"(]},"type":"collection","entry":[{"fullUrl":)"
                            R"("urn:uuid:61ebe359-bfdc-4613-8bf2-c5e300945f0a","resource":{)"
                            R"("resourceType":"Location","id":"w","meta":{"tag":[)",
                            R"(]},"status":"active"}}]})")));
}

TEST(ResourceSubset, BackboneLeftEmptyIsDropped) {
  // Observation.referenceRange is not summary; a component whose only
  // content is non-summary goes entirely (an empty object is invalid FHIR).
  EXPECT_EQ(
      Summary(R"({"resourceType":"Observation","status":"final","code":{"text":"c"},)"
              R"("component":[{"interpretation":[{"text":"n"}]},{"code":{"text":"d"}}]})",
              SummaryMode::kTrue),
      WithTag(R"({"resourceType":"Observation","meta":{"tag":[)",
              R"(]},"status":"final","code":{"text":"c"},"component":[{"code":{"text":"d"}}]})"));
}

TEST(ResourceSubset, ElementsKeepsListedMandatoryAndIdentity) {
  std::vector<std::string> unknown;
  EXPECT_EQ(Elements(kPatient, {"birthDate", "name", "subjet"}, &unknown),
            WithTag(R"({"resourceType":"Patient","id":"example","meta":{"versionId":"3","tag":[)",
                    R"(]},"name":[{"use":"official","family":"Family1","given":["G1",null],)"
                    R"("_given":[null,{"extension":[{"url":"http://example.org/fhir/g",)"
                    R"("valueCode":"b"}]}]}],"birthDate":"1974-12-25","_birthDate":{)"
                    R"("extension":[{"url":)"
                    R"("http://hl7.org/fhir/StructureDefinition/patient-birthTime",)"
                    R"("valueDateTime":"1974-12-25T14:35:45-05:00"}]}})"));
  EXPECT_EQ(unknown, std::vector<std::string>{"subjet"});
}

TEST(ResourceSubset, ElementsKeepsMandatoryEvenWhenNotListed) {
  EXPECT_EQ(Elements(kObservation, {"subject"}),
            WithTag(R"({"resourceType":"Observation","id":"bp","meta":{"tag":[)",
                    R"(]},"status":"final","code":{"coding":[{"system":"http://loinc.org",)"
                    R"("code":"85354-9"}]},"subject":{"reference":"Patient/example"}})"));
}

TEST(ResourceSubset, ElementsNamesChoicesWholeOrByType) {
  constexpr std::string_view kObs =
      R"({"resourceType":"Observation","status":"final","code":{"text":"c"},)"
      R"("effectiveDateTime":"2012-09-17","valueString":"v"})";
  const std::string kept_value = WithTag(R"({"resourceType":"Observation","meta":{"tag":[)",
                                         R"(]},"status":"final","code":{"text":"c"},)"
                                         R"("valueString":"v"})");
  EXPECT_EQ(Elements(kObs, {"value"}), kept_value);
  EXPECT_EQ(Elements(kObs, {"value[x]"}), kept_value);
  EXPECT_EQ(Elements(kObs, {"valueString"}), kept_value);
  std::vector<std::string> unknown;
  // Another type of the choice: nothing of value is kept.
  EXPECT_EQ(Elements(kObs, {"valueQuantity", "code[x]"}, &unknown),
            WithTag(R"({"resourceType":"Observation","meta":{"tag":[)",
                    R"(]},"status":"final","code":{"text":"c"}})"));
  // code is not a choice, so code[x] names nothing.
  EXPECT_EQ(unknown, std::vector<std::string>{"code[x]"});
}

TEST(ResourceSubset, RejectsWhatIsNotAResource) {
  Result<json::Document> arr = json::Parse("[1]");
  ASSERT_TRUE(arr.ok());
  EXPECT_EQ(ApplySummary(*arr, arr->root(), SummaryMode::kTrue).status().code(),
            StatusCode::kInvalidArgument);
  Result<json::Document> unknown = json::Parse(R"({"resourceType":"Nope","id":"1"})");
  ASSERT_TRUE(unknown.ok());
  EXPECT_EQ(ApplySummary(*unknown, unknown->root(), SummaryMode::kTrue).status().code(),
            StatusCode::kInvalidArgument);
  const std::vector<std::string> names = {"id"};
  EXPECT_EQ(ApplyElements(*unknown, unknown->root(), names).status().code(),
            StatusCode::kInvalidArgument);
  Result<json::Document> abstract = json::Parse(R"({"resourceType":"DomainResource"})");
  ASSERT_TRUE(abstract.ok());
  EXPECT_FALSE(ApplySummary(*abstract, abstract->root(), SummaryMode::kData).ok());
}

TEST(ResourceSubset, CountIsForSearchesOnly) {
  Result<json::Document> doc = json::Parse(kLocation);
  ASSERT_TRUE(doc.ok());
  Result<SubsetOutcome> outcome = ApplySummary(*doc, doc->root(), SummaryMode::kCount);
  EXPECT_EQ(outcome.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(outcome.status().message().find("count"), std::string::npos);
}

TEST(ResourceSubset, ParsesSummaryModes) {
  EXPECT_EQ(*ParseSummaryMode("true"), SummaryMode::kTrue);
  EXPECT_EQ(*ParseSummaryMode("false"), SummaryMode::kFalse);
  EXPECT_EQ(*ParseSummaryMode("text"), SummaryMode::kText);
  EXPECT_EQ(*ParseSummaryMode("data"), SummaryMode::kData);
  EXPECT_EQ(*ParseSummaryMode("count"), SummaryMode::kCount);
  for (std::string_view bad : {"", "TRUE", "yes", "true ", "summary"}) {
    Result<SummaryMode> mode = ParseSummaryMode(bad);
    EXPECT_EQ(mode.status().code(), StatusCode::kInvalidArgument) << bad;
  }
}

TEST(ResourceSubset, ParsesElementsLists) {
  Result<std::vector<std::string>> names = ParseElementsList("identifier, active ,value[x]");
  ASSERT_TRUE(names.ok()) << names.status().ToString();
  EXPECT_EQ(*names, (std::vector<std::string>{"identifier", "active", "value[x]"}));
  for (std::string_view bad : {"", ",", "a,,b", "a,", "Patient.name", "na-me", "1st", "[x]"}) {
    EXPECT_EQ(ParseElementsList(bad).status().code(), StatusCode::kInvalidArgument) << bad;
  }
  std::string many = "a";
  for (std::size_t i = 1; i < kMaxElementNames; ++i) many += ",a";
  EXPECT_TRUE(ParseElementsList(many).ok());
  EXPECT_FALSE(ParseElementsList(many + ",a").ok());
  EXPECT_FALSE(ParseElementsList(std::string(kMaxElementNameLength + 1, 'a')).ok());
  EXPECT_TRUE(ParseElementsList(std::string(kMaxElementNameLength, 'a')).ok());
}

}  // namespace
}  // namespace fhirengine::fhir

// Search index extraction from the official SearchParameters.
#include "engine/search/index_extractor.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "engine/json/json_parser.h"

namespace fhirengine::search {
namespace {

std::vector<IndexEntry> Extract(const std::string& text,
                                std::vector<std::string>* failures = nullptr) {
  Result<json::Document> doc = json::Parse(text);
  EXPECT_TRUE(doc.ok());
  ExtractionResult r = ExtractIndexEntries(doc->root());
  if (failures != nullptr) *failures = r.failures;
  return r.entries;
}

std::vector<IndexEntry> Only(const std::vector<IndexEntry>& all, std::string_view param) {
  std::vector<IndexEntry> out;
  std::copy_if(all.begin(), all.end(), std::back_inserter(out),
               [&](const IndexEntry& e) { return e.param == param; });
  return out;
}

constexpr const char* kBed = R"({"resourceType":"Location","id":"bed-1","status":"active",
  "operationalStatus":{"system":"http://terminology.hl7.org/CodeSystem/v2-0116","code":"U","display":"Unoccupied"},
  "name":"Säng 12 Östra","alias":["B12"],
  "identifier":[{"system":"urn:oid:1.2.752.29.4.19","value":"SE2321000222-B12"}],
  "physicalType":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/location-physical-type","code":"bd"}]},
  "managingOrganization":{"reference":"Organization/nus"},
  "partOf":{"reference":"http://example.org/fhir/Location/ward-7/_history/3"},
  "position":{"longitude":20.26,"latitude":63.83}})";

TEST(SearchParameterRegistry, HasTheOfficialParameters) {
  const SearchParameterRegistry& r = SearchParameterRegistry::R4();
  EXPECT_GE(r.all().size(), 1300u);
  const SearchParameter* partof = r.Find("Location", "partof");
  ASSERT_NE(partof, nullptr);
  EXPECT_EQ(partof->type, ParamType::kReference);
  EXPECT_TRUE(partof->compiled.has_value()) << partof->compile_error;
  EXPECT_NE(r.Find("Location", "_id"), nullptr);    // base Resource
  EXPECT_NE(r.Find("Location", "_text"), nullptr);  // base DomainResource
  EXPECT_EQ(r.Find("Bundle", "_text"), nullptr);    // Bundle is not a DomainResource
  EXPECT_EQ(r.Find("Location", "no-such"), nullptr);
  std::size_t failed = 0;
  for (const auto& p : r.all()) failed += !p->expression.empty() && !p->compiled;
  EXPECT_EQ(failed, 0u) << "every official expression compiles";
}

TEST(IndexExtractor, TokensStringsAndReferencesOfABed) {
  std::vector<std::string> failures;
  std::vector<IndexEntry> all = Extract(kBed, &failures);
  EXPECT_TRUE(failures.empty()) << failures.front();

  std::vector<IndexEntry> status = Only(all, "operational-status");
  ASSERT_EQ(status.size(), 1u);
  EXPECT_EQ(status[0].system, "http://terminology.hl7.org/CodeSystem/v2-0116");
  EXPECT_EQ(status[0].value, "U");
  EXPECT_EQ(status[0].display, "Unoccupied");

  std::vector<IndexEntry> type = Only(all, "type");
  EXPECT_TRUE(type.empty());  // Location.type is absent; physicalType has no standard parameter

  std::vector<IndexEntry> name = Only(all, "name");
  ASSERT_EQ(name.size(), 2u);  // name and alias
  EXPECT_EQ(name[0].value, "sang 12 ostra");
  EXPECT_EQ(name[0].display, "Säng 12 Östra");

  std::vector<IndexEntry> partof = Only(all, "partof");
  ASSERT_EQ(partof.size(), 1u);
  EXPECT_EQ(partof[0].system, "Location");
  EXPECT_EQ(partof[0].value, "ward-7");

  std::vector<IndexEntry> org = Only(all, "organization");
  ASSERT_EQ(org.size(), 1u);
  EXPECT_EQ(org[0].system, "Organization");
  EXPECT_EQ(org[0].value, "nus");

  std::vector<IndexEntry> id = Only(all, "_id");
  ASSERT_EQ(id.size(), 1u);
  EXPECT_EQ(id[0].value, "bed-1");

  std::vector<IndexEntry> identifier = Only(all, "identifier");
  ASSERT_EQ(identifier.size(), 1u);
  EXPECT_EQ(identifier[0].system, "urn:oid:1.2.752.29.4.19");
}

TEST(IndexExtractor, EncounterDatesAndReferences) {
  std::vector<IndexEntry> all = Extract(R"({"resourceType":"Encounter","status":"in-progress",
    "class":{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"IMP"},
    "period":{"start":"2024-03-01T08:00:00+01:00"},
    "location":[{"location":{"reference":"Location/bed-1"},"status":"active","period":{"start":"2024-03-01"}}],
    "serviceProvider":{"reference":"Organization/nus"}})");
  std::vector<IndexEntry> date = Only(all, "date");
  ASSERT_EQ(date.size(), 1u);
  EXPECT_EQ(date[0].low, DateRange("2024-03-01T07:00:00Z")->first);
  EXPECT_EQ(date[0].high, std::numeric_limits<std::int64_t>::max());  // open period
  std::vector<IndexEntry> loc = Only(all, "location");
  ASSERT_EQ(loc.size(), 1u);
  EXPECT_EQ(loc[0].value, "bed-1");
  EXPECT_EQ(Only(all, "class").at(0).value, "IMP");
  EXPECT_EQ(Only(all, "status").at(0).value, "in-progress");
}

// where(resolve() is Patient) asks only for the reference's target type,
// which a literal reference names: nothing has to be read to index it.
TEST(IndexExtractor, ResolveIsTypeTakesTheTypeFromTheReference) {
  std::vector<IndexEntry> by_patient = Extract(R"({"resourceType":"Encounter","status":"planned",
    "class":{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"IMP"},
    "subject":{"reference":"http://example.org/fhir/Patient/p-1/_history/2"},
    "participant":[{"individual":{"reference":"Practitioner/pr-1"}},
                   {"individual":{"reference":"PractitionerRole/pr-1"}}]})");
  std::vector<IndexEntry> patient = Only(by_patient, "patient");
  ASSERT_EQ(patient.size(), 1u);
  EXPECT_EQ(patient[0].system, "Patient");
  EXPECT_EQ(patient[0].value, "p-1");
  std::vector<IndexEntry> practitioner = Only(by_patient, "practitioner");
  ASSERT_EQ(practitioner.size(), 1u);
  EXPECT_EQ(practitioner[0].system, "Practitioner");
  EXPECT_EQ(Only(by_patient, "participant").size(), 2u);

  std::vector<IndexEntry> by_group = Extract(R"({"resourceType":"Encounter","status":"planned",
    "class":{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"IMP"},
    "subject":{"reference":"Group/g-1"},
    "participant":[{"individual":{"reference":"NotAType/x"}}]})");
  EXPECT_TRUE(Only(by_group, "patient").empty());
  EXPECT_EQ(Only(by_group, "subject").size(), 1u);
  EXPECT_TRUE(Only(by_group, "practitioner").empty());
}

TEST(IndexExtractor, DateRangesFollowPrecision) {
  auto year = DateRange("2024");
  ASSERT_TRUE(year);
  EXPECT_EQ(year->first, 1704067200000);  // 2024-01-01T00:00:00Z
  EXPECT_EQ(year->second, 1735689599999);
  auto month = DateRange("2024-02");
  EXPECT_EQ(month->second - month->first + 1, 29LL * 86400000);  // leap February
  auto second = DateRange("2024-03-01T10:00:00+02:00");
  EXPECT_EQ(second->first, DateRange("2024-03-01T08:00:00Z")->first);
  EXPECT_EQ(second->second - second->first, 999);
  auto milli = DateRange("2024-03-01T08:00:00.5Z");
  EXPECT_EQ(milli->first - second->first, 500);
  EXPECT_FALSE(DateRange("yesterday"));
  EXPECT_FALSE(DateRange("2024-13"));
}

TEST(IndexExtractor, NormalizesForStringSearch) {
  EXPECT_EQ(NormalizeForSearch("Ärlig ÅSA Øre Straße"), "arlig asa ore strasse");
  EXPECT_EQ(NormalizeForSearch("Umeå"), "umea");
}

}  // namespace
}  // namespace fhirengine::search

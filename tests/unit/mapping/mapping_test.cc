// Tests for declarative mappings: CSV rows through the shipped municipal
// mapping (exact output), time zones, pseudonyms, XML and FHIR records, and
// errors that name the mapping line, field and record.
#include "engine/mapping/mapping.h"

#include <gtest/gtest.h>

#include "engine/json/json_writer.h"
#include "engine/mapping/local_time.h"
#include "engine/mapping/pseudonym.h"

namespace fhirengine::mapping {
namespace {

adapters::SourceRecord Row(std::vector<std::string> fields, std::string locator = "beds.csv:2") {
  adapters::SourceRecord r;
  r.format = adapters::RecordFormat::kCsvRow;
  r.columns = {"kommun", "enhet", "enhetstyp", "plats", "platstyp", "status", "uppdaterad"};
  r.fields = std::move(fields);
  r.locator = std::move(locator);
  return r;
}

Mapping LoadShipped(const std::string& name) {
  auto m = Mapping::Load(std::string(FE_SOURCE_DIR) + "/mappings/" + name, {});
  EXPECT_TRUE(m.ok()) << m.status().message();
  return std::move(*m);
}

TEST(LocalTimeTest, StockholmSummerAndWinter) {
  auto winter = LocalOffsetMinutes({2026, 1, 15, 12, 0, 0}, "Europe/Stockholm");
  auto summer = LocalOffsetMinutes({2026, 7, 1, 12, 0, 0}, "Europe/Stockholm");
  ASSERT_TRUE(winter.ok() && summer.ok());
  EXPECT_EQ(*winter, 60);
  EXPECT_EQ(*summer, 120);
  // 2026-03-29 is the last Sunday of March: 02:30 does not exist, 03:00 is summer time.
  EXPECT_FALSE(LocalOffsetMinutes({2026, 3, 29, 2, 30, 0}, "Europe/Stockholm").ok());
  EXPECT_EQ(*LocalOffsetMinutes({2026, 3, 29, 3, 0, 0}, "Europe/Stockholm"), 120);
  EXPECT_EQ(*LocalOffsetMinutes({2026, 3, 29, 1, 59, 0}, "Europe/Stockholm"), 60);
  // 2026-10-25: 02:30 happens twice; the first (summer-time) occurrence is taken.
  EXPECT_EQ(*LocalOffsetMinutes({2026, 10, 25, 2, 30, 0}, "Europe/Stockholm"), 120);
  EXPECT_EQ(*LocalOffsetMinutes({2026, 10, 25, 3, 0, 0}, "Europe/Stockholm"), 60);
  EXPECT_FALSE(LocalOffsetMinutes({2026, 1, 1, 0, 0, 0}, "America/New_York").ok());
}

TEST(LocalTimeTest, ParsesFormats) {
  auto t = ParseLocal("2026-11-23 14:05", "%Y-%m-%d %H:%M");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(FormatInstant(*t, 60), "2026-11-23T14:05:00+01:00");
  EXPECT_FALSE(ParseLocal("2026-02-30 10:00", "%Y-%m-%d %H:%M").ok());
  EXPECT_FALSE(ParseLocal("23/11/2026", "%Y-%m-%d").ok());
}

TEST(PseudonymTest, HmacSha256Hex) {
  // RFC 4231 test case 2.
  EXPECT_EQ(Pseudonym("Jefe", "what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(MappingTest, MunicipalCsvRowExactOutput) {
  Mapping m = LoadShipped("municipal-csv.json");
  auto r =
      m.Apply(Row({"0180", "KTA", "korttid", "3", "korttidsplats", "Belagd", "2026-07-01 08:30"}));
  ASSERT_TRUE(r.ok()) << r.status().message();
  // The municipal hierarchy, then the bed.
  ASSERT_EQ(r->size(), 4u);
  EXPECT_EQ((*r)[0].type + "/" + (*r)[0].id, "Organization/kommun-0180");
  EXPECT_EQ((*r)[1].type + "/" + (*r)[1].id, "Location/kommun-0180");
  EXPECT_EQ((*r)[2].type + "/" + (*r)[2].id, "Location/kommun-0180-KTA");
  EXPECT_EQ((*r)[3].id, "kommun-0180-KTA-3");
  EXPECT_EQ(
      json::Write((*r)[3].resource.root()),
      R"({"resourceType":"Location","id":"kommun-0180-KTA-3","meta":{"source":"urn:fhir-engine:mapping:municipal-csv","profile":["https://fhir-engine.example.org/fhir/StructureDefinition/RegionalBed"],"tag":[{"system":"https://fhir-engine.example.org/fhir/CodeSystem/source-system","code":"kommun"}]},"extension":[{"url":"https://fhir-engine.example.org/fhir/StructureDefinition/source-timestamp","valueInstant":"2026-07-01T08:30:00+02:00"},{"url":"https://fhir-engine.example.org/fhir/StructureDefinition/bed-category","valueCodeableConcept":{"coding":[{"system":"https://fhir-engine.example.org/fhir/CodeSystem/bed-category","code":"municipal-short-term","display":"Municipal short-term care"}]}}],"identifier":[{"system":"https://fhir-engine.example.org/fhir/NamingSystem/municipal-place","value":"0180-KTA-3"}],"status":"active","operationalStatus":{"system":"http://terminology.hl7.org/CodeSystem/v2-0116","code":"O","display":"Occupied"},"name":"KTA plats 3","mode":"instance","physicalType":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/location-physical-type","code":"bd"}]},"managingOrganization":{"reference":"Organization/kommun-0180"},"partOf":{"reference":"Location/kommun-0180-KTA"}})");
}

TEST(MappingTest, UnmappedCodeUnderRejectNamesLineFieldAndRecord) {
  Mapping m = LoadShipped("municipal-csv.json");
  auto r = m.Apply(Row(
      {"0180", "KTA", "korttid", "3", "korttidsplats", "Okänd", "2026-07-01 08:30"}, "beds.csv:7"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(
      r.status().message(),
      std::string(FE_SOURCE_DIR) +
          "/mappings/municipal-csv.json line 60, field '/outputs/3/fields/operationalStatus': "
          "code 'Okänd' is not in ConceptMap conceptmaps/municipal-bed-status.json "
          "(unmapped: reject) (record beds.csv:7)");
}

TEST(MappingTest, BadDateAndMissingColumn) {
  Mapping m = LoadShipped("municipal-csv.json");
  auto bad_date = m.Apply(Row({"0180", "KTA", "korttid", "3", "korttidsplats", "Ledig", "1 juli"}));
  ASSERT_FALSE(bad_date.ok());
  EXPECT_NE(bad_date.status().message().find(
                "line 5, field '/source-time': '1 juli' does not match the date format"),
            std::string::npos)
      << bad_date.status().message();
  adapters::SourceRecord short_row = Row({"0180", "KTA"});
  short_row.columns = {"kommun", "enhet"};
  auto missing = m.Apply(short_row);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("column 'uppdaterad' is not in the record"),
            std::string::npos)
      << missing.status().message();
}

constexpr std::string_view kXmlMapping = R"M({
  "name": "xml-test",
  "source-format": "xml",
  "source": "kommunx",
  "outputs": [
    {
      "resourceType": "Location",
      "when": {"xpath": "boolean(@aktiv = 'ja')"},
      "id": {"template": "{source}-{id}"},
      "fields": {"name": {"xpath": "namn"}, "status": {"xpath": "status", "default": "active"}}
    }
  ],
  "variables": {"id": {"xpath": "@id"}}
})M";

TEST(MappingTest, XmlRecordsWithConditionAndDefault) {
  auto m = Mapping::FromText(kXmlMapping, "x.json", ".", {});
  ASSERT_TRUE(m.ok()) << m.status().message();
  adapters::SourceRecord r;
  r.format = adapters::RecordFormat::kXmlElement;
  r.payload = R"(<enhet id="A1" aktiv="ja"><namn>Avd 1</namn></enhet>)";
  auto out = m->Apply(r);
  ASSERT_TRUE(out.ok()) << out.status().message();
  ASSERT_EQ(out->size(), 1u);
  EXPECT_EQ(
      json::Write((*out)[0].resource.root().Find("name") ? *(*out)[0].resource.root().Find("name")
                                                         : json::Value()),
      "\"Avd 1\"");
  EXPECT_EQ((*out)[0].id, "kommunx-A1");
  EXPECT_EQ(json::Write(*(*out)[0].resource.root().Find("status")), "\"active\"");
  r.payload = R"(<enhet id="A2" aktiv="nej"/>)";
  out = m->Apply(r);
  ASSERT_TRUE(out.ok());
  EXPECT_TRUE(out->empty());
}

TEST(MappingTest, XmlRecordsWithADoctypeAreRefused) {
  auto m = Mapping::FromText(kXmlMapping, "x.json", ".", {});
  ASSERT_TRUE(m.ok()) << m.status().message();
  adapters::SourceRecord r;
  r.format = adapters::RecordFormat::kXmlElement;
  r.payload =
      "<!DOCTYPE enhet [<!ENTITY n \"Avd 1\">]><enhet id=\"A1\" aktiv=\"ja\">"
      "<namn>&n;</namn></enhet>";
  auto out = m->Apply(r);
  ASSERT_FALSE(out.ok());
  EXPECT_NE(out.status().message().find("DOCTYPE is not allowed"), std::string::npos)
      << out.status().message();
}

constexpr std::string_view kFhirMapping = R"M({
  "name": "fhir-test",
  "source-format": "fhir",
  "source": "ehr",
  "outputs": [
    {
      "resourceType": "Encounter",
      "id": {"template": "{source}-{id}"},
      "fields": {
        "status": {"fhirpath": "status"},
        "class": {"fhirpath": "class"},
        "subject.identifier.system": "https://fhir-engine.example.org/fhir/NamingSystem/patient-pseudonym",
        "subject.identifier.value": {"pseudonym": {"fhirpath": "subject.reference"}}
      }
    }
  ],
  "variables": {"id": {"fhirpath": "id"}}
})M";

TEST(MappingTest, FhirRecordWithPseudonymDropsEverythingElse) {
  EXPECT_FALSE(Mapping::FromText(kFhirMapping, "f.json", ".", {}).ok());  // no key
  auto m = Mapping::FromText(kFhirMapping, "f.json", ".", {.pseudonym_key = "k", .source = ""});
  ASSERT_TRUE(m.ok()) << m.status().message();
  adapters::SourceRecord r;
  r.format = adapters::RecordFormat::kFhirResource;
  r.payload =
      R"({"resourceType":"Encounter","id":"7","status":"in-progress","class":{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"IMP"},"subject":{"reference":"Patient/42","display":"secret name"}})";
  auto out = m->Apply(r);
  ASSERT_TRUE(out.ok()) << out.status().message();
  const std::string text = json::Write((*out)[0].resource.root());
  EXPECT_EQ((*out)[0].id, "ehr-7");
  EXPECT_EQ(text.find("secret"), std::string::npos);
  EXPECT_NE(text.find(Pseudonym("k", "Patient/42")), std::string::npos);
  EXPECT_NE(
      text.find(
          R"("class":{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"IMP"})"),
      std::string::npos);
}

// A JSON number from FHIRPath keeps its type, unless "as": "string" asks
// for its text (an identifier's value is a string).
TEST(MappingTest, AsStringTurnsAFhirPathNumberIntoText) {
  constexpr std::string_view kJson = R"({
  "name": "numbers", "source-format": "json", "source": "src",
  "outputs": [{"resourceType": "Location", "id": {"template": "{source}-x"},
    "fields": {"identifier[0].value": {"fhirpath": "bedNumber", "as": "string"},
               "position.altitude": {"fhirpath": "bedNumber"}}}]
})";
  auto m = Mapping::FromText(kJson, "n.json", ".", {});
  ASSERT_TRUE(m.ok()) << m.status().message();
  adapters::SourceRecord r;
  r.format = adapters::RecordFormat::kJsonObject;
  r.payload = R"({"bedNumber": 12})";
  r.key = "12";
  auto out = m->Apply(r);
  ASSERT_TRUE(out.ok()) << out.status().message();
  const std::string text = json::Write((*out)[0].resource.root());
  EXPECT_NE(text.find(R"("identifier":[{"value":"12"}])"), std::string::npos) << text;
  EXPECT_NE(text.find(R"("altitude":12)"), std::string::npos) << text;
}

TEST(MappingTest, LoadErrorsNameTheLine) {
  auto m = Mapping::FromText(
      "{\"name\": \"x\",\n \"source-format\": \"csv\",\n \"outputs\": [\n {\"resourceType\": "
      "\"Location\", \"id\": \"a\",\n  \"fields\": {\"name\": {\"date\": {\"column\": \"d\"}, "
      "\"time-zone\": \"Mars/Olympus\"}}}]}",
      "bad.json", ".", {});
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.status().message(), "bad.json line 5: unsupported time zone 'Mars/Olympus'");
}

}  // namespace
}  // namespace fhirengine::mapping

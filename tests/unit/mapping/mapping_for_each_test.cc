// Tests for "for-each" in mappings: one resource per item of an XPath
// node-set, a FHIRPath collection or a split CSV field, {index}/{item} and
// item-variables, a field built from a collection, and their limits.
#include <gtest/gtest.h>

#include <string>

#include "engine/json/json_writer.h"
#include "engine/mapping/mapping.h"

namespace fhirengine::mapping {
namespace {

adapters::SourceRecord XmlRecord(std::string payload) {
  adapters::SourceRecord r;
  r.format = adapters::RecordFormat::kXmlElement;
  r.payload = std::move(payload);
  r.locator = "avd.xml:/avdelningar/avdelning[1]";
  return r;
}

std::string Ids(const std::vector<MappedResource>& resources) {
  std::string ids;
  for (const MappedResource& r : resources) ids += (ids.empty() ? "" : " ") + r.type + "/" + r.id;
  return ids;
}

constexpr std::string_view kXmlWard = R"M({
  "name": "ward-xml",
  "source-format": "xml",
  "source": "t",
  "variables": {"ward": {"xpath": "string(@id)"}},
  "outputs": [
    {"resourceType": "Location", "id": {"template": "{source}-{ward}"}, "fields": {"name": {"xpath": "string(namn)"}}},
    {
      "resourceType": "Location",
      "for-each": {"xpath": "sang"},
      "when": {"xpath": "not(@stangd = 'ja')"},
      "id": {"template": "{source}-{ward}-{item}"},
      "fields": {
        "name": {"template": "{ward} säng {item} (nr {index})"},
        "status": {"xpath": "string(@status)", "default": "active"},
        "partOf.reference": {"template": "Location/{source}-{ward}"}
      }
    }
  ]
})M";

TEST(MappingForEachTest, XPathNodeSetGivesOneResourcePerNode) {
  auto m = Mapping::FromText(kXmlWard, "ward.json", ".", {});
  ASSERT_TRUE(m.ok()) << m.status().message();
  auto out = m->Apply(XmlRecord(
      R"(<avdelning id="A7"><namn>Avd 7</namn><sang>1</sang><sang status="suspended">2</sang>)"
      R"(<sang stangd="ja">3</sang><sang>4</sang></avdelning>)"));
  ASSERT_TRUE(out.ok()) << out.status().message();
  EXPECT_EQ(Ids(*out), "Location/t-A7 Location/t-A7-1 Location/t-A7-2 Location/t-A7-4");
  // Relative XPath sees the item; variables and {index} (from 0, counting
  // items the "when" skips) the record.
  EXPECT_EQ(
      json::Write((*out)[2].resource.root()),
      R"J({"resourceType":"Location","id":"t-A7-2","meta":{"source":"urn:fhir-engine:mapping:ward-xml",)J"
      R"J("tag":[{"system":"https://fhir-engine.example.org/fhir/CodeSystem/source-system","code":"t"}]},)J"
      R"J("name":"A7 säng 2 (nr 1)","status":"suspended","partOf":{"reference":"Location/t-A7"}})J");
  EXPECT_EQ(json::Write(*(*out)[3].resource.root().Find("name")), "\"A7 säng 4 (nr 3)\"");
  // No items, no resources.
  out = m->Apply(XmlRecord(R"(<avdelning id="A8"><namn>Avd 8</namn></avdelning>)"));
  ASSERT_TRUE(out.ok()) << out.status().message();
  EXPECT_EQ(Ids(*out), "Location/t-A8");
}

TEST(MappingForEachTest, SplitCsvFieldTrimsAndSkipsEmptyItems) {
  auto m = Mapping::FromText(R"M({
    "name": "beds-csv", "source-format": "csv", "source": "t",
    "outputs": [{
      "resourceType": "Location", "for-each": {"column": "platser"}, "separator": "|",
      "id": {"template": "{source}-{enhet}-{item}"},
      "fields": {"name": {"template": "{item}"}}
    }]
  })M",
                             "beds.json", ".", {});
  ASSERT_TRUE(m.ok()) << m.status().message();
  adapters::SourceRecord r;
  r.format = adapters::RecordFormat::kCsvRow;
  r.columns = {"enhet", "platser"};
  r.fields = {"KTA", " 1 || 2b |3"};
  r.locator = "beds.csv:2";
  auto out = m->Apply(r);
  ASSERT_TRUE(out.ok()) << out.status().message();
  EXPECT_EQ(Ids(*out), "Location/t-KTA-1 Location/t-KTA-2b Location/t-KTA-3");
  r.fields = {"KTA", ""};
  out = m->Apply(r);
  ASSERT_TRUE(out.ok()) << out.status().message();
  EXPECT_TRUE(out->empty());
}

constexpr std::string_view kFhirLocations = R"M({
  "name": "enc", "source-format": "fhir", "source": "ehr",
  "variables": {"id": {"fhirpath": "id"}},
  "outputs": [{
    "resourceType": "Encounter", "id": {"template": "{source}-{id}"},
    "fields": {
      "location": {
        "for-each": {"fhirpath": "location"},
        "item-variables": {"bed": {"fhirpath": "location.reference.replace('Location/', '')"}},
        "fields": {
          "location.reference": {"template": "Location/{source}-{bed}"},
          "status": {"fhirpath": "status"},
          "period": {"fhirpath": "period"},
          "extension[0].url": {"fhirpath": "%resource.id"}
        }
      }
    }
  }]
})M";

TEST(MappingForEachTest, FieldBuiltFromAFhirPathCollectionWithItemVariables) {
  auto m = Mapping::FromText(kFhirLocations, "enc.json", ".", {});
  ASSERT_TRUE(m.ok()) << m.status().message();
  adapters::SourceRecord r;
  r.format = adapters::RecordFormat::kFhirResource;
  r.locator = "enc.json[0]";
  r.payload =
      R"({"resourceType":"Encounter","id":"E1","status":"in-progress","location":[)"
      R"({"location":{"reference":"Location/B1"},"status":"completed","period":{"start":"2026-01-01","end":"2026-01-02"}},)"
      R"({"location":{"reference":"Location/B2"},"status":"active","period":{"start":"2026-01-02"}}]})";
  auto out = m->Apply(r);
  ASSERT_TRUE(out.ok()) << out.status().message();
  ASSERT_EQ(out->size(), 1u);
  // Each item's own variables; %resource is still the record.
  EXPECT_EQ(json::Write(*(*out)[0].resource.root().Find("location")),
            R"([{"location":{"reference":"Location/ehr-B1"},"status":"completed",)"
            R"("period":{"start":"2026-01-01","end":"2026-01-02"},"extension":[{"url":"E1"}]},)"
            R"({"location":{"reference":"Location/ehr-B2"},"status":"active",)"
            R"("period":{"start":"2026-01-02"},"extension":[{"url":"E1"}]}])");
  // No locations: the field is absent.
  r.payload = R"({"resourceType":"Encounter","id":"E2","status":"planned"})";
  out = m->Apply(r);
  ASSERT_TRUE(out.ok()) << out.status().message();
  EXPECT_EQ((*out)[0].resource.root().Find("location"), nullptr);
}

TEST(MappingForEachTest, NestedForEachSeesItsOwnItem) {
  // One Location per ward of a JSON record, each listing its beds' names.
  auto m = Mapping::FromText(R"M({
    "name": "nest", "source-format": "json", "source": "n",
    "outputs": [{
      "resourceType": "Location", "for-each": {"fhirpath": "wards"},
      "item-variables": {"ward": {"fhirpath": "id"}},
      "id": {"template": "{source}-{ward}"},
      "fields": {"alias": {"for-each": {"fhirpath": "beds"}, "fields": {"x": {"template": "{ward}:{item}:{index}"}}}}
    }]
  })M",
                             "nest.json", ".", {});
  ASSERT_TRUE(m.ok()) << m.status().message();
  adapters::SourceRecord r;
  r.format = adapters::RecordFormat::kJsonObject;
  r.locator = "n.json[0]";
  r.payload = R"({"wards":[{"id":"W1","beds":["a","b"]},{"id":"W2","beds":["c"]}]})";
  auto out = m->Apply(r);
  ASSERT_TRUE(out.ok()) << out.status().message();
  ASSERT_EQ(Ids(*out), "Location/n-W1 Location/n-W2");
  // The inner item's {item} and {index}; the outer item's variables.
  EXPECT_EQ(json::Write(*(*out)[0].resource.root().Find("alias")),
            R"([{"x":"W1:a:0"},{"x":"W1:b:1"}])");
  EXPECT_EQ(json::Write(*(*out)[1].resource.root().Find("alias")), R"([{"x":"W2:c:0"}])");
}

TEST(MappingForEachTest, LoadErrors) {
  auto no_source = Mapping::FromText(
      R"({"name": "x", "source-format": "csv", "outputs": [
        {"resourceType": "Location", "for-each": {"template": "{a}"}, "id": "a"}]})",
      "x.json", ".", {});
  ASSERT_FALSE(no_source.ok());
  EXPECT_EQ(no_source.status().message(),
            "x.json line 2: for-each needs an 'xpath' or 'fhirpath' collection, or a 'separator'");
  auto vars_alone = Mapping::FromText(
      R"({"name": "x", "source-format": "csv", "outputs": [
        {"resourceType": "Location", "item-variables": {}, "id": "a"}]})",
      "x.json", ".", {});
  ASSERT_FALSE(vars_alone.ok());
  EXPECT_EQ(vars_alone.status().message(), "x.json line 2: 'item-variables' needs a 'for-each'");
  auto no_fields = Mapping::FromText(
      R"({"name": "x", "source-format": "fhir", "outputs": [
        {"resourceType": "Encounter", "id": "a", "fields": {"location": {"for-each": {"fhirpath": "location"}}}}]})",
      "x.json", ".", {});
  ASSERT_FALSE(no_fields.ok());
  EXPECT_EQ(no_fields.status().message(), "x.json line 2: 'for-each' needs 'fields' (an object)");
}

TEST(MappingForEachTest, TooManyItemsFailTheRecord) {
  auto m = Mapping::FromText(R"M({
    "name": "many", "source-format": "csv",
    "outputs": [{"resourceType": "Location", "for-each": {"column": "n"}, "separator": ",",
                 "id": {"template": "b{index}"}}]
  })M",
                             "many.json", ".", {});
  ASSERT_TRUE(m.ok()) << m.status().message();
  adapters::SourceRecord r;
  r.format = adapters::RecordFormat::kCsvRow;
  r.columns = {"n"};
  std::string list;
  for (int i = 0; i < 1001; ++i) list += "x,";
  r.fields = {list};
  r.locator = "many.csv:2";
  auto out = m->Apply(r);
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().message(),
            "many.json line 3, field '/outputs/0/for-each': for-each gives more than 1000 items "
            "(record many.csv:2)");
}

}  // namespace
}  // namespace fhirengine::mapping

// Tests for what a mapping output adds around its fields: meta.profile,
// extensions that appear only with a value, the per-output source timestamp,
// ConceptMap codes deliberately left unmatched, and warnings for codes kept
// under "unmapped": "keep" (the Apply overload with a warnings list).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "engine/json/json_writer.h"
#include "engine/mapping/mapping.h"

namespace fhirengine::mapping {
namespace {

// A mapping folder with one ConceptMap: A -> a, B deliberately unmatched.
std::string WriteConceptMap() {
  const std::string dir = ::testing::TempDir() + "/mapping_extensions_test";
  std::filesystem::create_directories(dir);
  std::ofstream(dir + "/codes.json") << R"({"resourceType": "ConceptMap", "group": [{
    "source": "urn:local", "target": "urn:regional", "element": [
      {"code": "A", "target": [{"code": "a", "equivalence": "equivalent"}]},
      {"code": "B", "target": [{"equivalence": "unmatched"}]}]}]})";
  return dir;
}

constexpr std::string_view kMapping = R"M({
  "name": "ext",
  "source-format": "csv",
  "source": "t",
  "source-time": {"date": {"column": "t"}, "format": "%Y-%m-%d %H:%M", "time-zone": "UTC"},
  "outputs": [
    {
      "resourceType": "Location",
      "profile": "https://example.org/StructureDefinition/P",
      "id": {"template": "l-{id}"},
      "extensions": [
        {"url": "https://example.org/x", "valueCoding": {"concept-map": "codes.json", "from": {"column": "code"}, "unmapped": "keep"}}
      ],
      "fields": {"name": {"column": "id"}}
    },
    {"resourceType": "Organization", "source-time": false, "id": {"template": "o-{id}-{code}"}}
  ]
})M";

adapters::SourceRecord Row(std::string code) {
  adapters::SourceRecord r;
  r.format = adapters::RecordFormat::kCsvRow;
  r.columns = {"id", "code", "t"};
  r.fields = {"1", std::move(code), "2026-01-01 10:00"};
  r.locator = "x.csv:2";
  return r;
}

TEST(MappingExtensionsTest, ProfileExtensionAndSourceTime) {
  const std::string dir = WriteConceptMap();
  auto m = Mapping::FromText(kMapping, "ext.json", dir, {});
  ASSERT_TRUE(m.ok()) << m.status().message();
  auto out = m->Apply(Row("A"));
  ASSERT_TRUE(out.ok()) << out.status().message();
  ASSERT_EQ(out->size(), 2u);
  EXPECT_EQ(
      json::Write((*out)[0].resource.root()),
      R"({"resourceType":"Location","id":"l-1","meta":{"source":"urn:fhir-engine:mapping:ext",)"
      R"("profile":["https://example.org/StructureDefinition/P"],)"
      R"("tag":[{"system":"https://fhir-engine.example.org/fhir/CodeSystem/source-system","code":"t"}]},)"
      R"("extension":[{"url":"https://fhir-engine.example.org/fhir/StructureDefinition/source-timestamp",)"
      R"("valueInstant":"2026-01-01T10:00:00+00:00"},)"
      R"({"url":"https://example.org/x","valueCoding":{"system":"urn:regional","code":"a"}}],"name":"1"})");
  // "source-time": false: no timestamp, so no extension at all.
  EXPECT_EQ((*out)[1].resource.root().Find("extension"), nullptr);
}

TEST(MappingExtensionsTest, UnmatchedCodeLeavesTheExtensionOutWithoutAWarning) {
  const std::string dir = WriteConceptMap();
  auto m = Mapping::FromText(kMapping, "ext.json", dir, {});
  ASSERT_TRUE(m.ok()) << m.status().message();
  std::vector<std::string> warnings;
  auto out = m->Apply(Row("B"), &warnings);
  ASSERT_TRUE(out.ok()) << out.status().message();
  const json::Value* extensions = (*out)[0].resource.root().Find("extension");
  ASSERT_NE(extensions, nullptr);
  EXPECT_EQ(extensions->size(), 1u);  // only the source timestamp
  EXPECT_TRUE(warnings.empty());
}

TEST(MappingExtensionsTest, KeptCodeWarnsNamingLineFieldAndRecord) {
  const std::string dir = WriteConceptMap();
  auto m = Mapping::FromText(kMapping, "ext.json", dir, {});
  ASSERT_TRUE(m.ok()) << m.status().message();
  std::vector<std::string> warnings = {"earlier"};
  auto out = m->Apply(Row("Z"), &warnings);
  ASSERT_TRUE(out.ok()) << out.status().message();
  EXPECT_NE(
      json::Write((*out)[0].resource.root())
          .find(
              R"({"url":"https://example.org/x","valueCoding":{"system":"urn:local","code":"Z"}})"),
      std::string::npos);
  ASSERT_EQ(warnings.size(), 2u);  // appended
  EXPECT_EQ(warnings[1],
            "ext.json line 12, field '/outputs/0/extensions/0/valueCoding': code 'Z' is not in "
            "ConceptMap codes.json; kept as urn:local|Z (unmapped: keep) (record x.csv:2)");
  // The one-argument Apply maps the same and reports nothing.
  auto plain = m->Apply(Row("Z"));
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(json::Write((*plain)[0].resource.root()), json::Write((*out)[0].resource.root()));
  // A record that fails (here: in a later output) adds no warnings.
  warnings.clear();
  auto bad = m->Apply(Row("Z!"), &warnings);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("'o-1-Z!' is not a valid FHIR id"), std::string::npos)
      << bad.status().message();
  EXPECT_TRUE(warnings.empty());
}

TEST(MappingExtensionsTest, ExtensionsAreNotFields) {
  auto m = Mapping::FromText(R"({"name": "x", "source-format": "csv", "outputs": [
    {"resourceType": "Location", "id": "a", "fields": {"extension[0].url": "u"}}]})",
                             "x.json", ".", {});
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.status().message(),
            "x.json line 2: the resource's extensions go in the output's 'extensions'");
  auto bad = Mapping::FromText(R"({"name": "x", "source-format": "csv", "outputs": [
    {"resourceType": "Location", "id": "a", "extensions": [{"url": "u", "code": "c"}]}]})",
                               "x.json", ".", {});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(),
            "x.json line 2: an extension's value path starts with 'value' (valueCoding)");
}

}  // namespace
}  // namespace fhirengine::mapping

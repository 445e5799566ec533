// JSON model -> FHIR XML: exact output for the mapping rules (definition
// order, value attributes, primitive extensions, attributes, nested
// resources, escaping, the div), round trips through the reader, and errors
// naming the JSON path.
#include "engine/fhir/xml_writer.h"

#include <gtest/gtest.h>

#include <string>

#include "engine/fhir/xml_reader.h"
#include "engine/json/json_parser.h"

namespace fhirengine::fhir {
namespace {

constexpr char kDecl[] = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";

// The XML for a JSON resource, or "error: ..." for a failure.
std::string ToXml(std::string_view json_text, XmlWriteOptions options = {}) {
  Result<json::Document> doc = json::Parse(json_text);
  if (!doc.ok()) return "bad test JSON: " + doc.status().ToString();
  Result<std::string> xml = WriteXml(doc->root(), TypeModel::R4(), options);
  return xml.ok() ? *xml : "error: " + xml.status().message();
}

// JSON -> XML -> JSON gives a tree equal to the original.
void ExpectRoundTrip(std::string_view json_text) {
  Result<json::Document> doc = json::Parse(json_text);
  ASSERT_TRUE(doc.ok()) << doc.status().ToString();
  Result<std::string> xml = WriteXml(doc->root());
  ASSERT_TRUE(xml.ok()) << xml.status().ToString();
  Result<json::Document> back = ParseXml(*xml);
  ASSERT_TRUE(back.ok()) << back.status().ToString() << "\n" << *xml;
  EXPECT_TRUE(json::Equal(doc->root(), back->root())) << *xml;
}

TEST(XmlWriter, WritesDeclarationNamespaceAndValueAttributes) {
  EXPECT_EQ(ToXml(R"({"resourceType":"Patient","id":"p1","active":true,"multipleBirthInteger":2})"),
            std::string(kDecl) +
                "<Patient xmlns=\"http://hl7.org/fhir\"><id value=\"p1\"/><active value=\"true\"/>"
                "<multipleBirthInteger value=\"2\"/></Patient>");
  EXPECT_EQ(ToXml(R"({"resourceType":"Basic"})", {.declaration = false}),
            "<Basic xmlns=\"http://hl7.org/fhir\"/>");
}

TEST(XmlWriter, WritesElementsInDefinitionOrderWhateverTheJsonOrder) {
  EXPECT_EQ(ToXml(R"({"gender":"male","name":[{"given":["A"],"family":"B"}],"id":"x",)"
                  R"("resourceType":"Patient"})",
                  {.declaration = false}),
            "<Patient xmlns=\"http://hl7.org/fhir\"><id value=\"x\"/><name><family value=\"B\"/>"
            "<given value=\"A\"/></name><gender value=\"male\"/></Patient>");
}

TEST(XmlWriter, PrettyIndentsTwoSpacesButNeverInsideTheDiv) {
  EXPECT_EQ(
      ToXml(R"({"resourceType":"Patient","id":"x","text":{"status":"generated",)"
            R"("div":"<div xmlns=\"http://www.w3.org/1999/xhtml\"><p>a</p>\n<p>b</p></div>"}})",
            {.pretty = true}),
      std::string(kDecl) +
          "<Patient xmlns=\"http://hl7.org/fhir\">\n"
          "  <id value=\"x\"/>\n"
          "  <text>\n"
          "    <status value=\"generated\"/>\n"
          "    <div xmlns=\"http://www.w3.org/1999/xhtml\"><p>a</p>\n<p>b</p></div>\n"
          "  </text>\n"
          "</Patient>\n");
}

TEST(XmlWriter, WritesChoiceElementsWithTheirSuffix) {
  EXPECT_EQ(ToXml(R"({"resourceType":"Observation","status":"final","code":{"text":"w"},)"
                  R"("valueQuantity":{"value":1.50,"unit":"kg"}})",
                  {.declaration = false}),
            "<Observation xmlns=\"http://hl7.org/fhir\"><status value=\"final\"/><code>"
            "<text value=\"w\"/></code><valueQuantity><value value=\"1.50\"/><unit value=\"kg\"/>"
            "</valueQuantity></Observation>");
}

TEST(XmlWriter, WritesDecimalsAsTheirExactText) {
  const std::string xml = ToXml(R"({"resourceType":"Observation","status":"final","code":{},)"
                                R"("valueQuantity":{"value":1e3},"component":[{"code":{},)"
                                R"("valueQuantity":{"value":1.50}}]})");
  EXPECT_NE(xml.find("<value value=\"1e3\"/>"), std::string::npos) << xml;
  EXPECT_NE(xml.find("<value value=\"1.50\"/>"), std::string::npos) << xml;
  ExpectRoundTrip(R"({"resourceType":"Observation","status":"final","code":{},)"
                  R"("valueQuantity":{"value":1e3},"component":[{"code":{},)"
                  R"("valueQuantity":{"value":1.50}}]})");
}

TEST(XmlWriter, WritesPrimitiveExtensionsWithNullAlignment) {
  const char* json =
      R"({"resourceType":"Patient","name":[{"given":["a",null,"c"],)"
      R"("_given":[null,{"extension":[{"url":"http://e","valueCode":"x"}]},{"id":"g3"}]}],)"
      R"("birthDate":"1970","_birthDate":{"id":"bd"}})";
  EXPECT_EQ(ToXml(json, {.declaration = false}),
            "<Patient xmlns=\"http://hl7.org/fhir\"><name><given value=\"a\"/><given>"
            "<extension url=\"http://e\"><valueCode value=\"x\"/></extension></given>"
            "<given id=\"g3\" value=\"c\"/></name><birthDate id=\"bd\" value=\"1970\"/></Patient>");
  ExpectRoundTrip(json);
  ExpectRoundTrip(R"({"resourceType":"Patient","name":[{"_given":[{"id":"a"},{"id":"b"}]}]})");
}

TEST(XmlWriter, WritesElementIdAndExtensionUrlAsAttributes) {
  const char* json =
      R"({"resourceType":"Patient","extension":[{"id":"e1","extension":[{"url":"http://inner",)"
      R"("valueBoolean":false}],"url":"http://outer"}],"name":[{"id":"n1","text":"t"}]})";
  EXPECT_EQ(ToXml(json, {.declaration = false}),
            "<Patient xmlns=\"http://hl7.org/fhir\"><extension id=\"e1\" url=\"http://outer\">"
            "<extension url=\"http://inner\"><valueBoolean value=\"false\"/></extension>"
            "</extension><name id=\"n1\"><text value=\"t\"/></name></Patient>");
  ExpectRoundTrip(json);
}

TEST(XmlWriter, EscapesAttributeValuesSoTheySurviveNormalisation) {
  const char* json =
      R"({"resourceType":"Patient","id":"x","name":[{"text":"a\"b&c<d>e\tf\ng\rh' \u00e9"}]})";
  const std::string xml = ToXml(json, {.declaration = false});
  EXPECT_NE(xml.find("<text value=\"a&quot;b&amp;c&lt;d&gt;e&#x9;f&#xA;g&#xD;h' \xC3\xA9\"/>"),
            std::string::npos)
      << xml;
  ExpectRoundTrip(json);
  ExpectRoundTrip(R"({"resourceType":"Patient","name":[{"text":"  leading and trailing  "}]})");
}

TEST(XmlWriter, WritesContainedAndBundleResourcesInline) {
  const char* json =
      R"({"resourceType":"Bundle","type":"collection","entry":[{"resource":{"resourceType":)"
      R"("Patient","id":"a","contained":[{"resourceType":"Organization","id":"o"}]}}]})";
  EXPECT_EQ(ToXml(json, {.declaration = false}),
            "<Bundle xmlns=\"http://hl7.org/fhir\"><type value=\"collection\"/><entry><resource>"
            "<Patient><id value=\"a\"/><contained><Organization><id value=\"o\"/></Organization>"
            "</contained></Patient></resource></entry></Bundle>");
  ExpectRoundTrip(json);
}

TEST(XmlWriter, InsertsTheDivVerbatimExceptWhatXmlWouldNormalise) {
  const char* json =
      R"({"resourceType":"Patient","text":{"status":"generated","div":"<div xmlns=\"http://www.w3.org/1999/xhtml\">)"
      R"(<p title=\"a\nb\">x &amp; y &lt;z&gt; &quot;q&quot; 'r' \u00e9\u65e5\r\n</p><br/><td></td><!-- c --></div>"}})";
  const std::string xml = ToXml(json, {.declaration = false});
  EXPECT_NE(xml.find("<div xmlns=\"http://www.w3.org/1999/xhtml\"><p title=\"a&#xA;b\">x &amp; y "
                     "&lt;z&gt; &quot;q&quot; 'r' \xC3\xA9\xE6\x97\xA5&#xD;\n</p><br/><td></td>"
                     "<!-- c --></div>"),
            std::string::npos)
      << xml;
  ExpectRoundTrip(json);
}

TEST(XmlWriter, ErrorsNameTheJsonPath) {
  EXPECT_EQ(ToXml(R"({"resourceType":"Patient","name":[{"text":"a"},{"foo":1}]})"),
            "error: Patient.name[1]: unknown element 'foo' in HumanName");
  EXPECT_EQ(ToXml(R"({"resourceType":"Patient","active":"yes"})"),
            "error: Patient.active: a boolean value must be a boolean, found a string");
  EXPECT_EQ(ToXml(R"({"resourceType":"Nope"})"), "error: unknown resourceType 'Nope'");
  EXPECT_EQ(ToXml(R"({"id":"x"})"), "error: a resource needs a 'resourceType' string");
  EXPECT_EQ(ToXml(R"({"resourceType":"Patient","name":{"text":"a"}})"),
            "error: Patient.name: must be an array (Patient.name repeats), found an object");
  EXPECT_EQ(ToXml(R"({"resourceType":"Patient","gender":["male"]})"),
            "error: Patient.gender: must not be an array (Patient.gender takes one value)");
  EXPECT_EQ(ToXml(R"({"resourceType":"Patient","name":[{"given":["a","b"],"_given":[null]}]})"),
            "error: Patient.name[0].given: 'given' has 2 values but '_given' has 1; the arrays "
            "must align");
  EXPECT_EQ(ToXml(R"({"resourceType":"Patient","name":[{"given":[null]}]})"),
            "error: Patient.name[0].given[0]: has neither a value nor an id or extension");
  EXPECT_EQ(ToXml(R"({"resourceType":"Patient","deceasedBoolean":true,"deceasedDateTime":"2020"})"),
            "error: Patient: 'deceasedBoolean' and 'deceasedDateTime' both set "
            "Patient.deceased[x], which takes one value");
  EXPECT_EQ(ToXml(R"({"resourceType":"Patient","name":[{"_id":{"id":"x"}}]})"),
            "error: Patient.name[0]: '_id' cannot be written in XML: HumanName.id is an XML "
            "attribute");
  EXPECT_EQ(ToXml(R"({"resourceType":"Patient","name":[{"text":"a\u0001b"}]})"),
            "error: Patient.name[0].text: 'value' contains the control character U+0001, which XML "
            "1.0 cannot carry");
  EXPECT_EQ(ToXml(R"({"resourceType":"Patient","text":{"status":"generated","div":"<p>x</p>"}})"),
            "error: Patient.text.div: invalid xhtml: the root element is <p>, not <div>");
  EXPECT_EQ(ToXml(R"({"resourceType":"Patient","identifier":[]})"),
            "error: Patient.identifier: empty array (XML cannot represent it; omit the element)");
}

TEST(XmlWriter, NeverCrashesOnOddValues) {
  json::Document doc;
  json::Value number = doc.MakeNumber("1");
  EXPECT_FALSE(WriteXml(number).ok());
  json::Value null_value;
  EXPECT_FALSE(WriteXml(null_value).ok());
  EXPECT_NE(ToXml(R"({"resourceType":"Patient","contained":[{"id":"x"}]})").find("error:"),
            std::string::npos);
  EXPECT_NE(ToXml(R"({"resourceType":"Patient","contained":["x"]})").find("error:"),
            std::string::npos);
  EXPECT_NE(ToXml(R"({"resourceType":"Patient","_gender":"x"})").find("error:"), std::string::npos);
  EXPECT_NE(ToXml(R"({"resourceType":"Patient","_name":[{}]})").find("error:"), std::string::npos);
}

}  // namespace
}  // namespace fhirengine::fhir

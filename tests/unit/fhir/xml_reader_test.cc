// FHIR XML -> JSON model: the mapping rules of https://hl7.org/fhir/R4/xml.html
// and json.html, checked on the exact JSON produced (member order included),
// and the errors for XML that does not fit the model.
#include "engine/fhir/xml_reader.h"

#include <gtest/gtest.h>

#include <string>

#include "engine/json/json_writer.h"

namespace fhirengine::fhir {
namespace {

constexpr char kOpen[] = "<Patient xmlns=\"http://hl7.org/fhir\">";

// Compact JSON of the parsed resource, or the error as "error: ...".
std::string ReadToJson(const std::string& xml, const ParseLimits& limits = {}) {
  Result<json::Document> doc = ParseXml(xml, TypeModel::R4(), limits);
  if (!doc.ok()) return "error: " + doc.status().ToString();
  return json::Write(doc->root());
}

Status ReadError(const std::string& xml, const ParseLimits& limits = {}) {
  Result<json::Document> doc = ParseXml(xml, TypeModel::R4(), limits);
  return doc.ok() ? Status::Ok() : doc.status();
}

TEST(XmlReader, ReadsAResourceInDefinitionOrder) {
  const std::string xml = std::string("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n") + kOpen +
                          R"(
  <id value="p1"/>
  <active value="true"/>
  <name>
    <family value="Chalmers"/>
    <given value="Peter"/>
  </name>
  <gender value="male"/>
  <birthDate value="1974-12-25"/>
</Patient>)";
  EXPECT_EQ(ReadToJson(xml),
            R"({"resourceType":"Patient","id":"p1","active":true,"name":[{"family":"Chalmers",)"
            R"("given":["Peter"]}],"gender":"male","birthDate":"1974-12-25"})");
}

TEST(XmlReader, ReadsChoiceTypesByTheirSuffixedNames) {
  const std::string xml = R"(<Observation xmlns="http://hl7.org/fhir">
  <status value="final"/>
  <code><text value="weight"/></code>
  <effectiveDateTime value="2020-01-01"/>
  <valueQuantity><value value="1.50"/><unit value="kg"/></valueQuantity>
  <component><code><text value="c"/></code><valueString value="s"/></component>
</Observation>)";
  EXPECT_EQ(ReadToJson(xml),
            R"({"resourceType":"Observation","status":"final","code":{"text":"weight"},)"
            R"("effectiveDateTime":"2020-01-01","valueQuantity":{"value":1.50,"unit":"kg"},)"
            R"("component":[{"code":{"text":"c"},"valueString":"s"}]})");
}

TEST(XmlReader, DecimalsKeepTheirSourceText) {
  const std::string xml = R"(<Observation xmlns="http://hl7.org/fhir"><status value="final"/>)"
                          R"(<code><text value="x"/></code><valueQuantity><value value="1e3"/>)"
                          R"(</valueQuantity><component><code><text value="y"/></code>)"
                          R"(<valueInteger value="-0"/></component></Observation>)";
  Result<json::Document> doc = ParseXml(xml);
  ASSERT_TRUE(doc.ok()) << doc.status().ToString();
  const json::Value* value = doc->root().Find("valueQuantity")->Find("value");
  ASSERT_TRUE(value->IsNumber());
  EXPECT_EQ(value->text(), "1e3");
  const json::Value& integer = *doc->root().Find("component")->elements()[0].Find("valueInteger");
  EXPECT_EQ(integer.text(), "-0");
}

TEST(XmlReader, RejectsValuesThatAreNotTheirJsonKind) {
  Status bad_bool = ReadError(std::string(kOpen) + "\n<active value=\"yes\"/></Patient>");
  EXPECT_EQ(bad_bool.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(bad_bool.message(),
            "line 2: invalid boolean value \"yes\" in Patient.active (must be true or false)");
  Status bad_number = ReadError(
      "<Observation xmlns=\"http://hl7.org/fhir\"><status value=\"final\"/><code/>\n"
      "<valueQuantity><value value=\"1,5\"/></valueQuantity></Observation>");
  EXPECT_EQ(bad_number.message(),
            "line 2: invalid decimal value \"1,5\" in Observation.valueQuantity.value");
}

TEST(XmlReader, RepeatingElementsAreArraysEvenWithOneItem) {
  EXPECT_EQ(
      ReadToJson(std::string(kOpen) + "<identifier><value value=\"a\"/></identifier></Patient>"),
      R"({"resourceType":"Patient","identifier":[{"value":"a"}]})");
}

TEST(XmlReader, PrimitiveIdAndExtensionsBecomeTheUnderscoreObject) {
  const std::string xml = std::string(kOpen) + R"(
<birthDate id="bd" value="1970-03-30">
  <extension url="http://hl7.org/fhir/StructureDefinition/patient-birthTime">
    <valueDateTime value="1970-03-30T14:35:45-05:00"/>
  </extension>
</birthDate></Patient>)";
  EXPECT_EQ(ReadToJson(xml),
            R"({"resourceType":"Patient","birthDate":"1970-03-30","_birthDate":{"id":"bd",)"
            R"("extension":[{"url":"http://hl7.org/fhir/StructureDefinition/patient-birthTime",)"
            R"("valueDateTime":"1970-03-30T14:35:45-05:00"}]}})");
}

TEST(XmlReader, RepeatingPrimitivesKeepIndexAlignmentWithNulls) {
  const std::string xml = std::string(kOpen) + R"(<name>
  <given value="a"/>
  <given><extension url="http://e"><valueCode value="x"/></extension></given>
  <given id="g3" value="c"/>
</name></Patient>)";
  EXPECT_EQ(ReadToJson(xml),
            R"({"resourceType":"Patient","name":[{"given":["a",null,"c"],)"
            R"("_given":[null,{"extension":[{"url":"http://e","valueCode":"x"}]},{"id":"g3"}]}]})");
}

TEST(XmlReader, RepeatingPrimitivesWithOnlyExtensionsHaveNoValueArray) {
  const std::string xml =
      std::string(kOpen) + R"(<name><given id="a"/><given id="b"/></name></Patient>)";
  EXPECT_EQ(ReadToJson(xml),
            R"({"resourceType":"Patient","name":[{"_given":[{"id":"a"},{"id":"b"}]}]})");
}

TEST(XmlReader, ElementIdAndExtensionUrlAreAttributesPlacedInDefinitionOrder) {
  // Extension is id, extension, url, value[x]: url comes after the nested extensions.
  const std::string xml = std::string(kOpen) + R"(
<extension url="http://outer" id="e1">
  <extension url="http://inner"><valueBoolean value="false"/></extension>
</extension>
<name id="n1"><text value="t"/></name></Patient>)";
  EXPECT_EQ(
      ReadToJson(xml),
      R"({"resourceType":"Patient","extension":[{"id":"e1","extension":[{"url":"http://inner",)"
      R"("valueBoolean":false}],"url":"http://outer"}],"name":[{"id":"n1","text":"t"}]})");
}

TEST(XmlReader, ReadsContainedResources) {
  const std::string xml = std::string(kOpen) + R"(
<contained><Organization><id value="org"/><name value="Acme &amp; Co"/></Organization></contained>
<contained><Practitioner><id value="pr"/></Practitioner></contained>
<managingOrganization><reference value="#org"/></managingOrganization></Patient>)";
  EXPECT_EQ(ReadToJson(xml),
            R"({"resourceType":"Patient","contained":[{"resourceType":"Organization","id":"org",)"
            R"("name":"Acme & Co"},{"resourceType":"Practitioner","id":"pr"}],)"
            R"("managingOrganization":{"reference":"#org"}})");
}

TEST(XmlReader, ReadsBundleEntryAndParametersResources) {
  const std::string bundle = R"(<Bundle xmlns="http://hl7.org/fhir"><type value="collection"/>
<entry><fullUrl value="urn:uuid:1"/><resource><Patient><id value="a"/></Patient></resource></entry>
<entry><resource><Parameters><parameter><name value="p"/><resource><Basic><code><text value="b"/></code></Basic></resource></parameter></Parameters></resource></entry>
</Bundle>)";
  EXPECT_EQ(ReadToJson(bundle),
            R"({"resourceType":"Bundle","type":"collection","entry":[{"fullUrl":"urn:uuid:1",)"
            R"("resource":{"resourceType":"Patient","id":"a"}},{"resource":{"resourceType":)"
            R"("Parameters","parameter":[{"name":"p","resource":{"resourceType":"Basic",)"
            R"("code":{"text":"b"}}}]}}]})");
}

TEST(XmlReader, KeepsWhitespaceAndReferencesInValueAttributes) {
  const std::string xml = std::string(kOpen) +
                          R"(<name><text value="  a &quot;b&quot;&#xA;c&#x9;&lt;d&gt; &amp; e' "/>)"
                          R"(</name></Patient>)";
  Result<json::Document> doc = ParseXml(xml);
  ASSERT_TRUE(doc.ok()) << doc.status().ToString();
  EXPECT_EQ(doc->root().Find("name")->elements()[0].Find("text")->text(),
            "  a \"b\"\nc\t<d> & e' ");
}

TEST(XmlReader, ReadsTheDivAsItsJsonString) {
  const std::string xml =
      std::string(kOpen) +
      "<text><status value=\"generated\"/>"
      "<div xmlns=\"http://www.w3.org/1999/xhtml\"><p class=\"x\">Ol&#233; &amp; "
      "&lt;ok&gt; 'q' \"d\" 日本</p><br/><td></td><!-- c --></div></text></Patient>";
  Result<json::Document> doc = ParseXml(xml);
  ASSERT_TRUE(doc.ok()) << doc.status().ToString();
  EXPECT_EQ(doc->root().Find("text")->Find("div")->text(),
            "<div xmlns=\"http://www.w3.org/1999/xhtml\"><p class=\"x\">Olé &amp; &lt;ok&gt; 'q' "
            "&quot;d&quot; 日本</p><br/><td></td><!-- c --></div>");
}

TEST(XmlReader, IgnoresCommentsAndSchemaLocation) {
  const std::string xml =
      "<Patient xmlns=\"http://hl7.org/fhir\" "
      "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" "
      "xsi:schemaLocation=\"http://hl7.org/fhir patient.xsd\"><!-- a comment -->"
      "<id value=\"x\"/><!-- another --></Patient>";
  EXPECT_EQ(ReadToJson(xml), R"({"resourceType":"Patient","id":"x"})");
}

TEST(XmlReader, RefusesProcessingInstructionsOutsideTheDiv) {
  EXPECT_EQ(ReadError(std::string(kOpen) + "\n<?app do-something?></Patient>").message(),
            "line 2: processing instruction <?app?> in Patient is not allowed in FHIR XML");
  EXPECT_EQ(
      ReadError("<?xml-stylesheet href=\"s.xsl\"?>" + std::string(kOpen) + "</Patient>").message(),
      "line 1: processing instruction <?xml-stylesheet?> outside the resource is not "
      "allowed in FHIR XML");
}

TEST(XmlReader, ReportsMalformedXmlBeforeAnyContentError) {
  // The unknown element comes first, but a document that is not XML at all
  // says so, as a tree parser would.
  Status status = ReadError(std::string(kOpen) + "\n<nickname value=\"x\"/>\n<name></Patient>");
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("line 3: Opening and ending tag mismatch"), std::string::npos)
      << status.message();
}

TEST(XmlReader, RefusesNulBytesEvenAfterTheRootElement) {
  Status status = ReadError(std::string(kOpen) + "</Patient>\n" + std::string(1, '\0') + "<x/>");
  EXPECT_EQ(status.message(), "line 2: NUL character (not allowed in XML)");
}

TEST(XmlReader, NamesAbstractResourceTypes) {
  EXPECT_EQ(ReadError("<DomainResource xmlns=\"http://hl7.org/fhir\"/>").message(),
            "line 1: resource type 'DomainResource' is abstract and cannot be instantiated");
  EXPECT_EQ(
      ReadError(std::string(kOpen) + "<contained><Resource/></contained></Patient>").message(),
      "line 1: resource type 'Resource' is abstract and cannot be instantiated in "
      "Patient.contained");
}

TEST(XmlReader, UnknownElementNamesLineAndPath) {
  const std::string xml = std::string(kOpen) + R"(
  <contact>
    <name><family value="x"/></name>
    <nickname value="y"/>
  </contact>
</Patient>)";
  Status status = ReadError(xml);
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(status.message(), "line 4: unknown element 'nickname' in Patient.contact");
}

TEST(XmlReader, RejectsTheWrongNamespace) {
  Status root =
      ReadError("<Patient xmlns=\"http://hl7.org/fhir/other\"><id value=\"x\"/></Patient>");
  EXPECT_EQ(root.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(root.message().find("not in the FHIR namespace"), std::string::npos);
  EXPECT_EQ(ReadError("<Patient><id value=\"x\"/></Patient>").code(), StatusCode::kInvalidArgument);
  Status child = ReadError(std::string(kOpen) + "<id xmlns=\"urn:x\" value=\"x\"/></Patient>");
  EXPECT_NE(child.message().find("not in the namespace http://hl7.org/fhir"), std::string::npos);
  Status div = ReadError(std::string(kOpen) +
                         "<text><status value=\"generated\"/><div>x</div></text></Patient>");
  EXPECT_NE(div.message().find("http://www.w3.org/1999/xhtml"), std::string::npos);
}

TEST(XmlReader, RejectsElementsOutOfDefinitionOrder) {
  Status status = ReadError(std::string(kOpen) +
                            "<gender value=\"male\"/>\n<name><text value=\"n\"/></name></Patient>");
  EXPECT_EQ(status.message(),
            "line 2: element 'name' is out of order in Patient: it must come before 'gender'");
  // A repeating element interrupted by another is out of order too.
  Status split = ReadError(std::string(kOpen) +
                           "<identifier/><active value=\"true\"/><identifier/></Patient>");
  EXPECT_NE(split.message().find("out of order"), std::string::npos);
}

TEST(XmlReader, RejectsANonRepeatingElementGivenTwice) {
  Status status = ReadError(std::string(kOpen) +
                            "<gender value=\"male\"/>\n<gender value=\"female\"/></Patient>");
  EXPECT_EQ(status.message(),
            "line 2: element 'gender' appears again in Patient; Patient.gender takes one value");
  Status two_choices = ReadError(std::string(kOpen) +
                                 "<deceasedBoolean value=\"true\"/><deceasedDateTime "
                                 "value=\"2020\"/></Patient>");
  EXPECT_NE(two_choices.message().find("appears again"), std::string::npos);
}

TEST(XmlReader, RejectsUnknownAttributesAndMisplacedIds) {
  EXPECT_EQ(
      ReadError(std::string(kOpen) + "<gender value=\"male\" foo=\"x\"/></Patient>").message(),
      "line 1: unknown attribute 'foo' on Patient.gender");
  // Resource.id is an element, Element.id an attribute.
  EXPECT_NE(ReadError("<Patient xmlns=\"http://hl7.org/fhir\" id=\"x\"/>")
                .message()
                .find("unknown attribute 'id'"),
            std::string::npos);
  EXPECT_NE(ReadError(std::string(kOpen) + "<name><id value=\"x\"/></name></Patient>")
                .message()
                .find("must be an attribute"),
            std::string::npos);
}

TEST(XmlReader, RejectsTextEmptyPrimitivesAndBadNestedResources) {
  EXPECT_NE(ReadError(std::string(kOpen) + "<gender value=\"male\">male</gender></Patient>")
                .message()
                .find("unexpected text \"male\""),
            std::string::npos);
  EXPECT_NE(
      ReadError(std::string(kOpen) + "<gender/></Patient>").message().find("no value attribute"),
      std::string::npos);
  EXPECT_NE(
      ReadError(std::string(kOpen) + "<contained/></Patient>").message().find("holds no resource"),
      std::string::npos);
  EXPECT_NE(ReadError(std::string(kOpen) + "<contained><Basic/><Basic/></contained></Patient>")
                .message()
                .find("more than one resource"),
            std::string::npos);
  EXPECT_NE(ReadError(std::string(kOpen) + "<contained><HumanName/></contained></Patient>")
                .message()
                .find("unknown resource type 'HumanName'"),
            std::string::npos);
  EXPECT_NE(ReadError("<HumanName xmlns=\"http://hl7.org/fhir\"/>")
                .message()
                .find("unknown resource type"),
            std::string::npos);
}

TEST(XmlReader, RefusesDoctypeAndEntities) {
  Status doctype = ReadError(
      "<!DOCTYPE Patient [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>"
      "<Patient xmlns=\"http://hl7.org/fhir\"><id value=\"&x;\"/></Patient>");
  EXPECT_EQ(doctype.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(doctype.message().find("DOCTYPE"), std::string::npos);
  EXPECT_EQ(ReadError(std::string(kOpen) + "<id value=\"&nbsp;\"/></Patient>").code(),
            StatusCode::kInvalidArgument);
}

TEST(XmlReader, EnforcesLimits) {
  std::string deep = std::string(kOpen);
  for (int i = 0; i < 60; ++i) deep += "<extension url=\"u\">";
  for (int i = 0; i < 60; ++i) deep += "</extension>";
  deep += "</Patient>";
  ParseLimits limits;
  limits.max_depth = 50;
  EXPECT_EQ(ReadError(deep, limits).code(), StatusCode::kResourceExhausted);
  limits = {};
  limits.max_document_bytes = 32;
  EXPECT_EQ(ReadError(std::string(kOpen) + "<id value=\"x\"/></Patient>", limits).code(),
            StatusCode::kResourceExhausted);
  limits = {};
  limits.max_string_bytes = 8;
  EXPECT_EQ(ReadError(std::string(kOpen) + "<id value=\"0123456789\"/></Patient>", limits).code(),
            StatusCode::kResourceExhausted);
}

TEST(XmlReader, RejectsInvalidUtf8) {
  Status status = ReadError(std::string(kOpen) + "<id value=\"\xC0\xAF\"/></Patient>");
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(status.message().rfind("line 1: ", 0), 0u) << status.message();
}

}  // namespace
}  // namespace fhirengine::fhir

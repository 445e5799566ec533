// The Narrative div: the well-formedness check, the escapes on the way into
// XML, and the serialiser that gives back the JSON string byte for byte.
#include "engine/fhir/xhtml.h"

#include <gtest/gtest.h>

#include <string>

#include "engine/fhir/xml_reader.h"
#include "engine/fhir/xml_writer.h"
#include "engine/json/json_parser.h"

namespace fhirengine::fhir {
namespace {

constexpr char kDivOpen[] = "<div xmlns=\"http://www.w3.org/1999/xhtml\">";

// The JSON string of the div in `xml_div` (the XML form), read through a Patient.
std::string DivFromXml(const std::string& xml_div) {
  const std::string xml =
      "<Patient xmlns=\"http://hl7.org/fhir\"><text><status value=\"generated\"/>" + xml_div +
      "</text></Patient>";
  Result<json::Document> doc = ParseXml(xml);
  if (!doc.ok()) return "error: " + doc.status().message();
  return std::string(doc->root().Find("text")->Find("div")->text());
}

// The div string after JSON -> XML -> JSON.
std::string RoundTrip(const std::string& div) {
  json::Document doc;
  json::Value text = doc.MakeObject({});
  doc.SetMember(text, "status", doc.MakeString("generated"));
  doc.SetMember(text, "div", doc.MakeString(div));
  json::Value patient = doc.MakeObject({});
  doc.SetMember(patient, "resourceType", doc.MakeString("Patient"));
  doc.SetMember(patient, "text", text);
  Result<std::string> xml = WriteXml(patient);
  if (!xml.ok()) return "error: " + xml.status().message();
  Result<json::Document> back = ParseXml(*xml);
  if (!back.ok()) return "error: " + back.status().message();
  return std::string(back->root().Find("text")->Find("div")->text());
}

TEST(XhtmlDiv, AcceptsAWellFormedXhtmlDiv) {
  EXPECT_EQ(CheckXhtmlDiv(std::string(kDivOpen) + "<p>a &amp; b</p><br/></div>"), "");
  EXPECT_EQ(CheckXhtmlDiv(std::string(kDivOpen) + "x</div>\n"), "");
}

TEST(XhtmlDiv, RejectsWhatIsNotOneXhtmlDiv) {
  EXPECT_EQ(CheckXhtmlDiv("<div>x</div>"),
            "the div is not in the XHTML namespace (xmlns=\"http://www.w3.org/1999/xhtml\")");
  EXPECT_EQ(CheckXhtmlDiv("<p xmlns=\"http://www.w3.org/1999/xhtml\">x</p>"),
            "the root element is <p>, not <div>");
  EXPECT_EQ(CheckXhtmlDiv("<h:div xmlns:h=\"http://www.w3.org/1999/xhtml\">x</h:div>"),
            "the div must declare the XHTML namespace as its default namespace");
  EXPECT_EQ(CheckXhtmlDiv(" <div xmlns=\"http://www.w3.org/1999/xhtml\"/>"),
            "must start with the <div> element");
  EXPECT_EQ(CheckXhtmlDiv("<?xml version=\"1.0\"?><div xmlns=\"http://www.w3.org/1999/xhtml\"/>"),
            "must start with the <div> element");
  EXPECT_EQ(CheckXhtmlDiv(std::string(kDivOpen) + "x</div><!-- after -->"),
            "content outside the div element");
  EXPECT_NE(CheckXhtmlDiv(std::string(kDivOpen) + "<p>x</div>"), "");
  EXPECT_NE(CheckXhtmlDiv(std::string(kDivOpen) + "&nbsp;</div>").find("nbsp"), std::string::npos);
  EXPECT_NE(CheckXhtmlDiv("<!DOCTYPE div [<!ENTITY e \"x\">]><div>&e;</div>"), "");
  EXPECT_NE(CheckXhtmlDiv(""), "");
}

TEST(XhtmlDiv, EscapesOnlyWhatXmlWouldNormalise) {
  std::string out;
  AppendXhtmlDivToXml(std::string(kDivOpen) +
                          "<p title=\"a\tb\nc\rd>e\" lang='x\ny'>1\r\n2\t3 &amp; 'q'</p>"
                          "<!-- keep\r\nas is --></div>",
                      out);
  EXPECT_EQ(out, std::string(kDivOpen) +
                     "<p title=\"a&#x9;b&#xA;c&#xD;d>e\" lang='x&#xA;y'>1&#xD;\n2\t3 &amp; 'q'</p>"
                     "<!-- keep\r\nas is --></div>");
}

TEST(XhtmlDiv, SerialisesInTheStyleOfTheOfficialExamples) {
  // References are written back in the examples' canonical form: & < > "
  // escaped, ' and non-ASCII raw, empty elements as they were written.
  EXPECT_EQ(
      DivFromXml(std::string(kDivOpen) +
                 "<p class='c' title=\"&apos;a&apos; &gt; b\">Ol&#233; &#x65E5; &apos;x&apos; "
                 "\"y\" a&gt;b</p><br/><br></br><img src=\"i.png\" /></div>"),
      std::string(kDivOpen) +
          "<p class=\"c\" title=\"'a' &gt; b\">Olé 日 'x' &quot;y&quot; a&gt;b</p><br/>"
          "<br></br><img src=\"i.png\"/></div>");
}

TEST(XhtmlDiv, WritesCdataAsTextAndKeepsComments) {
  EXPECT_EQ(DivFromXml(std::string(kDivOpen) + "<![CDATA[a<b & c]]><!-- note --></div>"),
            std::string(kDivOpen) + "a&lt;b &amp; c<!-- note --></div>");
}

TEST(XhtmlDiv, DeclaresTheXhtmlNamespaceOnTheDivWhateverTheXmlDid) {
  const std::string xml =
      "<Patient xmlns=\"http://hl7.org/fhir\" xmlns:h=\"http://www.w3.org/1999/xhtml\" "
      "xmlns:x=\"urn:x\"><text><status value=\"generated\"/><h:div class=\"k\"><h:p x:a=\"1\">t"
      "</h:p></h:div></text></Patient>";
  Result<json::Document> doc = ParseXml(xml);
  ASSERT_TRUE(doc.ok()) << doc.status().ToString();
  EXPECT_EQ(doc->root().Find("text")->Find("div")->text(),
            std::string("<div xmlns=\"http://www.w3.org/1999/xhtml\" class=\"k\">") +
                "<p xmlns:x=\"urn:x\" x:a=\"1\">t</p></div>");
}

TEST(XhtmlDiv, RoundTripsByteForByte) {
  const std::string divs[] = {
      std::string(kDivOpen) + "plain</div>",
      std::string(kDivOpen) + "\n\t<p>a &amp; b &lt;c&gt; &quot;d&quot; 'e'</p>\r\n</div>",
      std::string(kDivOpen) +
          "<a href=\"x?a=1&amp;b=2\" title=\"multi\nline\r\n\tattr\">l</a></div>",
      std::string(kDivOpen) + "<table><tr><td/><td></td></tr></table></div>",
      std::string(kDivOpen) + "Ünïcödé — 日本語 \xF0\x9F\x98\x80</div>",
      std::string(kDivOpen) + "<!-- a comment --><p>x</p></div>",
      std::string(kDivOpen) +
          "<svg xmlns=\"http://www.w3.org/2000/svg\"><circle r=\"1\"/></svg></div>",
  };
  for (const std::string& div : divs) EXPECT_EQ(RoundTrip(div), div);
}

}  // namespace
}  // namespace fhirengine::fhir

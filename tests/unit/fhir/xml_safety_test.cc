// The hardened libxml2 entry points: DOCTYPE and entity attacks refused
// without expansion, limits enforced, errors returned with line numbers and
// never printed, events decoded as documented.
#include "engine/fhir/xml_safety.h"

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

namespace fhirengine::fhir {
namespace {

// Records every event as text, to check what a parse delivered.
class RecordingHandler : public XmlEventHandler {
 public:
  Status StartElement(const XmlStartTag& tag) override {
    log += "<" + std::string(tag.name) + (tag.self_closing ? "/" : "") + ">";
    for (const XmlAttribute& a : tag.attributes) {
      attributes.push_back(std::string(a.name) + "=" + std::string(a.value));
    }
    return Status::Ok();
  }
  Status EndElement(int /*line*/) override {
    log += "</>";
    return Status::Ok();
  }
  Status Text(std::string_view text, int /*line*/) override {
    log += text;
    return Status::Ok();
  }
  Status Comment(std::string_view text) override {
    log += "<!--" + std::string(text) + "-->";
    return Status::Ok();
  }
  Status ProcessingInstruction(std::string_view target, std::string_view /*data*/,
                               int /*line*/) override {
    log += "<?" + std::string(target) + "?>";
    return Status::Ok();
  }
  std::string log;
  std::vector<std::string> attributes;
};

std::string Nested(std::size_t depth) {
  std::string xml;
  for (std::size_t i = 0; i < depth; ++i) xml += "<a>";
  for (std::size_t i = 0; i < depth; ++i) xml += "</a>";
  return xml;
}

TEST(XmlSafety, ParsesWellFormedXmlIntoATree) {
  Result<XmlDocPtr> doc = ParseXmlSafely("<a xmlns='urn:x'>\n  <b c='d'/>\n</a>", {});
  ASSERT_TRUE(doc.ok()) << doc.status().ToString();
  const xmlNode* root = xmlDocGetRootElement(doc->get());
  ASSERT_NE(root, nullptr);
  EXPECT_STREQ(reinterpret_cast<const char*>(root->name), "a");
  EXPECT_STREQ(reinterpret_cast<const char*>(root->ns->href), "urn:x");
}

TEST(XmlSafety, RejectsAnyDoctype) {
  Result<XmlDocPtr> doc = ParseXmlSafely("<!DOCTYPE a><a/>", {});
  ASSERT_FALSE(doc.ok());
  EXPECT_EQ(doc.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(doc.status().message().find("DOCTYPE is not allowed"), std::string::npos);

  // After an XML declaration, a comment and a processing instruction too.
  doc = ParseXmlSafely(
      "<?xml version=\"1.0\"?>\n<!-- c --><?pi x?>\n<!DOCTYPE a SYSTEM \"a.dtd\"><a/>", {});
  ASSERT_FALSE(doc.ok());
  EXPECT_NE(doc.status().message().find("DOCTYPE"), std::string::npos);
}

TEST(XmlSafety, RejectsDoctypeTheByteCheckCannotSeeDuringTheParse) {
  // UTF-16 hides "<!DOCTYPE" from the byte check; the SAX hook stops it.
  const std::string ascii = "<!DOCTYPE a [<!ENTITY e \"boom\">]><a>&e;</a>";
  std::string utf16 = "\xFF\xFE";
  for (char c : ascii) {
    utf16 += c;
    utf16 += '\0';
  }
  RecordingHandler handler;
  Status status = ParseXmlEvents(utf16, {}, handler);
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("DOCTYPE"), std::string::npos) << status.message();
  EXPECT_EQ(handler.log.find("boom"), std::string::npos);
}

TEST(XmlSafety, BillionLaughsIsRefusedWithoutExpansion) {
  std::string xml = "<?xml version=\"1.0\"?>\n<!DOCTYPE lolz [\n <!ENTITY lol \"lol\">\n";
  xml += " <!ENTITY lol1 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">\n";
  for (int i = 2; i <= 9; ++i) {
    std::string prev = "&lol" + std::to_string(i - 1) + ";";
    xml += " <!ENTITY lol" + std::to_string(i) + " \"";
    for (int k = 0; k < 10; ++k) xml += prev;
    xml += "\">\n";
  }
  xml += "]>\n<lolz>&lol9;</lolz>";
  RecordingHandler handler;
  const auto start = std::chrono::steady_clock::now();
  Status status = ParseXmlEvents(xml, {}, handler);
  const auto elapsed = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(status.ok());
  EXPECT_NE(status.message().find("DOCTYPE"), std::string::npos);
  EXPECT_EQ(handler.log.find("lol"), std::string::npos);
  // Not a timing assertion on speed, a sanity bound: expansion would take minutes.
  EXPECT_LT(elapsed, std::chrono::seconds(5));
  EXPECT_FALSE(ParseXmlSafely(xml, {}).ok());
}

TEST(XmlSafety, ExternalEntityIsRefusedWithoutReadingTheFile) {
  const std::string xml =
      "<?xml version=\"1.0\"?>\n"
      "<!DOCTYPE foo [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]>\n"
      "<foo>&xxe;</foo>";
  RecordingHandler handler;
  Status status = ParseXmlEvents(xml, {}, handler);
  ASSERT_FALSE(status.ok());
  EXPECT_NE(status.message().find("DOCTYPE"), std::string::npos);
  EXPECT_EQ(handler.log.find("root:"), std::string::npos);
  EXPECT_TRUE(handler.log.empty());
}

TEST(XmlSafety, UndefinedEntityIsAnError) {
  Result<XmlDocPtr> doc = ParseXmlSafely("<a>\n&foo;</a>", {});
  ASSERT_FALSE(doc.ok());
  EXPECT_EQ(doc.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(doc.status().message().rfind("line 2: ", 0), 0u) << doc.status().message();
  EXPECT_NE(doc.status().message().find("foo"), std::string::npos);
}

TEST(XmlSafety, MalformedXmlNamesTheLine) {
  Result<XmlDocPtr> doc = ParseXmlSafely("<a>\n<b>\n</a>", {});
  ASSERT_FALSE(doc.ok());
  EXPECT_EQ(doc.status().message().rfind("line 3: ", 0), 0u) << doc.status().message();
  EXPECT_EQ(ParseXmlSafely("", {}).status().code(), StatusCode::kInvalidArgument);
}

TEST(XmlSafety, UnboundPrefixIsAnError) {
  Result<XmlDocPtr> doc = ParseXmlSafely("<p:a/>", {});
  ASSERT_FALSE(doc.ok());
  EXPECT_EQ(doc.status().code(), StatusCode::kInvalidArgument);
}

TEST(XmlSafety, RejectsInvalidUtf8) {
  Result<XmlDocPtr> doc = ParseXmlSafely("<a>caf\xC3\x28</a>", {});
  ASSERT_FALSE(doc.ok());
  EXPECT_EQ(doc.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(doc.status().message().rfind("line 1: ", 0), 0u);
}

TEST(XmlSafety, EnforcesTheDepthLimit) {
  ParseLimits limits;
  limits.max_depth = 5;
  EXPECT_TRUE(ParseXmlSafely(Nested(5), limits).ok());
  Result<XmlDocPtr> deep = ParseXmlSafely(Nested(6), limits);
  ASSERT_FALSE(deep.ok());
  EXPECT_EQ(deep.status().code(), StatusCode::kResourceExhausted);
  EXPECT_NE(deep.status().message().find("deeper than 5"), std::string::npos);
}

TEST(XmlSafety, KeepsLibxmlsOwnDepthCap) {
  ParseLimits limits;
  limits.max_depth = 100000;
  EXPECT_TRUE(ParseXmlSafely(Nested(256), limits).ok());
  Result<XmlDocPtr> deep = ParseXmlSafely(Nested(257), limits);
  ASSERT_FALSE(deep.ok());
  EXPECT_EQ(deep.status().code(), StatusCode::kResourceExhausted);
}

TEST(XmlSafety, EnforcesTheDocumentSizeLimit) {
  ParseLimits limits;
  limits.max_document_bytes = 16;
  Result<XmlDocPtr> doc = ParseXmlSafely("<a>0123456789abcdef</a>", limits);
  ASSERT_FALSE(doc.ok());
  EXPECT_EQ(doc.status().code(), StatusCode::kResourceExhausted);
}

TEST(XmlSafety, EnforcesTheAttributeSizeLimit) {
  ParseLimits limits;
  limits.max_string_bytes = 4;
  EXPECT_TRUE(ParseXmlSafely("<a v='1234'/>", limits).ok());
  Result<XmlDocPtr> doc = ParseXmlSafely("<a v='12345'/>", limits);
  ASSERT_FALSE(doc.ok());
  EXPECT_EQ(doc.status().code(), StatusCode::kResourceExhausted);
}

TEST(XmlSafety, NeverPrintsErrors) {
  ::testing::internal::CaptureStderr();
  EXPECT_FALSE(ParseXmlSafely("<a><b></a>", {}).ok());
  EXPECT_FALSE(ParseXmlSafely("<a>&nope;</a>", {}).ok());
  EXPECT_FALSE(
      ParseXmlSafely("<?xml version=\"1.0\" encoding=\"no-such-encoding\"?><a/>", {}).ok());
  EXPECT_EQ(::testing::internal::GetCapturedStderr(), "");
}

TEST(XmlSafety, EventsCarryDecodedAttributesAndEmptyElementSyntax) {
  RecordingHandler handler;
  Status status = ParseXmlEvents(
      "<r v=\"a&amp;b&#38;c&#x26;d&lt;&quot;&#x9;&#xA;e\tf\"><b/><c></c>x&amp;y<!--n--></r>", {},
      handler);
  ASSERT_TRUE(status.ok()) << status.ToString();
  ASSERT_EQ(handler.attributes.size(), 1u);
  // Literal tab normalised to a space; the character references kept.
  EXPECT_EQ(handler.attributes[0], "v=a&b&c&d<\"\t\ne f");
  EXPECT_EQ(handler.log, "<r><b/></><c></>x&y<!--n--></>");
}

TEST(XmlSafety, HandlerErrorStopsTheParse) {
  class Refuse : public RecordingHandler {
   public:
    Status StartElement(const XmlStartTag& tag) override {
      if (tag.name == "stop") return InvalidArgument("line " + std::to_string(tag.line) + ": no");
      return RecordingHandler::StartElement(tag);
    }
  } handler;
  Status status = ParseXmlEvents("<a>\n<stop/><after/></a>", {}, handler);
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(status.message(), "line 2: no");
  EXPECT_EQ(handler.log.find("after"), std::string::npos);
}

TEST(XmlSafety, ParsesConcurrently) {
  std::vector<std::thread> threads;
  std::vector<int> failures(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([t, &failures] {
      for (int i = 0; i < 200; ++i) {
        if (!ParseXmlSafely("<a><b c='d'>text</b></a>", {}).ok())
          ++failures[static_cast<std::size_t>(t)];
        if (ParseXmlSafely("<a><b></a>", {}).ok()) ++failures[static_cast<std::size_t>(t)];
      }
    });
  }
  for (std::thread& th : threads) th.join();
  for (int f : failures) EXPECT_EQ(f, 0);
}

}  // namespace
}  // namespace fhirengine::fhir

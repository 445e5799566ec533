// The xml-file adapter over a real temporary drop folder: records by XPath,
// keys and timestamps, Latin-1 declared files, namespaces, malformed files
// and DOCTYPEs quarantined whole, records without a key alone, settings.
#include "adapters/xml_file/xml_file_adapter.h"

#include <gtest/gtest.h>

#include <string>

#include "tests/unit/adapters/drop_folder/recording_context.h"

namespace fhirengine::adapters {
namespace {

using testing::RecordingContext;
using testing::SettingsDoc;
using testing::TempFolder;

constexpr char kExport[] = R"(<?xml version="1.0" encoding="UTF-8"?>
<export created="2026-11-23T08:00:00Z">
  <unit hsa="SE2321000222-AVD12">
    <bed id="AVD12-1"><status>O</status><updated>2026-11-23T07:15:00Z</updated></bed>
    <bed id="AVD12-2"><status>U</status><updated>2026-11-23T07:20:00Z</updated></bed>
  </unit>
  <unit hsa="SE2321000222-KORT">
    <bed id="KORT-1"><status>C</status></bed>
  </unit>
</export>
)";

class XmlFileAdapterTest : public ::testing::Test {
 protected:
  std::string Settings(const std::string& extra = "") const {
    return "{\"directory\": \"" + folder_.path().string() +
           "\", \"pattern\": \"*.xml\", \"record-xpath\": \"/export/unit/bed\", "
           "\"key-xpath\": \"@id\"" +
           (extra.empty() ? "" : ", " + extra) + "}";
  }
  std::unique_ptr<Adapter> Make(const std::string& extra = "") {
    docs_.push_back(SettingsDoc(Settings(extra)));
    AdapterConfig config{"municipal-xml", "xml-file", &docs_.back().root(), ""};
    Result<std::unique_ptr<Adapter>> adapter = CreateXmlFileAdapter(config);
    EXPECT_TRUE(adapter.ok()) << adapter.status().ToString();
    return adapter.ok() ? std::move(adapter).value() : nullptr;
  }
  Status MakeError(const std::string& settings_json) {
    docs_.push_back(SettingsDoc(settings_json));
    AdapterConfig config{"municipal-xml", "xml-file", &docs_.back().root(), ""};
    return CreateXmlFileAdapter(config).status();
  }

  TempFolder folder_;
  std::vector<json::Document> docs_;
};

TEST_F(XmlFileAdapterTest, SelectsRecordsWithKeysTimestampsAndLines) {
  folder_.Write("beds.xml", kExport);
  auto adapter = Make("\"timestamp-xpath\": \"updated\"");
  RecordingContext ctx;
  PollOutcome outcome = adapter->Poll(ctx);
  ASSERT_TRUE(outcome.status.ok()) << outcome.status.ToString();
  EXPECT_TRUE(ctx.Rejected().empty());
  std::vector<SourceRecord> records = ctx.Records();
  ASSERT_EQ(records.size(), 3u);
  EXPECT_EQ(records[0].format, RecordFormat::kXmlElement);
  EXPECT_EQ(records[0].key, "AVD12-1");
  EXPECT_EQ(records[0].payload,
            "<bed id=\"AVD12-1\"><status>O</status><updated>2026-11-23T07:15:00Z</updated></bed>");
  EXPECT_EQ(records[0].locator, "beds.xml:4 (/export/unit[1]/bed[1])");
  EXPECT_EQ(records[0].source_time_ms, 1795418100000);
  EXPECT_EQ(records[2].key, "KORT-1");
  EXPECT_EQ(records[2].locator, "beds.xml:8 (/export/unit[2]/bed)");
  EXPECT_FALSE(records[2].source_time_ms.has_value());

  ctx.ClearBatches();
  ASSERT_TRUE(adapter->Poll(ctx).status.ok());
  EXPECT_TRUE(ctx.Records().empty()) << "a file is read once";
}

TEST_F(XmlFileAdapterTest, Latin1DeclaredFileBecomesUtf8) {
  folder_.Write("latin1.xml",
                "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>\n"
                "<export><unit><bed id=\"S\xc4NG-1\"><typ>korttidsv\xe5rd \xe5\xe4\xf6</typ></bed>"
                "</unit></export>\n");
  auto adapter = Make();
  RecordingContext ctx;
  ASSERT_TRUE(adapter->Poll(ctx).status.ok());
  std::vector<SourceRecord> records = ctx.Records();
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].key, "S\xc3\x84NG-1");
  EXPECT_NE(records[0].payload.find("korttidsv\xc3\xa5rd \xc3\xa5\xc3\xa4\xc3\xb6"),
            std::string::npos)
      << records[0].payload;
}

TEST_F(XmlFileAdapterTest, NamespacePrefixesFromSettings) {
  folder_.Write("ns.xml",
                "<x:export xmlns:x=\"urn:example:beds\"><x:unit><x:bed><x:id>B1</x:id></x:bed>"
                "</x:unit></x:export>");
  docs_.push_back(SettingsDoc("{\"directory\": \"" + folder_.path().string() +
                              "\", \"record-xpath\": \"//b:bed\", \"key-xpath\": \"b:id\", "
                              "\"namespaces\": {\"b\": \"urn:example:beds\"}}"));
  AdapterConfig config{"municipal-xml", "xml-file", &docs_.back().root(), ""};
  Result<std::unique_ptr<Adapter>> adapter = CreateXmlFileAdapter(config);
  ASSERT_TRUE(adapter.ok()) << adapter.status().ToString();
  RecordingContext ctx;
  ASSERT_TRUE((*adapter)->Poll(ctx).status.ok());
  std::vector<SourceRecord> records = ctx.Records();
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].key, "B1");
  EXPECT_NE(records[0].payload.find("xmlns:x=\"urn:example:beds\""), std::string::npos)
      << records[0].payload;
}

TEST_F(XmlFileAdapterTest, MalformedFileIsQuarantinedWholeWithTheParserLine) {
  folder_.Write("a-broken.xml", "<export>\n<unit>\n<bed id=\"1\">\n</unit>\n</export>\n");
  folder_.Write("b-good.xml", kExport);
  auto adapter = Make();
  RecordingContext ctx;
  ASSERT_TRUE(adapter->Poll(ctx).status.ok());
  EXPECT_EQ(ctx.Records().size(), 3u) << "other files go on";
  std::vector<RejectedRecord> rejected = ctx.Rejected();
  ASSERT_EQ(rejected.size(), 1u);
  EXPECT_EQ(rejected[0].locator, "a-broken.xml:4");
  EXPECT_NE(rejected[0].reason.find("line 4"), std::string::npos) << rejected[0].reason;
}

TEST_F(XmlFileAdapterTest, DoctypeWithEntityIsRefusedUnexpanded) {
  folder_.Write("xxe.xml",
                "<?xml version=\"1.0\"?>\n"
                "<!DOCTYPE export [<!ENTITY secret SYSTEM \"file:///etc/passwd\">]>\n"
                "<export><unit><bed id=\"&secret;\"/></unit></export>\n");
  auto adapter = Make();
  RecordingContext ctx;
  ASSERT_TRUE(adapter->Poll(ctx).status.ok());
  EXPECT_TRUE(ctx.Records().empty());
  std::vector<RejectedRecord> rejected = ctx.Rejected();
  ASSERT_EQ(rejected.size(), 1u);
  EXPECT_EQ(rejected[0].locator.rfind("xxe.xml:", 0), 0u);
  EXPECT_NE(rejected[0].reason.find("DOCTYPE is not allowed"), std::string::npos);
  EXPECT_EQ(rejected[0].reason.find("root:"), std::string::npos);
}

TEST_F(XmlFileAdapterTest, RecordWithoutKeyIsRejectedAlone) {
  folder_.Write("keys.xml",
                "<export>\n<unit>\n<bed id=\"B1\"/>\n<bed><status>O</status></bed>\n"
                "<bed id=\"  \"/>\n<bed id=\"B4\"/>\n</unit>\n</export>\n");
  auto adapter = Make();
  RecordingContext ctx;
  ASSERT_TRUE(adapter->Poll(ctx).status.ok());
  std::vector<SourceRecord> records = ctx.Records();
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0].key, "B1");
  EXPECT_EQ(records[1].key, "B4");
  std::vector<RejectedRecord> rejected = ctx.Rejected();
  ASSERT_EQ(rejected.size(), 2u);
  EXPECT_EQ(rejected[0].locator, "keys.xml:4 (/export/unit/bed[2])");
  EXPECT_NE(rejected[0].reason.find("key-xpath '@id' gives no value"), std::string::npos);
  EXPECT_EQ(rejected[0].raw, "<bed><status>O</status></bed>");
  EXPECT_EQ(rejected[1].locator, "keys.xml:5 (/export/unit/bed[3])");
}

TEST_F(XmlFileAdapterTest, BadTimestampRejectsTheRecord) {
  folder_.Write("t.xml",
                "<export><unit><bed id=\"B1\" t=\"igår\"/><bed id=\"B2\" t=\"1795418100\"/>"
                "</unit></export>");
  auto adapter = Make("\"timestamp-xpath\": \"@t\", \"timestamp-format\": \"epoch-seconds\"");
  RecordingContext ctx;
  ASSERT_TRUE(adapter->Poll(ctx).status.ok());
  ASSERT_EQ(ctx.Records().size(), 1u);
  EXPECT_EQ(ctx.Records()[0].source_time_ms, 1795418100000);
  ASSERT_EQ(ctx.Rejected().size(), 1u);
  EXPECT_NE(ctx.Rejected()[0].reason.find("timestamp-xpath '@t'"), std::string::npos);
}

TEST_F(XmlFileAdapterTest, FactoryChecksXPathsAndNamesTheKey) {
  Status bad = MakeError("{\"directory\": \"" + folder_.path().string() +
                         "\", \"record-xpath\": \"/export/[\", \"key-xpath\": \"@id\"}");
  EXPECT_EQ(bad.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(bad.message().find("settings.record-xpath"), std::string::npos) << bad.message();
  Status prefix = MakeError("{\"directory\": \"" + folder_.path().string() +
                            "\", \"record-xpath\": \"//q:bed\", \"key-xpath\": \"@id\"}");
  EXPECT_NE(prefix.message().find("settings.record-xpath"), std::string::npos) << prefix.message();
  Status key = MakeError("{\"directory\": \"" + folder_.path().string() +
                         "\", \"record-xpath\": \"//bed\"}");
  EXPECT_NE(key.message().find("settings.key-xpath: is required"), std::string::npos);
  Status dir = MakeError(
      "{\"directory\": \"/nonexistent\", \"record-xpath\": \"//bed\", \"key-xpath\": \"@id\"}");
  EXPECT_NE(dir.message().find("settings.directory"), std::string::npos);
  EXPECT_EQ(XmlFileAdapterType().name, "xml-file");
  EXPECT_NE(XmlFileAdapterType().settings_schema.find("\"additionalProperties\": false"),
            std::string::npos);
}

}  // namespace
}  // namespace fhirengine::adapters

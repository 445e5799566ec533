// The csv-file adapter over a real temporary drop folder: encodings,
// delimiters, quoting, quarantined rows with file:line, read-once, changed
// files, settling, size cap, batching, cursor resume, archive and settings.
#include "adapters/csv_file/csv_file_adapter.h"

#include <gtest/gtest.h>
#include <rapidjson/document.h>
#include <rapidjson/schema.h>

#include <filesystem>
#include <string>

#include "adapters/drop_folder/drop_cursor.h"
#include "tests/unit/adapters/drop_folder/recording_context.h"

namespace fhirengine::adapters {
namespace {

using testing::RecordingContext;
using testing::SettingsDoc;
using testing::TempFolder;

constexpr char kHeader[] = "enhet;plats;typ;status;uppdaterad\n";

class CsvFileAdapterTest : public ::testing::Test {
 protected:
  // Settings JSON with the folder filled in; `extra` is more members.
  std::string Settings(const std::string& extra = "") const {
    return "{\"directory\": \"" + folder_.path().string() + "\", \"pattern\": \"*.csv\"" +
           (extra.empty() ? "" : ", " + extra) + "}";
  }
  std::unique_ptr<Adapter> Make(const std::string& extra = "") {
    docs_.push_back(SettingsDoc(Settings(extra)));
    AdapterConfig config{"municipal-beds", "csv-file", &docs_.back().root(), ""};
    Result<std::unique_ptr<Adapter>> adapter = CreateCsvFileAdapter(config);
    EXPECT_TRUE(adapter.ok()) << adapter.status().ToString();
    return adapter.ok() ? std::move(adapter).value() : nullptr;
  }
  Status MakeError(const std::string& settings_json) {
    docs_.push_back(SettingsDoc(settings_json));
    AdapterConfig config{"municipal-beds", "csv-file", &docs_.back().root(), ""};
    return CreateCsvFileAdapter(config).status();
  }

  TempFolder folder_;
  std::vector<json::Document> docs_;
};

TEST_F(CsvFileAdapterTest, ReadsRowsWithKeysAndTimestampsOnce) {
  folder_.Write("beds-2026-11-23.csv", std::string(kHeader) +
                                           "AVD12;3;vardplats;O;2026-11-23 08:15\n"
                                           "AVD12;4;vardplats;U;2026-11-23 08:20\n");
  folder_.Write("notes.txt", "not a csv file");
  auto adapter = Make(
      "\"key-columns\": [\"enhet\", \"plats\"], \"timestamp-column\": \"uppdaterad\", "
      "\"timestamp-format\": \"%Y-%m-%d %H:%M\", \"timestamp-utc-offset\": \"+01:00\"");
  RecordingContext ctx;
  PollOutcome outcome = adapter->Poll(ctx);
  ASSERT_TRUE(outcome.status.ok()) << outcome.status.ToString();
  EXPECT_TRUE(outcome.received) << "a new file is news from the source";
  std::vector<SourceRecord> records = ctx.Records();
  ASSERT_EQ(records.size(), 2u);
  EXPECT_TRUE(ctx.Rejected().empty());
  EXPECT_EQ(records[0].format, RecordFormat::kCsvRow);
  EXPECT_EQ(records[0].columns,
            (std::vector<std::string>{"enhet", "plats", "typ", "status", "uppdaterad"}));
  EXPECT_EQ(records[0].fields,
            (std::vector<std::string>{"AVD12", "3", "vardplats", "O", "2026-11-23 08:15"}));
  EXPECT_EQ(records[0].key, "AVD12|3");
  EXPECT_EQ(records[0].locator, "beds-2026-11-23.csv:2");
  EXPECT_EQ(records[0].source_time_ms, 1795418100000);  // 07:15Z
  EXPECT_EQ(records[1].key, "AVD12|4");
  EXPECT_EQ(records[1].locator, "beds-2026-11-23.csv:3");

  ctx.ClearBatches();
  outcome = adapter->Poll(ctx);
  ASSERT_TRUE(outcome.status.ok());
  EXPECT_TRUE(ctx.Records().empty()) << "a file is read once";
  EXPECT_FALSE(outcome.received) << "a poll that finds no new file says nothing of the source";
}

TEST_F(CsvFileAdapterTest, KeysOfSeveralColumnsStayDistinctWhenValuesHoldTheSeparator) {
  folder_.Write("keys.csv", std::string(kHeader) +
                                "a|b;c;vardplats;O;2026-11-23 08:15\n"
                                "a;b|c;vardplats;O;2026-11-23 08:15\n"
                                "a\\;x;vardplats;O;2026-11-23 08:15\n");
  auto adapter = Make("\"key-columns\": [\"enhet\", \"plats\"]");
  RecordingContext ctx;
  ASSERT_TRUE(adapter->Poll(ctx).status.ok());
  std::vector<SourceRecord> records = ctx.Records();
  ASSERT_EQ(records.size(), 3u);
  EXPECT_EQ(records[0].key, "a\\|b|c");
  EXPECT_EQ(records[1].key, "a|b\\|c");
  EXPECT_EQ(records[2].key, "a\\\\|x");
}

TEST_F(CsvFileAdapterTest, Utf8BomIsNotPartOfTheFirstColumn) {
  folder_.Write("bom.csv", "\xEF\xBB\xBFkommun,plats\nUme\xc3\xa5,1\n");
  auto adapter = Make("\"key-columns\": [\"kommun\", \"plats\"]");
  RecordingContext ctx;
  ASSERT_TRUE(adapter->Poll(ctx).status.ok());
  std::vector<SourceRecord> records = ctx.Records();
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].columns[0], "kommun");
  EXPECT_EQ(records[0].key, "Ume\xc3\xa5|1");
}

TEST_F(CsvFileAdapterTest, Latin1IsConvertedToUtf8) {
  folder_.Write("latin1.csv", "enhet;plats;typ\nKORTTID \xc5\xc4\xd6;1;s\xe4ng \xe5\xe4\xf6\n");
  auto adapter = Make("\"encoding\": \"iso-8859-1\", \"delimiter\": \";\"");
  RecordingContext ctx;
  ASSERT_TRUE(adapter->Poll(ctx).status.ok());
  std::vector<SourceRecord> records = ctx.Records();
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].fields[0], "KORTTID \xc3\x85\xc3\x84\xc3\x96");
  EXPECT_EQ(records[0].fields[2], "s\xc3\xa4ng \xc3\xa5\xc3\xa4\xc3\xb6");
  EXPECT_EQ(records[0].key, "latin1.csv:2") << "no key columns: file name and line";
}

TEST_F(CsvFileAdapterTest, InvalidUtf8RowIsQuarantinedInAUtf8File) {
  folder_.Write("mixed.csv",
                std::string(kHeader) + "AVD1;1;v;O;x\nAVD1;2;s\xe4ng;O;x\nAVD1;3;v;U;x\n");
  auto adapter = Make();
  RecordingContext ctx;
  ASSERT_TRUE(adapter->Poll(ctx).status.ok());
  ASSERT_EQ(ctx.Records().size(), 2u);
  std::vector<RejectedRecord> rejected = ctx.Rejected();
  ASSERT_EQ(rejected.size(), 1u);
  EXPECT_EQ(rejected[0].locator, "mixed.csv:3");
  EXPECT_NE(rejected[0].reason.find("column 'typ' is not valid UTF-8"), std::string::npos)
      << rejected[0].reason;
  EXPECT_EQ(rejected[0].raw, "AVD1;2;s\xc3\xa4ng;O;x") << "raw kept as text";
}

TEST_F(CsvFileAdapterTest, CommaDelimiterWithQuotedFieldsAndLineBreaks) {
  folder_.Write("quoted.csv",
                "enhet,plats,kommentar\n"
                "AVD7,1,\"st\xc3\xa4ngd, sanering\"\n"
                "AVD7,2,\"s\xc3\xa4g \"\"hej\"\"\"\n"
                "AVD7,3,\"rad ett\nrad tv\xc3\xa5\"\n"
                "AVD7,4,klar\n");
  auto adapter = Make("\"key-columns\": [\"enhet\", \"plats\"]");
  RecordingContext ctx;
  ASSERT_TRUE(adapter->Poll(ctx).status.ok());
  std::vector<SourceRecord> records = ctx.Records();
  ASSERT_EQ(records.size(), 4u);
  EXPECT_EQ(records[0].fields[2], "st\xc3\xa4ngd, sanering");
  EXPECT_EQ(records[1].fields[2], "s\xc3\xa4g \"hej\"");
  EXPECT_EQ(records[2].fields[2], "rad ett\nrad tv\xc3\xa5");
  EXPECT_EQ(records[2].locator, "quoted.csv:4");
  EXPECT_EQ(records[3].locator, "quoted.csv:6") << "line numbers count physical lines";
}

TEST_F(CsvFileAdapterTest, MalformedRowsAreQuarantinedAndTheRestDelivered) {
  folder_.Write("bad.csv", std::string(kHeader) +
                               "AVD1;1;v;O;x\n"        // 2 good
                               "AVD1;2;v;O\n"          // 3 too few fields
                               "AVD1;;v;O;x\n"         // 4 empty key
                               "AVD1;4;\"v;O;x\n"      // 5 unterminated quote
                               "AVD1;5;v;U;x;extra\n"  // 6 too many fields
                               "AVD1;6;v;U;x\n");      // 7 good
  auto adapter = Make("\"key-columns\": [\"enhet\", \"plats\"]");
  RecordingContext ctx;
  ASSERT_TRUE(adapter->Poll(ctx).status.ok());
  std::vector<SourceRecord> records = ctx.Records();
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0].key, "AVD1|1");
  EXPECT_EQ(records[1].key, "AVD1|6");
  std::vector<RejectedRecord> rejected = ctx.Rejected();
  ASSERT_EQ(rejected.size(), 4u);
  EXPECT_EQ(rejected[0].locator, "bad.csv:3");
  EXPECT_NE(rejected[0].reason.find("row has 4 fields, the header has 5"), std::string::npos);
  EXPECT_EQ(rejected[0].raw, "AVD1;2;v;O");
  EXPECT_EQ(rejected[1].locator, "bad.csv:4");
  EXPECT_NE(rejected[1].reason.find("key column 'plats' is empty"), std::string::npos);
  EXPECT_EQ(rejected[2].locator, "bad.csv:5");
  EXPECT_NE(rejected[2].reason.find("never closed"), std::string::npos) << rejected[2].reason;
  EXPECT_EQ(rejected[3].locator, "bad.csv:6");
  EXPECT_NE(rejected[3].reason.find("row has 6 fields"), std::string::npos);
}

TEST_F(CsvFileAdapterTest, HeaderProblemsQuarantineTheWholeFile) {
  folder_.Write("a-nokey.csv", "enhet;typ\nAVD1;v\n");
  folder_.Write("b-dup.csv", "enhet;enhet;plats\nAVD1;AVD1;1\n");
  folder_.Write("c-empty.csv", "");
  auto adapter = Make("\"key-columns\": [\"plats\"]");
  RecordingContext ctx;
  ASSERT_TRUE(adapter->Poll(ctx).status.ok());
  EXPECT_TRUE(ctx.Records().empty());
  std::vector<RejectedRecord> rejected = ctx.Rejected();
  ASSERT_EQ(rejected.size(), 3u);
  EXPECT_EQ(rejected[0].locator, "a-nokey.csv:1");
  EXPECT_NE(rejected[0].reason.find("key column 'plats' (settings key-columns) is not in"),
            std::string::npos);
  EXPECT_NE(rejected[1].reason.find("column 'enhet' appears twice"), std::string::npos);
  EXPECT_EQ(rejected[2].locator, "c-empty.csv:1");
  EXPECT_NE(rejected[2].reason.find("no header row"), std::string::npos);
}

TEST_F(CsvFileAdapterTest, ChangedFileIsReadAgainButIdenticalCopyIsNot) {
  folder_.Write("beds.csv", std::string(kHeader) + "AVD1;1;v;O;x\n");
  auto adapter = Make();
  RecordingContext ctx;
  ASSERT_TRUE(adapter->Poll(ctx).status.ok());
  ASSERT_EQ(ctx.Records().size(), 1u);

  // The same content delivered again (new modification time): skipped.
  folder_.Write("beds.csv", std::string(kHeader) + "AVD1;1;v;O;x\n", std::chrono::minutes(30));
  ctx.ClearBatches();
  ASSERT_TRUE(adapter->Poll(ctx).status.ok());
  EXPECT_TRUE(ctx.Records().empty());

  folder_.Write("beds.csv", std::string(kHeader) + "AVD1;1;v;U;x\nAVD1;2;v;O;x\n",
                std::chrono::minutes(20));
  ctx.ClearBatches();
  ASSERT_TRUE(adapter->Poll(ctx).status.ok());
  std::vector<SourceRecord> records = ctx.Records();
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0].fields[3], "U");
}

TEST_F(CsvFileAdapterTest, FileStillBeingWrittenIsIgnoredUntilSettled) {
  folder_.Write("growing.csv", std::string(kHeader) + "AVD1;1;v;O;x\n", std::chrono::seconds(0));
  folder_.Write(".hidden.csv", std::string(kHeader) + "AVD1;9;v;O;x\n");
  folder_.Write("upload.csv.tmp", std::string(kHeader) + "AVD1;9;v;O;x\n");
  auto adapter = Make("\"settle-seconds\": 30");
  RecordingContext ctx;
  ASSERT_TRUE(adapter->Poll(ctx).status.ok());
  EXPECT_TRUE(ctx.Records().empty());

  folder_.Write("growing.csv", std::string(kHeader) + "AVD1;1;v;O;x\nAVD1;2;v;O;x\n",
                std::chrono::seconds(31));
  ASSERT_TRUE(adapter->Poll(ctx).status.ok());
  EXPECT_EQ(ctx.Records().size(), 2u) << "read whole once settled; dotfiles never";
}

TEST_F(CsvFileAdapterTest, OversizedFileIsQuarantinedOnceUnread) {
  std::string big(kHeader);
  for (int i = 0; i < 20; ++i) big += "AVD1;" + std::to_string(i) + ";v;O;x\n";
  folder_.Write("big.csv", big);
  folder_.Write("small.csv", std::string(kHeader) + "AVD1;1;v;O;x\n");
  auto adapter = Make("\"max-file-bytes\": 200");
  RecordingContext ctx;
  ASSERT_TRUE(adapter->Poll(ctx).status.ok());
  EXPECT_EQ(ctx.Records().size(), 1u);
  std::vector<RejectedRecord> rejected = ctx.Rejected();
  ASSERT_EQ(rejected.size(), 1u);
  EXPECT_EQ(rejected[0].locator, "big.csv");
  EXPECT_NE(rejected[0].reason.find("over the limit of 200 bytes (settings max-file-bytes)"),
            std::string::npos);
  ctx.ClearBatches();
  ASSERT_TRUE(adapter->Poll(ctx).status.ok());
  EXPECT_TRUE(ctx.Rejected().empty()) << "quarantined once";
}

TEST_F(CsvFileAdapterTest, BatchesCarryProgressAndANewInstanceResumes) {
  std::string csv(kHeader);
  for (int i = 1; i <= 5; ++i) csv += "AVD1;" + std::to_string(i) + ";v;O;x\n";
  folder_.Write("beds.csv", csv);
  auto adapter = Make("\"batch-size\": 2, \"key-columns\": [\"plats\"]");
  RecordingContext ctx;
  ASSERT_TRUE(adapter->Poll(ctx).status.ok());
  ASSERT_EQ(ctx.batches.size(), 3u);
  EXPECT_EQ(ctx.batches[0].records.size(), 2u);
  EXPECT_EQ(ctx.batches[2].records.size(), 1u);
  Result<drop_folder::DropCursor> first = drop_folder::DropCursor::Parse(ctx.batches[0].cursor);
  ASSERT_TRUE(first.ok());
  ASSERT_EQ(first->files().size(), 1u);
  EXPECT_EQ(first->files()[0].records, 2u);
  EXPECT_FALSE(first->files()[0].done);
  Result<drop_folder::DropCursor> last = drop_folder::DropCursor::Parse(ctx.batches[2].cursor);
  ASSERT_TRUE(last.ok());
  EXPECT_TRUE(last->files()[0].done);
  EXPECT_EQ(last->files()[0].records, 5u);

  // A crash after the first batch was committed: a new instance resumes.
  RecordingContext after_crash(ctx.batches[0].cursor);
  auto restarted = Make("\"batch-size\": 2, \"key-columns\": [\"plats\"]");
  ASSERT_TRUE(restarted->Poll(after_crash).status.ok());
  std::vector<SourceRecord> rest = after_crash.Records();
  ASSERT_EQ(rest.size(), 3u);
  EXPECT_EQ(rest[0].key, "3");
  EXPECT_EQ(rest[2].key, "5");

  // A restart after everything was committed delivers nothing.
  RecordingContext after_restart(ctx.committed_cursor());
  auto again = Make("\"batch-size\": 2");
  ASSERT_TRUE(again->Poll(after_restart).status.ok());
  EXPECT_TRUE(after_restart.Records().empty());
}

TEST_F(CsvFileAdapterTest, FailedDeliveryKeepsTheCursorAndIsRetried) {
  folder_.Write("beds.csv", std::string(kHeader) + "AVD1;1;v;O;x\n");
  auto adapter = Make();
  RecordingContext ctx;
  ctx.fail_deliveries = 1;
  PollOutcome outcome = adapter->Poll(ctx);
  EXPECT_EQ(outcome.status.code(), StatusCode::kUnavailable);
  EXPECT_TRUE(ctx.committed_cursor().empty());
  ASSERT_TRUE(adapter->Poll(ctx).status.ok());
  EXPECT_EQ(ctx.Records().size(), 1u);
}

TEST_F(CsvFileAdapterTest, CancelledPollStopsBeforeTheNextFile) {
  folder_.Write("a.csv", std::string(kHeader) + "AVD1;1;v;O;x\n");
  auto adapter = Make();
  adapter->Cancel();
  RecordingContext ctx;
  PollOutcome outcome = adapter->Poll(ctx);
  EXPECT_TRUE(outcome.status.ok());
  EXPECT_TRUE(outcome.more);
  EXPECT_TRUE(ctx.Records().empty());
}

TEST_F(CsvFileAdapterTest, ArchivesFilesAfterTheirBatchIsStored) {
  TempFolder archive;
  folder_.Write("beds.csv", std::string(kHeader) + "AVD1;1;v;O;x\n");
  auto adapter = Make("\"archive-directory\": \"" + archive.path().string() + "\"");
  RecordingContext ctx;
  ASSERT_TRUE(adapter->Poll(ctx).status.ok());
  EXPECT_EQ(ctx.Records().size(), 1u);
  EXPECT_FALSE(std::filesystem::exists(folder_.path() / "beds.csv"));
  EXPECT_TRUE(std::filesystem::exists(archive.path() / "beds.csv"));
  // The next poll drops the archived file from the cursor (kept bounded).
  ASSERT_TRUE(adapter->Poll(ctx).status.ok());
  Result<drop_folder::DropCursor> cursor = drop_folder::DropCursor::Parse(ctx.committed_cursor());
  ASSERT_TRUE(cursor.ok());
  EXPECT_TRUE(cursor->files().empty());
}

TEST_F(CsvFileAdapterTest, FactoryNamesTheBadSetting) {
  Status missing = MakeError("{\"directory\": \"/nonexistent/drop\"}");
  EXPECT_EQ(missing.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(missing.message().find("settings.directory"), std::string::npos) << missing.message();
  Status delimiter = MakeError(Settings("\"delimiter\": \"|\""));
  EXPECT_NE(delimiter.message().find("settings.delimiter"), std::string::npos);
  Status unknown = MakeError(Settings("\"folder\": \"x\""));
  EXPECT_NE(unknown.message().find("settings.folder: unknown setting"), std::string::npos);
  Status format = MakeError(Settings("\"timestamp-format\": \"%H\""));
  EXPECT_NE(format.message().find("settings.timestamp-format"), std::string::npos);
  Status batch = MakeError(Settings("\"batch-size\": 0"));
  EXPECT_NE(batch.message().find("settings.batch-size"), std::string::npos);
  Status archive = MakeError(Settings("\"archive-directory\": \"/nonexistent/archive\""));
  EXPECT_NE(archive.message().find("settings.archive-directory"), std::string::npos);
}

TEST_F(CsvFileAdapterTest, SettingsSchemaIsDraft04AndClosed) {
  AdapterType type = CsvFileAdapterType();
  EXPECT_EQ(type.name, "csv-file");
  rapidjson::Document schema_doc;
  ASSERT_FALSE(schema_doc.Parse(type.settings_schema.c_str()).HasParseError());
  rapidjson::SchemaDocument schema(schema_doc);
  auto valid = [&](const std::string& text) {
    rapidjson::Document d;
    d.Parse(text.c_str());
    rapidjson::SchemaValidator validator(schema);
    return d.Accept(validator);
  };
  EXPECT_TRUE(
      valid(Settings("\"delimiter\": \";\", \"encoding\": \"iso-8859-1\", "
                     "\"key-columns\": [\"enhet\"], \"batch-size\": 500")));
  EXPECT_FALSE(valid(Settings("\"folder\": 1")));
  EXPECT_FALSE(valid(Settings("\"encoding\": \"utf-16\"")));
  EXPECT_FALSE(valid("{\"pattern\": \"*.csv\"}"));
}

}  // namespace
}  // namespace fhirengine::adapters

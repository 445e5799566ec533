// The CSV tokenizer: RFC 4180 quoting, physical line numbers, CRLF, limits,
// and resynchronisation after a malformed record.
#include "adapters/csv_file/csv_parser.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace fhirengine::adapters::csv_file {
namespace {

struct Row {
  std::vector<std::string> fields;
  std::size_t line;
  std::string error;
};

std::vector<Row> ParseAll(std::string_view text, char delimiter = ';',
                          CsvParseOptions options = {}) {
  options.delimiter = delimiter;
  CsvParser parser(text, options);
  CsvRecord record;
  std::vector<Row> rows;
  while (parser.Next(record)) rows.push_back({record.fields, record.line, record.error});
  return rows;
}

TEST(CsvParser, SplitsOnDelimiterAndCountsLines) {
  std::vector<Row> rows = ParseAll("enhet;plats\nAVD12;3\r\nAVD12;4\n");
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[1].fields, (std::vector<std::string>{"AVD12", "3"}));
  EXPECT_EQ(rows[2].fields, (std::vector<std::string>{"AVD12", "4"}));
  EXPECT_EQ(rows[2].line, 3u);
}

TEST(CsvParser, QuotedFieldsHoldDelimitersQuotesAndLineBreaks) {
  std::vector<Row> rows =
      ParseAll("a,b,c\n\"x,y\",\"sa \"\"fri\"\"\",\"rad1\r\nrad2\"\nnext,2,3\n", ',');
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[1].fields, (std::vector<std::string>{"x,y", "sa \"fri\"", "rad1\r\nrad2"}));
  EXPECT_EQ(rows[1].line, 2u);
  EXPECT_EQ(rows[2].line, 4u);  // the quoted line break counts
  EXPECT_EQ(rows[2].fields[0], "next");
}

TEST(CsvParser, EmptyFieldsAndBlankLines) {
  std::vector<Row> rows = ParseAll("a;b;c\n\n;;\nx;;\"\"\n");
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[1].fields, (std::vector<std::string>{"", "", ""}));
  EXPECT_EQ(rows[1].line, 3u);
  EXPECT_EQ(rows[2].fields, (std::vector<std::string>{"x", "", ""}));
}

TEST(CsvParser, UnterminatedQuoteRejectsItsLineAndGoesOn) {
  std::vector<Row> rows = ParseAll("a;b\n\"open;1\nAVD1;2\n");
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[1].line, 2u);
  EXPECT_NE(rows[1].error.find("never closed"), std::string::npos) << rows[1].error;
  EXPECT_TRUE(rows[2].error.empty());
  EXPECT_EQ(rows[2].fields, (std::vector<std::string>{"AVD1", "2"}));
  EXPECT_EQ(rows[2].line, 3u);
}

TEST(CsvParser, TextAfterClosingQuoteIsAnError) {
  std::vector<Row> rows = ParseAll("\"a\"b;c\nd;e\n");
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_NE(rows[0].error.find("after a closing quote"), std::string::npos);
  EXPECT_EQ(rows[1].fields, (std::vector<std::string>{"d", "e"}));
  EXPECT_EQ(rows[1].line, 2u);
}

TEST(CsvParser, QuoteInsideUnquotedFieldIsLiteral) {
  std::vector<Row> rows = ParseAll("17\" sk\xc3\xa4rm;x\n");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_TRUE(rows[0].error.empty());
  EXPECT_EQ(rows[0].fields[0], "17\" sk\xc3\xa4rm");
}

TEST(CsvParser, FieldAndRecordLimits) {
  CsvParseOptions options;
  options.max_field_bytes = 4;
  std::vector<Row> rows = ParseAll("abcde;x\nabcd;x\n", ';', options);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_NE(rows[0].error.find("longer than 4 bytes"), std::string::npos);
  EXPECT_TRUE(rows[1].error.empty());

  options = {};
  options.max_record_bytes = 16;
  rows = ParseAll("\"0123456789abcdefghij\";x\nok;x\n", ';', options);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_NE(rows[0].error.find("record longer than 16 bytes"), std::string::npos);
  EXPECT_EQ(rows[1].fields, (std::vector<std::string>{"ok", "x"}));
}

TEST(CsvParser, DetectsDelimiterFromHeader) {
  EXPECT_EQ(DetectDelimiter("enhet;plats;typ\n1,2;3;4"), ';');
  EXPECT_EQ(DetectDelimiter("enhet,plats,\"a;b\"\n"), ',');
  EXPECT_EQ(DetectDelimiter("enhet\tplats\n"), '\t');
  EXPECT_EQ(DetectDelimiter("enhet\n"), ',');
}

}  // namespace
}  // namespace fhirengine::adapters::csv_file

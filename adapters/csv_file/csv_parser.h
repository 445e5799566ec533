// An RFC 4180 CSV tokenizer over UTF-8 text: any one-byte delimiter, quoted
// fields (delimiters, doubled quotes and line breaks inside quotes), LF or
// CRLF line ends, line numbers that count physical lines, and limits on
// record and field length. A malformed record is reported with its line and
// reason, and reading resumes on the next physical line.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace fhirengine::adapters::csv_file {

struct CsvParseOptions {
  char delimiter = ',';
  std::size_t max_record_bytes = 1u << 20;  // one record's text, quotes and line breaks included
  std::size_t max_field_bytes = 64u << 10;  // one field, unquoted
  std::size_t max_fields = 1024;
};

struct CsvRecord {
  std::vector<std::string> fields;
  std::size_t line = 0;  // the record's first physical line, 1-based
  std::string_view raw;  // the record's text (for a malformed one: its first line)
  std::string error;     // non-empty when the record is malformed (fields then unusable)
};

// Reads records one at a time from `text`, which must outlive the parser.
// Empty lines are skipped. A quote inside an unquoted field is kept as a
// literal character (exports do this); after a closing quote only the
// delimiter or a line end may follow. Not thread-safe.
class CsvParser {
 public:
  CsvParser(std::string_view text, CsvParseOptions options);

  // Fills `record` (reusing its storage); false at the end of the text.
  bool Next(CsvRecord& record);

 private:
  // Ends a malformed record: skips to the line after its first line.
  void Resync(CsvRecord& record, std::size_t start, std::size_t start_line, std::string error);

  std::string_view text_;
  CsvParseOptions options_;
  std::size_t pos_ = 0;
  std::size_t line_ = 1;
};

// The delimiter a header line most likely uses: whichever of ';', ',' and
// tab occurs most often outside quotes in the first line (',' when none).
char DetectDelimiter(std::string_view text);

}  // namespace fhirengine::adapters::csv_file

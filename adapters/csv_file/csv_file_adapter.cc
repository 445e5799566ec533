// The csv-file adapter: settings, the CSV file reader behind the shared
// drop-folder poller (see csv_file_adapter.h).
#include "adapters/csv_file/csv_file_adapter.h"

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "adapters/csv_file/csv_parser.h"
#include "adapters/drop_folder/drop_folder_poller.h"
#include "adapters/drop_folder/settings_reader.h"
#include "adapters/drop_folder/source_time.h"
#include "adapters/drop_folder/text_encoding.h"

namespace fhirengine::adapters {
namespace {

using drop_folder::SettingError;
using drop_folder::SettingsReader;

constexpr std::size_t kMaxRawBytes = 4096;  // of a rejected row kept for the quarantine
constexpr std::string_view kBom = "\xEF\xBB\xBF";

enum class Encoding { kUtf8, kLatin1 };

struct CsvSettings {
  char delimiter = 0;  // 0: detect from the header line
  Encoding encoding = Encoding::kUtf8;
  std::vector<std::string> key_columns;
  std::optional<std::string> timestamp_column;
  std::optional<drop_folder::SourceTimeFormat> timestamp_format;
  csv_file::CsvParseOptions limits;
};

std::string Capped(std::string_view raw) {
  std::size_t cut = std::min(raw.size(), kMaxRawBytes);
  // Never cut a UTF-8 sequence in half (the quarantine stores text).
  while (cut > 0 && cut < raw.size() && (static_cast<unsigned char>(raw[cut]) & 0xC0u) == 0x80u) {
    --cut;
  }
  std::string_view kept = raw.substr(0, cut);
  return drop_folder::IsValidUtf8(kept) ? std::string(kept) : drop_folder::Latin1ToUtf8(kept);
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

class CsvFileReader : public drop_folder::FileRecordReader {
 public:
  explicit CsvFileReader(CsvSettings settings) : settings_(std::move(settings)) {}

  Status Read(std::string_view file_name, std::string_view content,
              drop_folder::RecordSink& sink) override {
    std::string converted;
    std::string_view text = content;
    if (settings_.encoding == Encoding::kLatin1) {
      converted = drop_folder::Latin1ToUtf8(content);
      text = converted;
    } else if (text.starts_with(kBom)) {
      text.remove_prefix(kBom.size());
    }
    csv_file::CsvParseOptions options = settings_.limits;
    options.delimiter =
        settings_.delimiter != 0 ? settings_.delimiter : csv_file::DetectDelimiter(text);
    csv_file::CsvParser parser(text, options);

    const std::string name(file_name);
    auto locator = [&](std::size_t line) { return name + ":" + std::to_string(line); };
    csv_file::CsvRecord row;
    if (!parser.Next(row)) {
      return sink.Reject({locator(1), "the file has no header row", ""});
    }
    std::vector<std::string> columns;
    std::string header_problem = HeaderProblem(row, columns);
    std::vector<std::size_t> key_index;
    std::optional<std::size_t> time_index;
    if (header_problem.empty()) header_problem = FindColumns(columns, key_index, time_index);
    if (!header_problem.empty()) {
      return sink.Reject({locator(row.line),
                          "header row: " + header_problem + "; no row of this file was read",
                          Capped(row.raw)});
    }

    while (parser.Next(row)) {
      std::string problem = row.error;
      if (problem.empty() && row.fields.size() != columns.size()) {
        problem = "row has " + std::to_string(row.fields.size()) + " fields, the header has " +
                  std::to_string(columns.size()) + " (delimiter '" +
                  std::string(1, options.delimiter) + "')";
      }
      for (std::size_t i = 0; problem.empty() && i < row.fields.size(); ++i) {
        const std::size_t bad = drop_folder::FindInvalidUtf8(row.fields[i]);
        if (bad != std::string_view::npos) {
          problem = "column '" + columns[i] + "' is not valid UTF-8 (byte " +
                    std::to_string(bad + 1) + "); is the file ISO-8859-1? (settings encoding)";
        }
      }
      SourceRecord record;
      if (problem.empty()) problem = Key(row, columns, key_index, name, record.key);
      if (problem.empty() && time_index) {
        const std::string& value = row.fields[*time_index];
        if (!value.empty()) {
          Result<std::int64_t> ms = settings_.timestamp_format->Parse(value);
          if (ms.ok()) {
            record.source_time_ms = *ms;
          } else {
            problem = "timestamp column '" + columns[*time_index] + "': " + ms.status().message();
          }
        }
      }
      if (!problem.empty()) {
        FE_RETURN_IF_ERROR(sink.Reject({locator(row.line), std::move(problem), Capped(row.raw)}));
        continue;
      }
      record.format = RecordFormat::kCsvRow;
      record.columns = columns;
      record.fields = std::move(row.fields);
      row.fields.clear();
      record.locator = locator(row.line);
      FE_RETURN_IF_ERROR(sink.Add(std::move(record)));
    }
    return Status::Ok();
  }

 private:
  static std::string HeaderProblem(const csv_file::CsvRecord& row,
                                   std::vector<std::string>& columns) {
    if (!row.error.empty()) return row.error;
    for (const std::string& field : row.fields) {
      if (!drop_folder::IsValidUtf8(field)) {
        return "not valid UTF-8; is the file ISO-8859-1? (settings encoding)";
      }
      std::string column(Trim(field));
      if (column.empty()) return "column " + std::to_string(columns.size() + 1) + " has no name";
      if (std::find(columns.begin(), columns.end(), column) != columns.end()) {
        return "column '" + column + "' appears twice";
      }
      columns.push_back(std::move(column));
    }
    return "";
  }

  std::string FindColumns(const std::vector<std::string>& columns,
                          std::vector<std::size_t>& key_index,
                          std::optional<std::size_t>& time_index) const {
    auto index_of = [&](const std::string& name) -> std::optional<std::size_t> {
      auto it = std::find(columns.begin(), columns.end(), name);
      if (it == columns.end()) return std::nullopt;
      return static_cast<std::size_t>(it - columns.begin());
    };
    for (const std::string& key : settings_.key_columns) {
      std::optional<std::size_t> i = index_of(key);
      if (!i) return "key column '" + key + "' (settings key-columns) is not in the header";
      key_index.push_back(*i);
    }
    if (settings_.timestamp_column) {
      time_index = index_of(*settings_.timestamp_column);
      if (!time_index) {
        return "timestamp column '" + *settings_.timestamp_column +
               "' (settings timestamp-column) is not in the header";
      }
    }
    return "";
  }

  // The row's key: its key columns joined by '|' (with several, a '|' or
  // '\\' inside a value is escaped by '\\', so ("a|b","c") and ("a","b|c")
  // stay two keys), or "file:line".
  static std::string Key(const csv_file::CsvRecord& row, const std::vector<std::string>& columns,
                         const std::vector<std::size_t>& key_index, const std::string& file,
                         std::string& key) {
    if (key_index.empty()) {
      key = file + ":" + std::to_string(row.line);
      return "";
    }
    for (std::size_t i : key_index) {
      std::string_view value = Trim(row.fields[i]);
      if (value.empty()) return "key column '" + columns[i] + "' is empty";
      if (!key.empty()) key += '|';
      if (key_index.size() == 1) {
        key.append(value);
        continue;
      }
      for (char c : value) {
        if (c == '|' || c == '\\') key += '\\';
        key += c;
      }
    }
    return "";
  }

  CsvSettings settings_;
};

// Keys beyond the drop folder's.
constexpr std::string_view kCsvSchemaProperties = R"(,
    "delimiter": {"enum": [";", ",", "\t", "auto"], "description": "Default auto: from the header line."},
    "encoding": {"enum": ["utf-8", "iso-8859-1"], "description": "Default utf-8 (a BOM is allowed)."},
    "key-columns": {"type": "array", "items": {"type": "string", "minLength": 1}, "minItems": 1,
      "uniqueItems": true, "description": "Columns forming the record key (else file:line)."},
    "timestamp-column": {"type": "string", "minLength": 1},
    "timestamp-format": {"type": "string", "minLength": 1,
      "description": "instant, epoch-seconds, epoch-millis or a pattern like %Y-%m-%d %H:%M."},
    "timestamp-utc-offset": {"type": "string", "pattern": "^(Z|[+-][0-9]{2}:[0-9]{2})$"},
    "max-record-bytes": {"type": "integer", "minimum": 16, "maximum": 67108864},
    "max-field-bytes": {"type": "integer", "minimum": 1, "maximum": 67108864}
  })";

std::string CsvSettingsSchema() {
  std::string schema =
      R"({"$schema": "http://json-schema.org/draft-04/schema#",
  "title": "csv-file adapter settings",
  "type": "object",
  "additionalProperties": false,
  "required": ["directory"],
  "properties": {
    )";
  schema += drop_folder::DropFolderSchemaProperties();
  schema += kCsvSchemaProperties;
  schema += "}";
  return schema;
}

Result<CsvSettings> ParseCsvSettings(const SettingsReader& reader) {
  CsvSettings out;
  Result<std::string> delimiter = reader.String("delimiter", "auto");
  if (!delimiter.ok()) return delimiter.status();
  if (*delimiter == ";" || *delimiter == "," || *delimiter == "\t") {
    out.delimiter = (*delimiter)[0];
  } else if (*delimiter != "auto") {
    return SettingError("delimiter", "must be \";\", \",\", \"\\t\" or \"auto\"");
  }
  Result<std::string> encoding = reader.String("encoding", "utf-8");
  if (!encoding.ok()) return encoding.status();
  if (*encoding == "iso-8859-1") {
    out.encoding = Encoding::kLatin1;
  } else if (*encoding != "utf-8") {
    return SettingError("encoding", "must be \"utf-8\" or \"iso-8859-1\"");
  }
  Result<std::vector<std::string>> keys = reader.StringArray("key-columns");
  if (!keys.ok()) return keys.status();
  out.key_columns = std::move(keys).value();
  Result<std::optional<std::string>> time_column = reader.OptionalString("timestamp-column");
  if (!time_column.ok()) return time_column.status();
  out.timestamp_column = std::move(time_column).value();
  Result<drop_folder::SourceTimeFormat> time_format = drop_folder::ReadSourceTimeFormat(reader);
  if (!time_format.ok()) return time_format.status();
  out.timestamp_format = std::move(time_format).value();
  Result<std::uint64_t> max_record = reader.Integer("max-record-bytes", 1u << 20, 16, 64u << 20);
  if (!max_record.ok()) return max_record.status();
  Result<std::uint64_t> max_field = reader.Integer("max-field-bytes", 64u << 10, 1, 64u << 20);
  if (!max_field.ok()) return max_field.status();
  out.limits.max_record_bytes = static_cast<std::size_t>(*max_record);
  out.limits.max_field_bytes = static_cast<std::size_t>(*max_field);
  return out;
}

}  // namespace

Result<std::unique_ptr<Adapter>> CreateCsvFileAdapter(const AdapterConfig& config) {
  FE_CHECK(config.settings != nullptr);
  SettingsReader reader(*config.settings);
  std::vector<std::string_view> known = drop_folder::DropFolderSettingKeys();
  known.insert(known.end(),
               {"delimiter", "encoding", "key-columns", "timestamp-column", "timestamp-format",
                "timestamp-utc-offset", "max-record-bytes", "max-field-bytes"});
  FE_RETURN_IF_ERROR(reader.CheckKnownKeys(known));
  Result<CsvSettings> csv = ParseCsvSettings(reader);
  if (!csv.ok()) return csv.status();
  Result<drop_folder::DropFolderSettings> folder =
      drop_folder::ParseDropFolderSettings(reader, config.config_dir, 256ull << 20);
  if (!folder.ok()) return folder.status();
  auto file_reader = std::make_unique<CsvFileReader>(std::move(csv).value());
  return std::unique_ptr<Adapter>(std::make_unique<drop_folder::DropFolderPoller>(
      std::move(folder).value(), std::move(file_reader)));
}

AdapterType CsvFileAdapterType() {
  return AdapterType{"csv-file", CsvSettingsSchema(), CreateCsvFileAdapter};
}

}  // namespace fhirengine::adapters

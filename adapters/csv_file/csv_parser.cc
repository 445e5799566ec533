// RFC 4180 tokenizing with line numbers and resynchronisation (see
// csv_parser.h).
#include "adapters/csv_file/csv_parser.h"

#include <algorithm>
#include <cstring>

namespace fhirengine::adapters::csv_file {

CsvParser::CsvParser(std::string_view text, CsvParseOptions options)
    : text_(text), options_(options) {}

void CsvParser::Resync(CsvRecord& record, std::size_t start, std::size_t start_line,
                       std::string error) {
  const std::size_t eol = text_.find('\n', start);
  const std::size_t end = eol == std::string_view::npos ? text_.size() : eol;
  record.raw = text_.substr(start, end - start);
  if (!record.raw.empty() && record.raw.back() == '\r') record.raw.remove_suffix(1);
  record.error = std::move(error);
  record.fields.clear();
  pos_ = eol == std::string_view::npos ? text_.size() : eol + 1;
  line_ = start_line + 1;
}

bool CsvParser::Next(CsvRecord& record) {
  const std::size_t n = text_.size();
  while (pos_ < n && (text_[pos_] == '\n' ||
                      (text_[pos_] == '\r' && pos_ + 1 < n && text_[pos_ + 1] == '\n'))) {
    pos_ += text_[pos_] == '\n' ? 1u : 2u;
    ++line_;
  }
  if (pos_ >= n) return false;

  const std::size_t start = pos_;
  const std::size_t start_line = line_;
  const char delimiter = options_.delimiter;
  const std::size_t record_limit = std::min(n, start + options_.max_record_bytes);
  record.error.clear();
  record.line = start_line;
  std::size_t count = 0;
  const auto field = [&]() -> std::string& {
    if (count < record.fields.size()) {
      record.fields[count].clear();
    } else {
      record.fields.emplace_back();
    }
    return record.fields[count++];
  };
  const char* data = text_.data();

  while (true) {
    if (count == options_.max_fields) {
      Resync(record, start, start_line,
             "more than " + std::to_string(options_.max_fields) + " fields");
      return true;
    }
    std::string& out = field();
    if (pos_ < n && data[pos_] == '"') {
      ++pos_;
      while (true) {
        const void* hit =
            std::memchr(data + pos_, '"', record_limit - std::min(pos_, record_limit));
        if (hit == nullptr) {
          Resync(record, start, start_line,
                 record_limit < n
                     ? "record longer than " + std::to_string(options_.max_record_bytes) +
                           " bytes (or a quoted field that is never closed)"
                     : "quoted field is never closed");
          return true;
        }
        const auto quote = static_cast<std::size_t>(static_cast<const char*>(hit) - data);
        const std::string_view piece = text_.substr(pos_, quote - pos_);
        line_ += static_cast<std::size_t>(std::count(piece.begin(), piece.end(), '\n'));
        out.append(piece);
        pos_ = quote + 1;
        if (pos_ < n && data[pos_] == '"') {
          out += '"';
          ++pos_;
          continue;
        }
        break;
      }
      if (pos_ < n && data[pos_] != delimiter && data[pos_] != '\n' &&
          !(data[pos_] == '\r' && pos_ + 1 < n && data[pos_ + 1] == '\n')) {
        line_ = start_line;
        Resync(record, start, start_line,
               "unexpected character after a closing quote (a quote inside a quoted field "
               "must be doubled)");
        return true;
      }
    } else {
      std::size_t end = pos_;
      while (end < n && data[end] != delimiter && data[end] != '\n') ++end;
      std::size_t stop = end;
      if (end < n && data[end] == '\n' && stop > pos_ && data[stop - 1] == '\r') --stop;
      out.assign(data + pos_, stop - pos_);
      pos_ = end;
    }
    if (out.size() > options_.max_field_bytes) {
      Resync(record, start, start_line,
             "field " + std::to_string(count) + " is longer than " +
                 std::to_string(options_.max_field_bytes) + " bytes");
      return true;
    }
    if (pos_ - start > options_.max_record_bytes) {
      Resync(record, start, start_line,
             "record longer than " + std::to_string(options_.max_record_bytes) + " bytes");
      return true;
    }
    if (pos_ >= n) break;
    if (data[pos_] == delimiter) {
      ++pos_;
      if (pos_ >= n) {
        field();  // "a,b," ends with an empty field
        break;
      }
      continue;
    }
    // A line end: "\r\n" or "\n".
    if (data[pos_] == '\r') ++pos_;
    ++pos_;
    ++line_;
    break;
  }
  record.fields.resize(count);
  std::size_t end = pos_;
  while (end > start && (text_[end - 1] == '\n' || text_[end - 1] == '\r')) --end;
  record.raw = text_.substr(start, end - start);
  return true;
}

char DetectDelimiter(std::string_view text) {
  std::size_t semicolons = 0, commas = 0, tabs = 0;
  bool quoted = false;
  for (char c : text) {
    if (c == '"') quoted = !quoted;
    if (quoted) continue;
    if (c == '\n') break;
    if (c == ';') ++semicolons;
    if (c == ',') ++commas;
    if (c == '\t') ++tabs;
  }
  if (semicolons >= commas && semicolons >= tabs && semicolons > 0) return ';';
  if (tabs > commas) return '\t';
  return ',';
}

}  // namespace fhirengine::adapters::csv_file

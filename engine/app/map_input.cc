// Splitting a sample input file into source records for `fhir-engine map`:
// CSV rows (header first), XML child elements of the root, JSON objects.
#include <libxml/parser.h>
#include <libxml/tree.h>

#include <string>
#include <vector>

#include "adapters/api/adapter.h"
#include "adapters/csv_file/csv_parser.h"
#include "engine/core/status.h"
#include "engine/fhir/xml_safety.h"
#include "engine/json/json_parser.h"
#include "engine/json/json_writer.h"

namespace fhirengine::app {

Result<std::vector<adapters::SourceRecord>> ReadMapInput(const std::string& text,
                                                         const std::string& format,
                                                         const std::string& name, char delimiter) {
  std::vector<adapters::SourceRecord> records;
  if (format == "csv") {
    adapters::csv_file::CsvParseOptions options;
    options.delimiter = delimiter != 0 ? delimiter : adapters::csv_file::DetectDelimiter(text);
    adapters::csv_file::CsvParser parser(text, options);
    adapters::csv_file::CsvRecord row;
    std::vector<std::string> header;
    while (parser.Next(row)) {
      if (!row.error.empty())
        return InvalidArgument(name + ":" + std::to_string(row.line) + ": " + row.error);
      if (header.empty()) {
        header = row.fields;
        continue;
      }
      adapters::SourceRecord r;
      r.format = adapters::RecordFormat::kCsvRow;
      r.columns = header;
      r.fields = row.fields;
      r.locator = name + ":" + std::to_string(row.line);
      records.push_back(std::move(r));
    }
    return records;
  }
  if (format == "json" || format == "fhir") {
    auto doc = json::Parse(text);
    if (!doc.ok()) return InvalidArgument(name + ": " + doc.status().message());
    const json::Value& root = doc->root();
    auto add = [&](const json::Value& v, std::string locator) {
      adapters::SourceRecord r;
      r.format = format == "fhir" ? adapters::RecordFormat::kFhirResource
                                  : adapters::RecordFormat::kJsonObject;
      r.payload = json::Write(v);
      r.locator = std::move(locator);
      records.push_back(std::move(r));
    };
    if (root.IsArray()) {
      for (std::size_t i = 0; i < root.size(); ++i)
        add(root.elements()[i], name + "[" + std::to_string(i) + "]");
    } else {
      add(root, name);
    }
    return records;
  }
  if (format == "xml") {
    ParseLimits limits;
    limits.max_document_bytes = text.size() + 1;  // the file was read whole; its size is the cap
    Result<fhir::XmlDocPtr> parsed = fhir::ParseXmlSafely(text, limits);
    if (!parsed.ok())
      return Status(parsed.status().code(), name + ": " + parsed.status().message());
    xmlDoc* doc = parsed->get();
    xmlNode* root = xmlDocGetRootElement(doc);
    std::size_t index = 0;
    for (xmlNode* n = root != nullptr ? root->children : nullptr; n != nullptr; n = n->next) {
      if (n->type != XML_ELEMENT_NODE) continue;
      ++index;
      xmlBuffer* buffer = xmlBufferCreate();
      xmlNodeDump(buffer, doc, n, 0, 0);
      adapters::SourceRecord r;
      r.format = adapters::RecordFormat::kXmlElement;
      r.payload.assign(reinterpret_cast<const char*>(xmlBufferContent(buffer)),
                       static_cast<std::size_t>(xmlBufferLength(buffer)));
      xmlBufferFree(buffer);
      r.locator = name + ":/" + reinterpret_cast<const char*>(root->name) + "/" +
                  reinterpret_cast<const char*>(n->name) + "[" + std::to_string(index) + "]";
      records.push_back(std::move(r));
    }
    return records;
  }
  return InvalidArgument("--format must be csv, xml, json or fhir");
}

}  // namespace fhirengine::app

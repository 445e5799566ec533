// `fhir-engine map`: dry-runs a mapping over a sample input file and prints
// the resources it produces as a JSON array, or the first error (mapping
// file line and field, input record).
#include <filesystem>
#include <ostream>
#include <string>

#include "adapters/csv_file/csv_parser.h"
#include "adapters/drop_folder/text_encoding.h"
#include "engine/app/cli.h"
#include "engine/json/json_writer.h"
#include "engine/mapping/mapping.h"

namespace fhirengine::app {
namespace {

constexpr std::string_view kMapUsage =
    "usage: fhir-engine map --mapping FILE --input SAMPLE [--format csv|xml|json|fhir]\n"
    "                       [--delimiter C] [--encoding utf-8|iso-8859-1] [--source NAME]\n"
    "  CSV: the first line is the header; one record per row. JSON/FHIR: one object, or an\n"
    "  array of objects (one record each). XML: each child element of the root is a record.\n"
    "  The pseudonym key is read from the environment variable FHIR_ENGINE_PSEUDONYM_KEY.\n";

constexpr std::size_t kMaxInputBytes = 64u << 20;

}  // namespace

Result<std::vector<adapters::SourceRecord>> ReadMapInput(const std::string& text,
                                                         const std::string& format,
                                                         const std::string& name, char delimiter);

int RunMap(std::span<const std::string_view> args, std::ostream& out, std::ostream& err) {
  std::string mapping_file, input_file, format, encoding = "utf-8";
  mapping::MappingOptions options;
  char delimiter = 0;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string_view a = args[i];
    auto next = [&]() -> std::optional<std::string> {
      if (i + 1 >= args.size()) return std::nullopt;
      return std::string(args[++i]);
    };
    std::optional<std::string> v;
    if (a == "--help" || a == "-h") {
      out << kMapUsage;
      return kExitOk;
    }
    if (a != "--mapping" && a != "--input" && a != "--format" && a != "--delimiter" &&
        a != "--encoding" && a != "--source") {
      err << "fhir-engine map: unknown argument '" << a << "'\n" << kMapUsage;
      return kExitUsage;
    }
    v = next();
    if (!v) {
      err << "fhir-engine map: " << a << " needs a value\n" << kMapUsage;
      return kExitUsage;
    }
    if (a == "--mapping") mapping_file = *v;
    if (a == "--input") input_file = *v;
    if (a == "--format") format = *v;
    if (a == "--encoding") encoding = *v;
    if (a == "--source") options.source = *v;
    if (a == "--delimiter") {
      if (v->size() != 1) {
        err << "fhir-engine map: --delimiter takes one character\n";
        return kExitUsage;
      }
      delimiter = (*v)[0];
    }
  }
  if (mapping_file.empty() || input_file.empty()) {
    err << kMapUsage;
    return kExitUsage;
  }
  if (const char* key = std::getenv("FHIR_ENGINE_PSEUDONYM_KEY")) options.pseudonym_key = key;
  auto m = mapping::Mapping::Load(mapping_file, options);
  if (!m.ok()) {
    err << "fhir-engine map: " << m.status().message() << "\n";
    return kExitUsage;
  }
  if (format.empty()) format = m->source_format();
  auto data = ReadFile(input_file, kMaxInputBytes);
  if (!data.ok()) {
    err << "fhir-engine map: " << data.status().message() << "\n";
    return kExitUsage;
  }
  std::string text = std::move(*data);
  if (encoding == "iso-8859-1" || encoding == "latin-1") {
    text = adapters::drop_folder::Latin1ToUtf8(text);
  } else if (encoding != "utf-8") {
    err << "fhir-engine map: --encoding must be utf-8 or iso-8859-1\n";
    return kExitUsage;
  } else if (!adapters::drop_folder::IsValidUtf8(text)) {
    err << "fhir-engine map: " << input_file << " is not valid UTF-8 (try --encoding iso-8859-1)\n";
    return kExitInvalid;
  }
  const std::string name = std::filesystem::path(input_file).filename().string();
  auto records = ReadMapInput(text, format, name, delimiter);
  if (!records.ok()) {
    err << "fhir-engine map: " << records.status().message() << "\n";
    return kExitInvalid;
  }
  std::string result = "[";
  bool first = true;
  int errors = 0;
  for (const adapters::SourceRecord& record : *records) {
    std::vector<std::string> warnings;
    auto mapped = m->Apply(record, &warnings);
    for (const std::string& w : warnings) err << "warning: " << w << "\n";
    if (!mapped.ok()) {
      err << "error: " << mapped.status().message() << "\n";
      ++errors;
      continue;
    }
    for (const mapping::MappedResource& r : *mapped) {
      result += first ? "\n" : ",\n";
      first = false;
      json::WriteTo(r.resource.root(), result);
    }
  }
  result += first ? "]\n" : "\n]\n";
  out << result;
  return errors == 0 ? kExitOk : kExitInvalid;
}

}  // namespace fhirengine::app

// `fhir-engine validate`: structural validation of resource files.
#include <filesystem>
#include <ostream>
#include <string>
#include <vector>

#include "engine/app/cli.h"
#include "engine/json/json_writer.h"
#include "engine/validation/operation_outcome.h"
#include "engine/validation/resource_text_validator.h"

namespace fhirengine::app {
namespace {

// Reads, parses and validates one file; the issues found (read and parse
// failures included).
std::vector<validation::Issue> ValidateFile(const std::string& file) {
  ParseLimits limits;
  Result<std::string> text = ReadFile(file, limits.max_document_bytes);
  if (!text.ok()) return {validation::IssueFromStatus(text.status())};
  return validation::ValidateResourceText(*text, limits);
}

std::size_t Errors(const std::vector<validation::Issue>& issues) {
  std::size_t n = 0;
  for (const auto& i : issues) {
    n += (i.severity == validation::Severity::kError || i.severity == validation::Severity::kFatal);
  }
  return n;
}

}  // namespace

int RunValidate(std::span<const std::string_view> args, std::ostream& out, std::ostream& err) {
  std::vector<std::string> files;
  for (std::string_view a : args) {
    if (a.starts_with("-") && a != "-") {
      err << "fhir-engine validate: unknown option '" << a
          << "'\nusage: fhir-engine validate FILE...\n";
      return kExitUsage;
    }
    files.emplace_back(a);
  }
  if (files.empty()) {
    err << "usage: fhir-engine validate FILE...\n";
    return kExitUsage;
  }
  json::Document doc;
  std::vector<json::Value> entries;
  json::Value single;
  std::size_t invalid = 0;
  for (const std::string& file : files) {
    std::vector<validation::Issue> issues = ValidateFile(file);
    const std::size_t errors = Errors(issues);
    invalid += errors > 0;
    err << file << ": " << (errors == 0 ? "valid" : std::to_string(errors) + " error(s)") << "\n";
    json::Value oo = validation::ToOperationOutcome(issues, doc);
    if (files.size() == 1) {
      single = oo;
      break;
    }
    std::error_code ec;
    std::filesystem::path abs = file == "-" ? "stdin" : std::filesystem::absolute(file, ec);
    std::vector<json::Member> entry{{"fullUrl", doc.MakeString("file://" + abs.string())},
                                    {"resource", oo}};
    entries.push_back(doc.MakeObject(entry));
  }
  if (files.size() == 1) {
    out << json::Write(single, {.pretty = true}) << "\n";
  } else {
    std::vector<json::Member> bundle{{"resourceType", doc.MakeString("Bundle")},
                                     {"type", doc.MakeString("collection")},
                                     {"entry", doc.MakeArray(entries)}};
    out << json::Write(doc.MakeObject(bundle), {.pretty = true}) << "\n";
  }
  return invalid == 0 ? kExitOk : kExitInvalid;
}

}  // namespace fhirengine::app

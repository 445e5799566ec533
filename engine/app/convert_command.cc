// `fhir-engine convert`: JSON <-> XML for one resource.
#include <ostream>
#include <string>

#include "engine/app/cli.h"
#include "engine/fhir/resource_format.h"
#include "engine/json/json_writer.h"
#include "engine/validation/operation_outcome.h"

namespace fhirengine::app {
namespace {

void PrintFailure(const Status& status, std::ostream& err) {
  json::Document doc;
  validation::Issue issue = validation::IssueFromStatus(status);
  json::Value oo = validation::ToOperationOutcome(std::span(&issue, 1), doc);
  err << json::Write(oo, {.pretty = true}) << "\n";
}

}  // namespace

int RunConvert(std::span<const std::string_view> args, std::ostream& out, std::ostream& err) {
  std::optional<fhir::Format> to;
  bool pretty = false;
  std::string file;
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--to" && i + 1 < args.size()) {
      to = fhir::FormatFromName(args[++i]);
      if (!to) {
        err << "fhir-engine convert: --to takes json or xml, not '" << args[i] << "'\n";
        return kExitUsage;
      }
    } else if (args[i] == "--pretty") {
      pretty = true;
    } else if (file.empty() && (!args[i].starts_with("-") || args[i] == "-")) {
      file = std::string(args[i]);
    } else {
      err << "fhir-engine convert: unexpected argument '" << args[i] << "'\n"
          << "usage: fhir-engine convert --to json|xml [--pretty] FILE\n";
      return kExitUsage;
    }
  }
  if (!to || file.empty()) {
    err << "usage: fhir-engine convert --to json|xml [--pretty] FILE\n";
    return kExitUsage;
  }
  ParseLimits limits;
  Result<std::string> text = ReadFile(file, limits.max_document_bytes);
  if (!text.ok()) {
    PrintFailure(text.status(), err);
    return kExitUsage;
  }
  std::optional<fhir::Format> from = fhir::DetectFormat(*text);
  if (!from) {
    PrintFailure(InvalidArgument(file + ": neither JSON ('{') nor XML ('<')"), err);
    return kExitInvalid;
  }
  Result<json::Document> doc = fhir::ParseResource(*text, *from, limits);
  if (!doc.ok()) {
    PrintFailure(Status(doc.status().code(), file + ": " + doc.status().message()), err);
    return kExitInvalid;
  }
  Result<std::string> converted = fhir::SerializeResource(doc->root(), *to, {.pretty = pretty});
  if (!converted.ok()) {
    PrintFailure(Status(converted.status().code(), file + ": " + converted.status().message()),
                 err);
    return kExitInvalid;
  }
  out << *converted;
  if (converted->empty() || converted->back() != '\n') out << "\n";
  return kExitOk;
}

}  // namespace fhirengine::app

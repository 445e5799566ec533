// `fhir-engine fhirpath`: evaluates one FHIRPath expression against a
// resource file and prints the result collection as JSON.
#include <ostream>
#include <string>

#include "engine/app/cli.h"
#include "engine/fhir/resource_format.h"
#include "engine/fhirpath/fhirpath.h"

namespace fhirengine::app {
namespace {

constexpr std::string_view kFhirpathUsage =
    "usage: fhir-engine fhirpath [--resource FILE] [--pretty] [--lenient-choice] [--] EXPRESSION\n"
    "  FILE is a FHIR R4 resource, JSON or XML ('-' reads standard input); without it the\n"
    "  expression runs on an empty input. Prints a JSON array of {\"type\", \"value\"}.\n";

}  // namespace

int RunFhirpath(std::span<const std::string_view> args, std::ostream& out, std::ostream& err) {
  std::optional<std::string> resource_file;
  std::optional<std::string> expression_text;
  bool pretty = false;
  fhirpath::EvaluationContext context;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string_view a = args[i];
    if (a == "--resource") {
      if (i + 1 >= args.size()) {
        err << "fhir-engine fhirpath: --resource needs a file\n" << kFhirpathUsage;
        return kExitUsage;
      }
      resource_file = std::string(args[++i]);
    } else if (a == "--pretty") {
      pretty = true;
    } else if (a == "--lenient-choice") {
      context.lenient_choice_names = true;
    } else if (a == "--help" || a == "-h") {
      out << kFhirpathUsage;
      return kExitOk;
    } else if (a == "--" && i + 1 < args.size() && !expression_text) {
      expression_text = std::string(args[++i]);  // an expression that starts with "--"
    } else if (a.starts_with("--")) {
      err << "fhir-engine fhirpath: unknown option '" << a << "'\n" << kFhirpathUsage;
      return kExitUsage;
    } else if (expression_text) {
      err << "fhir-engine fhirpath: more than one expression (quote the expression)\n"
          << kFhirpathUsage;
      return kExitUsage;
    } else {
      expression_text = std::string(a);
    }
  }
  if (!expression_text) {
    err << kFhirpathUsage;
    return kExitUsage;
  }

  Result<fhirpath::Expression> expression = fhirpath::Compile(*expression_text);
  if (!expression.ok()) {
    err << "fhir-engine fhirpath: " << expression.status().message() << "\n";
    return kExitInvalid;
  }

  Result<fhirpath::Collection> result = fhirpath::Collection();
  std::optional<json::Document> doc;
  if (resource_file) {
    ParseLimits limits;
    Result<std::string> text = ReadFile(*resource_file, limits.max_document_bytes);
    if (!text.ok()) {
      err << "fhir-engine fhirpath: " << text.status().message() << "\n";
      return kExitUsage;
    }
    std::optional<fhir::Format> format = fhir::DetectFormat(*text);
    if (!format) {
      err << "fhir-engine fhirpath: " << *resource_file
          << ": neither a JSON object ('{') nor an XML document ('<')\n";
      return kExitInvalid;
    }
    Result<json::Document> parsed = fhir::ParseResource(*text, *format, limits);
    if (!parsed.ok()) {
      err << "fhir-engine fhirpath: " << *resource_file << ": " << parsed.status().message()
          << "\n";
      return kExitInvalid;
    }
    doc = std::move(*parsed);
    result = fhirpath::Evaluate(*expression, doc->root(), context);
  } else {
    result = fhirpath::EvaluateCollection(*expression, {}, context);
  }
  if (!result.ok()) {
    err << "fhir-engine fhirpath: " << result.status().message() << "\n";
    return kExitInvalid;
  }
  out << fhirpath::CollectionToJson(*result, pretty) << "\n";
  return kExitOk;
}

}  // namespace fhirengine::app

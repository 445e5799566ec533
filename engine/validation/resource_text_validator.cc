// Format detection, parsing and structural validation in one call.
#include "engine/validation/resource_text_validator.h"

#include "engine/fhir/resource_format.h"
#include "engine/validation/operation_outcome.h"
#include "engine/validation/structural_validator.h"

namespace fhirengine::validation {

std::vector<Issue> ValidateResourceText(std::string_view text, const ParseLimits& limits,
                                        const fhir::TypeModel& model) {
  IssueCollector issues;
  std::optional<fhir::Format> format = fhir::DetectFormat(text);
  if (!format) {
    issues.Report(IssueFromStatus(InvalidArgument(fhir::UndetectedFormatReason(text))));
    return issues.issues();
  }
  Result<json::Document> doc = fhir::ParseResource(text, *format, limits, model);
  if (!doc.ok()) {
    issues.Report(IssueFromStatus(doc.status()));
    return issues.issues();
  }
  Status ran = ValidateStructure(doc->root(), issues, model);
  if (!ran.ok()) issues.Report(IssueFromStatus(ran));
  return issues.issues();
}

}  // namespace fhirengine::validation

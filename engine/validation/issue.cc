// Issue codes and the collecting sink.
#include "engine/validation/issue.h"

namespace fhirengine::validation {

std::string_view SeverityCode(Severity s) {
  switch (s) {
    case Severity::kFatal:
      return "fatal";
    case Severity::kError:
      return "error";
    case Severity::kWarning:
      return "warning";
    case Severity::kInformation:
      return "information";
  }
  return "error";
}

std::string_view IssueTypeCode(IssueType t) {
  switch (t) {
    case IssueType::kInvalid:
      return "invalid";
    case IssueType::kStructure:
      return "structure";
    case IssueType::kRequired:
      return "required";
    case IssueType::kValue:
      return "value";
    case IssueType::kInvariant:
      return "invariant";
    case IssueType::kCodeInvalid:
      return "code-invalid";
    case IssueType::kNotSupported:
      return "not-supported";
    case IssueType::kTooLong:
      return "too-long";
    case IssueType::kTooCostly:
      return "too-costly";
    case IssueType::kProcessing:
      return "processing";
    case IssueType::kNotFound:
      return "not-found";
    case IssueType::kConflict:
      return "conflict";
    case IssueType::kException:
      return "exception";
    case IssueType::kInformational:
      return "informational";
    case IssueType::kDeleted:
      return "deleted";
    case IssueType::kDuplicate:
      return "duplicate";
    case IssueType::kTransient:
      return "transient";
    case IssueType::kThrottled:
      return "throttled";
    case IssueType::kTimeout:
      return "timeout";
    case IssueType::kLogin:
      return "login";
    case IssueType::kForbidden:
      return "forbidden";
  }
  return "invalid";
}

void IssueCollector::Report(Issue issue) {
  if (issue.severity == Severity::kError || issue.severity == Severity::kFatal) ++errors_;
  issues_.push_back(std::move(issue));
}

}  // namespace fhirengine::validation

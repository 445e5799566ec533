// Validation findings as data (google/fhir's ErrorHandler idea): each finding
// is an Issue with severity, OperationOutcome issue type and a FHIRPath
// expression to the element. Validators report into an IssueSink; a non-OK
// Status from a validator means it could not run, not that the input is bad.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace fhirengine::validation {

enum class Severity { kFatal, kError, kWarning, kInformation };

// The subset of http://hl7.org/fhir/issue-type the engine reports.
enum class IssueType {
  kInvalid,
  kStructure,
  kRequired,
  kValue,
  kInvariant,
  kCodeInvalid,
  kNotSupported,
  kTooLong,
  kTooCostly,
  kProcessing,
  kNotFound,
  kConflict,
  kException,
  kInformational,
  kDeleted,    // processing: the resource was deleted (HTTP 410)
  kDuplicate,  // processing: it exists already
  kTransient,  // try again later (HTTP 503)
  kThrottled,  // too many requests from this client (HTTP 429)
  kTimeout,
  kLogin,      // security: no valid credentials (HTTP 401)
  kForbidden,  // security: credentials valid, access outside their scopes (HTTP 403)
};

std::string_view SeverityCode(Severity s);
std::string_view IssueTypeCode(IssueType t);

struct Issue {
  Severity severity = Severity::kError;
  IssueType type = IssueType::kInvalid;
  std::string expression;  // FHIRPath to the element: "Location.position.latitude"
  std::string message;     // what is wrong and, where useful, what to do
};

class IssueSink {
 public:
  virtual ~IssueSink() = default;
  virtual void Report(Issue issue) = 0;
};

// Collects issues in order. Not thread-safe.
class IssueCollector : public IssueSink {
 public:
  void Report(Issue issue) override;
  const std::vector<Issue>& issues() const { return issues_; }
  // Issues of severity error or fatal.
  std::size_t error_count() const { return errors_; }

 private:
  std::vector<Issue> issues_;
  std::size_t errors_ = 0;
};

}  // namespace fhirengine::validation

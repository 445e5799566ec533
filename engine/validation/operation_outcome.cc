// OperationOutcome construction.
#include "engine/validation/operation_outcome.h"

#include <vector>

namespace fhirengine::validation {

json::Value ToOperationOutcome(std::span<const Issue> issues, json::Document& doc) {
  std::vector<json::Value> items;
  auto add = [&](const Issue& issue) {
    std::vector<json::Member> m;
    m.push_back({"severity", doc.MakeString(SeverityCode(issue.severity))});
    m.push_back({"code", doc.MakeString(IssueTypeCode(issue.type))});
    m.push_back({"diagnostics", doc.MakeString(issue.message)});
    if (!issue.expression.empty()) {
      json::Value expr = doc.MakeString(issue.expression);
      m.push_back({"expression", doc.MakeArray(std::span<const json::Value>(&expr, 1))});
    }
    items.push_back(doc.MakeObject(m));
  };
  for (const Issue& issue : issues) add(issue);
  if (items.empty()) {
    add(Issue{Severity::kInformation, IssueType::kInformational, "", "No issues detected"});
  }
  std::vector<json::Member> root{{"resourceType", doc.MakeString("OperationOutcome")},
                                 {"issue", doc.MakeArray(items)}};
  return doc.MakeObject(root);
}

Issue IssueFromStatus(const Status& status) {
  Issue issue;
  issue.severity = Severity::kFatal;
  switch (status.code()) {
    case StatusCode::kResourceExhausted:
      issue.type = IssueType::kTooCostly;
      break;
    case StatusCode::kNotFound:
      issue.type = IssueType::kNotFound;
      break;
    case StatusCode::kInvalidArgument:
      issue.type = IssueType::kStructure;
      break;
    default:
      issue.type = IssueType::kException;
      break;
  }
  issue.message = status.message();
  return issue;
}

}  // namespace fhirengine::validation

// Builds OperationOutcome resources from validation issues and from Status
// errors (parse failures, limits), the one error shape every interface uses.
#pragma once

#include <span>

#include "engine/core/status.h"
#include "engine/json/json_value.h"
#include "engine/validation/issue.h"

namespace fhirengine::validation {

// An OperationOutcome holding `issues` (an "information: all OK" issue when
// empty, since OperationOutcome.issue is 1..*), built in `doc`.
json::Value ToOperationOutcome(std::span<const Issue> issues, json::Document& doc);

// The issue that describes a failed Status (parse error, limit, I/O).
Issue IssueFromStatus(const Status& status);

}  // namespace fhirengine::validation

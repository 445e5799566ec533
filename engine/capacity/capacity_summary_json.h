// The capacity summary as the compact JSON document of GET /capacity/summary
// and the dashboard's live feed (format in docs/capacity.md). Pure function
// of a snapshot; thread-safe.
#pragma once

#include <string>

#include "engine/capacity/capacity_model.h"

namespace fhirengine::capacity {

// {"generated", "sequence", "region": {...nodes...}, "sources": [...]}.
// Ages are relative to snapshot.generated_ms.
std::string CapacitySummaryJson(const CapacitySnapshot& snapshot);

}  // namespace fhirengine::capacity

// The regional capacity Measures (fhir-profiles/regional/measures), embedded
// in the binary so the engine serves them whatever its working directory.
#pragma once

#include <string_view>
#include <vector>

namespace fhirengine::capacity {

struct EmbeddedMeasure {
  std::string_view id;    // "regional-bed-capacity"
  std::string_view json;  // the Measure resource as in the file
};

// Every regional Measure, in a fixed order.
const std::vector<EmbeddedMeasure>& RegionalMeasures();

}  // namespace fhirengine::capacity

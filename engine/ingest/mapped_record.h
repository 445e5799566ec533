// One source record through the adapter's declarative mapping and the
// validators: the resources it maps to, stamped with the adapter's
// meta.source, and every finding of structural and profile validation.
// What DeliveryPipeline runs per record (and bench/mapped_ingest_bench.cc
// measures), without the store.
#pragma once

#include <cstddef>
#include <string_view>
#include <vector>

#include "adapters/api/adapter.h"
#include "engine/core/status.h"
#include "engine/ingest/profile_conformance.h"
#include "engine/mapping/mapping.h"
#include "engine/validation/issue.h"

namespace fhirengine::ingest {

struct MappedOutputs {
  std::vector<mapping::MappedResource> resources;
  // Structural findings, then profile findings, of every resource in turn;
  // each message starts with "Type/id: ".
  std::vector<validation::Issue> findings;
  std::size_t errors = 0;  // findings of severity error or fatal
};

// Maps `record` with `mapping` and validates each output. kInvalidArgument
// with the mapping's message (file, line, field, record) when the record
// cannot be mapped; kInternal when a validator could not run. REQUIRES:
// `record` is not a delete.
Result<MappedOutputs> MapAndValidate(const mapping::Mapping& mapping,
                                     const ProfileConformance& conformance,
                                     std::string_view adapter,
                                     const adapters::SourceRecord& record);

}  // namespace fhirengine::ingest

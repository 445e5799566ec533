// One source record through the adapter's declarative mapping and the
// validators: the resources it maps to, stamped with the adapter's
// meta.source, and every finding of structural and profile validation.
// What DeliveryPipeline runs per record (and bench/mapped_ingest_bench.cc
// measures), without the store.
#pragma once

#include <cstddef>
#include <deque>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
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

// The findings of recently validated resources by their exact JSON text:
// a source repeats the same structure on every record (a municipal CSV row
// re-emits its municipality, site and ward), and validation depends only on
// the resource and the loaded profiles, so an identical resource is not
// validated again. Bounded (oldest out first); thread-safe.
class ValidationMemo {
 public:
  static constexpr std::size_t kMaxEntries = 4096;
  static constexpr std::size_t kMaxResourceBytes = 16u << 10;  // larger ones are not kept

  // True and the findings when `json` was validated before.
  bool Find(const std::string& json, std::vector<validation::Issue>& findings) const;
  void Insert(std::string json, std::vector<validation::Issue> findings);
  std::size_t hits() const;

 private:
  mutable std::mutex mutex_;
  std::unordered_map<std::string, std::vector<validation::Issue>> entries_;
  std::deque<const std::string*> order_;  // keys, oldest first
  mutable std::size_t hits_ = 0;
};

// Maps `record` with `mapping` and validates each output (looking each up
// in `memo` first, when given). kInvalidArgument
// with the mapping's message (file, line, field, record) when the record
// cannot be mapped; kInternal when a validator could not run. REQUIRES:
// `record` is not a delete.
Result<MappedOutputs> MapAndValidate(const mapping::Mapping& mapping,
                                     const ProfileConformance& conformance,
                                     std::string_view adapter, const adapters::SourceRecord& record,
                                     ValidationMemo* memo = nullptr);

}  // namespace fhirengine::ingest

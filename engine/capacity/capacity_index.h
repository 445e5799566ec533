// The capacity rollup's incremental index (docs/capacity.md): Organizations,
// Locations and Encounters as the store's change feed delivers them, kept as
// counts per hierarchy node so that one change costs O(depth) (a bed, an
// Encounter) or O(subtree) (a ward or site that moves), never a pass over
// every bed. Not thread-safe: CapacityRollup owns it behind a mutex.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "engine/capacity/capacity_model.h"

namespace fhirengine::capacity {

// The placeholder reference where a bed's chain breaks (docs/capacity.md).
inline constexpr std::string_view kUnplaced = "unplaced";

class CapacityIndex {
 public:
  CapacityIndex();
  ~CapacityIndex();
  CapacityIndex(const CapacityIndex&) = delete;
  CapacityIndex& operator=(const CapacityIndex&) = delete;

  // Applies one stored version of an Organization, Location or Encounter
  // (other types are ignored). `json` is the resource as stored (ignored
  // when `deleted`). Idempotent by version: a version not newer than the
  // one already applied for the resource changes nothing. Returns true
  // when the version was applied. Unparseable JSON is applied as if the
  // resource were deleted (it can count nowhere).
  bool Apply(std::string_view type, std::string_view id, std::int64_t version, bool deleted,
             std::string_view json);

  // The region with its organizations, sites and wards at `now_ms`
  // (discharge-ready wait days depend on it); a node is stale when one of
  // its sources is in `stale_sources`. Children sorted by name, then
  // reference.
  CapacityNode Tree(std::int64_t now_ms, const std::set<std::string>& stale_sources) const;

  // Every source (adapter name from meta.source) some counted resource has.
  std::set<std::string> Sources() const;

  // Once the changes that overlapped the load are applied, the feed brings
  // each resource's versions in order, so versions need only be remembered
  // for the resources the index holds (Locations, Organizations,
  // discharge-ready in-progress Encounters). Forgets the others' versions
  // now and, from then on, as soon as a resource stops being held (a
  // finished Encounter, a deleted resource): memory stays bounded by what
  // is held, not by every version ever seen.
  void ForgetUnheldVersions();
  // Versions remembered, for tests.
  std::size_t remembered_versions() const;

  // Forgets everything (before a reload from the store).
  void Clear();
  // Exchanges the contents with `other` (a reload builds a fresh index and
  // swaps it in, so readers never see a half-loaded one).
  void Swap(CapacityIndex& other) noexcept;

  // Counted beds (active, physicalType bd), for tests and benchmarks.
  std::size_t counted_beds() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace fhirengine::capacity

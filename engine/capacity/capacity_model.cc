// The capacity model's one function: finding a node of the hierarchy by
// reference (see capacity_model.h), shared by the rollup and the FHIR side.
#include "engine/capacity/capacity_model.h"

#include <algorithm>
#include <set>
#include <string>
#include <vector>

namespace fhirengine::capacity {
namespace {

void AddCounts(BedCounts& to, const BedCounts& from) {
  to.total += from.total;
  to.occupied += from.occupied;
  to.free += from.free;
  to.closed += from.closed;
  to.housekeeping += from.housekeeping;
  to.isolated += from.isolated;
  to.unknown += from.unknown;
}

// Adds `from` (another occurrence of the same Location) into `to`.
void AddOccurrence(CapacityNode& to, const CapacityNode& from) {
  AddCounts(to.counts.beds, from.counts.beds);
  for (const auto& [category, counts] : from.counts.by_category) {
    AddCounts(to.counts.by_category[category], counts);
  }
  DischargeReady& ready = to.counts.discharge_ready;
  ready.patients += from.counts.discharge_ready.patients;
  ready.wait_days_total += from.counts.discharge_ready.wait_days_total;
  ready.wait_days_max = std::max(ready.wait_days_max, from.counts.discharge_ready.wait_days_max);
  std::set<std::string> sources(to.sources.begin(), to.sources.end());
  sources.insert(from.sources.begin(), from.sources.end());
  to.sources.assign(sources.begin(), sources.end());
  to.stale = to.stale || from.stale;
  to.children.insert(to.children.end(), from.children.begin(), from.children.end());
}

// Every site or ward of `reference` under `node`.
void CollectLocations(const CapacityNode& node, const std::string& reference,
                      std::vector<const CapacityNode*>& out) {
  for (const CapacityNode& child : node.children) {
    if ((child.kind == NodeKind::kSite || child.kind == NodeKind::kWard) &&
        child.reference == reference) {
      out.push_back(&child);
    }
    CollectLocations(child, reference, out);
  }
}

}  // namespace

Result<CapacityNode> FindCapacityNode(const CapacityNode& region, const std::string& reference) {
  if (reference.empty()) return region;
  if (reference.starts_with("Organization/")) {
    for (const CapacityNode& org : region.children) {
      if (org.kind == NodeKind::kOrganization && org.reference == reference) return org;
    }
  } else if (reference.starts_with("Location/")) {
    std::vector<const CapacityNode*> found;
    CollectLocations(region, reference, found);
    if (!found.empty()) {
      CapacityNode sum = *found[0];
      for (std::size_t i = 1; i < found.size(); ++i) AddOccurrence(sum, *found[i]);
      return sum;
    }
  }
  return NotFound("no capacity node '" + reference + "'");
}

}  // namespace fhirengine::capacity

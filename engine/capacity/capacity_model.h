// The capacity picture's data model (docs/capacity.md): the counts of one
// node of the Location hierarchy (region, organization, site, ward), and the
// read interface that the summary, the WebSocket feed, $evaluate-measure and
// the history snapshots all read from. The rollup (capacity_rollup.h) keeps
// these current from the store's change feed; nothing here touches the store.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "engine/core/status.h"

namespace fhirengine::capacity {

// Bed categories of {base}/CodeSystem/bed-category, in display order.
inline constexpr const char* kBedCategories[] = {
    "general",     "intensive-care",       "paediatric",
    "psychiatric", "municipal-short-term", "municipal-residential"};

// Counts of beds by state. Every counted bed is in exactly one state, so
// total == occupied + free + closed + housekeeping + isolated + unknown.
// (Rules in docs/capacity.md, "Bed states".)
struct BedCounts {
  std::int64_t total = 0;
  std::int64_t occupied = 0;      // 0116 O (includes regional "reserved")
  std::int64_t free = 0;          // 0116 U and Location.status active
  std::int64_t closed = 0;        // 0116 C, or Location.status suspended
  std::int64_t housekeeping = 0;  // 0116 H
  std::int64_t isolated = 0;      // 0116 I or K
  std::int64_t unknown = 0;       // no or an unknown operationalStatus

  bool operator==(const BedCounts&) const = default;
};

// Patients waiting in a hospital bed although medically ready for
// discharge: in-progress Encounters with the discharge-ready extension.
struct DischargeReady {
  std::int64_t patients = 0;
  double wait_days_total = 0;  // sum over the patients of (now - ready-since)
  double wait_days_max = 0;

  bool operator==(const DischargeReady&) const = default;
};

struct NodeCounts {
  BedCounts beds;
  std::map<std::string, BedCounts> by_category;  // category code -> counts; "unknown" when absent
  DischargeReady discharge_ready;
};

enum class NodeKind { kRegion, kOrganization, kSite, kWard };

// One node of the hierarchy. `reference` is "Organization/x" or
// "Location/x" ("" for the region).
struct CapacityNode {
  NodeKind kind = NodeKind::kRegion;
  std::string reference;
  std::string name;
  std::string organization_kind;  // organizations: hospital | municipality | care-unit
  NodeCounts counts;
  std::vector<std::string> sources;  // adapter names whose resources this node's counts use
  bool stale = false;                // any of `sources` is stale
  std::vector<CapacityNode> children;
};

// Freshness of one source (adapter).
struct SourceFreshness {
  std::string name;
  std::string state;  // the adapter's state ("idle", "backing-off", ...)
  std::optional<std::int64_t> last_success_ms;
  std::int64_t stale_after_ms = 0;
  bool stale = false;  // no success yet, or now - last_success_ms > stale_after_ms
};

// A consistent picture at one moment.
struct CapacitySnapshot {
  std::int64_t generated_ms = 0;  // Unix epoch ms
  std::uint64_t sequence = 0;     // increases with every change applied
  CapacityNode region;            // children: organizations -> sites -> wards
  std::vector<SourceFreshness> sources;
  // The first load from the store is not done yet: `region` is partial.
  bool loading = false;
};

// The node of `reference` in the picture under `region`, looked up by kind
// and reference (docs/capacity.md, "Subjects"): "" is the region,
// "Organization/x" an organization, "Location/x" a site or ward. A Location
// that appears under several organizations is the sum of its occurrences
// (counts added, wait-days max the largest, sources joined, stale if any
// is, children of all occurrences). The "unplaced" placeholders are never a
// subject. kNotFound when the picture has no such node.
Result<CapacityNode> FindCapacityNode(const CapacityNode& region, const std::string& reference);

// What every consumer reads. Implemented by the rollup; thread-safe.
class CapacityView {
 public:
  virtual ~CapacityView() = default;
  // The current picture.
  virtual CapacitySnapshot Snapshot() const = 0;
  // False until the first load from the store is done (the picture would
  // be partial): consumers answer "loading" rather than wrong counts.
  virtual bool ready() const = 0;
  // The node for "Organization/x" or "Location/x" (a site or ward), or the
  // region for "" (FindCapacityNode). kNotFound when there is no such node.
  virtual Result<CapacityNode> Node(const std::string& reference) const = 0;
  // Calls `listener` (on the rollup's thread) after each change to the
  // picture, coalesced; returns an id for RemoveListener.
  virtual int AddListener(std::function<void(std::uint64_t sequence)> listener) = 0;
  virtual void RemoveListener(int id) = 0;
};

}  // namespace fhirengine::capacity

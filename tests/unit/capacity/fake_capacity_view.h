// A fixed capacity picture for the capacity tests: a region with one
// hospital and one ward under it, one source whose staleness the test sets.
#pragma once

#include <functional>
#include <string>

#include "engine/capacity/capacity_model.h"
#include "engine/core/status.h"

namespace fhirengine::capacity {

class FakeCapacityView final : public CapacityView {
 public:
  FakeCapacityView() {
    CapacityNode ward;
    ward.kind = NodeKind::kWard;
    ward.reference = "Location/w1";
    ward.name = "Ward 1";
    ward.counts.beds = {10, 6, 2, 1, 1, 0, 0};
    ward.counts.by_category["general"] = {10, 6, 2, 1, 1, 0, 0};
    ward.sources = {"ehr"};
    CapacityNode org;
    org.kind = NodeKind::kOrganization;
    org.reference = "Organization/h1";
    org.name = "Hospital 1";
    org.organization_kind = "hospital";
    org.counts.beds = {12, 7, 2, 1, 1, 1, 0};
    org.counts.by_category["general"] = {10, 6, 2, 1, 1, 0, 0};
    org.counts.by_category["intensive-care"] = {2, 1, 0, 0, 0, 1, 0};
    org.counts.discharge_ready = {2, 5.5, 4.25};
    org.sources = {"ehr"};
    org.children.push_back(ward);
    snapshot.generated_ms = 1'700'000'000'000;
    snapshot.region.kind = NodeKind::kRegion;
    snapshot.region.name = "Region";
    snapshot.region.counts = org.counts;
    snapshot.region.sources = {"ehr"};
    snapshot.region.children.push_back(org);
    snapshot.sources.push_back({"ehr", "idle", 1'700'000'000'000, 900'000, false});
  }
  void SetStale(bool stale) {
    snapshot.sources[0].stale = stale;
    snapshot.region.stale = stale;
    snapshot.region.children[0].stale = stale;
  }
  CapacitySnapshot Snapshot() const override {
    CapacitySnapshot s = snapshot;
    s.loading = !is_ready;
    return s;
  }
  bool ready() const override { return is_ready; }
  Result<CapacityNode> Node(const std::string& reference) const override {
    return FindCapacityNode(snapshot.region, reference);
  }
  int AddListener(std::function<void(std::uint64_t)>) override { return 0; }
  void RemoveListener(int) override {}

  CapacitySnapshot snapshot;
  bool is_ready = true;
};

}  // namespace fhirengine::capacity

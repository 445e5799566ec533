// The live capacity rollup: a CapacityView kept current from the store's
// change feed on a thread of its own. It registers for the feed, loads the
// current Organizations, Locations and in-progress Encounters (paged
// searches), then applies the queued changes in order (idempotent by
// version); it re-evaluates source freshness periodically, so stale flags
// change also when no data does.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "engine/capacity/capacity_model.h"
#include "engine/core/status.h"
#include "engine/store/resource_store.h"

namespace fhirengine::capacity {

// One source (adapter) as the engine's adapters report it.
struct SourceStatus {
  std::string name;
  std::string state;  // "idle", "backing-off", ...
  std::optional<std::int64_t> last_success_ms;
  std::int64_t stale_after_ms = 900'000;  // the adapter's stale-after-s
};

struct RollupOptions {
  // Unix epoch ms; the system clock when empty.
  std::function<std::int64_t()> now_ms;
  // The configured sources; none when empty. Called on the rollup's thread
  // and from Snapshot(); must be thread-safe.
  std::function<std::vector<SourceStatus>()> sources;
  // How often freshness is re-evaluated when no change arrives.
  std::chrono::milliseconds freshness_interval{1000};
  // Resources per page when loading from the store.
  std::size_t load_page_size = 1000;
  // Bound on the bytes of changes (each with its resource's JSON) queued
  // for the rollup's thread. Beyond it the queue is dropped and the rollup
  // reloads from the store (correct again, never unbounded memory, and the
  // store's writer never waits); the previous picture is served meanwhile.
  std::size_t max_queued_bytes = 128u << 20;
};

class CapacityRollup final : public CapacityView {
 public:
  // Registers for `store`'s change feed and starts the rollup's thread,
  // which loads the current picture and then follows the feed. `store`
  // outlives the rollup.
  static std::unique_ptr<CapacityRollup> Start(store::ResourceStore& store, RollupOptions options);
  // Leaves the change feed and stops the thread.
  ~CapacityRollup() override;
  CapacityRollup(const CapacityRollup&) = delete;
  CapacityRollup& operator=(const CapacityRollup&) = delete;

  CapacitySnapshot Snapshot() const override;
  bool ready() const override;
  Result<CapacityNode> Node(const std::string& reference) const override;
  int AddListener(std::function<void(std::uint64_t sequence)> listener) override;
  void RemoveListener(int id) override;

  // Waits until the initial load is done and every change queued so far is
  // applied (and listeners notified); false on timeout.
  bool WaitIdleForTest(std::chrono::milliseconds timeout);
  // The status of the last load (kIoError when a store search failed; the
  // rollup then retries on its next freshness tick).
  Status load_status() const;
  // Versions the index remembers (CapacityIndex::remembered_versions).
  std::size_t RememberedVersionsForTest() const;

 private:
  struct Impl;
  explicit CapacityRollup(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// The freshness of `status` at `now_ms` (docs/capacity.md, "Freshness").
SourceFreshness FreshnessOf(const SourceStatus& status, std::int64_t now_ms);

}  // namespace fhirengine::capacity

// Capacity history: every interval the region's and each organization's
// MeasureReports are written to the store as snapshots (identifier system
// kSnapshotSystem) and pruned after the retention. The trend points for the
// dashboard (GET /capacity/history, docs/capacity.md) are kept in memory,
// loaded from the stored snapshots at construction, so the endpoint never
// waits on the store.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <thread>

#include "engine/capacity/capacity_model.h"
#include "engine/capacity/measure_evaluation.h"
#include "engine/core/status.h"
#include "engine/rest/rest_types.h"
#include "engine/store/resource_store.h"

namespace fhirengine::capacity {

inline constexpr std::string_view kSnapshotSystem =
    "https://fhir-engine.example.org/fhir/sid/capacity-snapshot";

struct HistoryOptions {
  std::int64_t interval_ms = 300'000;             // capacity.snapshot-interval-s
  std::int64_t retention_ms = 14LL * 86'400'000;  // capacity.history-days
  // Most points kept in memory per subject, the most one /capacity/history
  // answer holds (14 days at 5 minutes); the oldest go first.
  std::size_t max_points = 4032;
};

// Thread-safe. `evaluator`, `view` and `store` must outlive it.
class CapacityHistory {
 public:
  // Loads the trend points of the stored snapshots (a failure is logged:
  // the trend then starts empty).
  CapacityHistory(const MeasureEvaluator& evaluator, const CapacityView& view,
                  store::ResourceStore& store, HistoryOptions options);
  ~CapacityHistory();

  // Takes a snapshot when one is due (none yet, or the interval has passed
  // since the last), then prunes. The background thread calls it; tests
  // call it with a fake clock.
  Status Tick();
  // Writes the region's and every organization's bed and discharge-ready
  // reports at now, in one store batch.
  Status TakeSnapshot();
  // Deletes the snapshots dated before now - retention; returns how many.
  Result<std::size_t> Prune();

  // The trend of `subject` ("" for the region, else "Organization/x") over
  // the last `hours`, oldest first, as the JSON document of GET
  // /capacity/history, from memory. kInvalidArgument for hours outside
  // 1..retention.
  Result<std::string> PointsJson(int hours, const std::string& subject) const;
  // Replaces the points in memory by those of the stored snapshots.
  Status LoadPoints();

  // Starts/stops the thread that calls Tick (stop waits for it).
  void Start();
  void Stop();

 private:
  const MeasureEvaluator& evaluator_;
  const CapacityView& view_;
  store::ResourceStore& store_;
  HistoryOptions options_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::int64_t last_snapshot_ms_ = -1;  // guarded by mu_
  std::thread thread_;

  // One trend point: its snapshot's time and its JSON object.
  struct TrendPoint {
    std::int64_t ms = 0;
    std::string json;
  };
  mutable std::mutex points_mu_;
  std::map<std::string, std::deque<TrendPoint>> points_;  // by subject, oldest first
};

// GET /capacity/history?hours=24[&subject=Organization/x]: application/json.
class CapacityHistoryEndpoint final : public rest::RequestHandler {
 public:
  explicit CapacityHistoryEndpoint(const CapacityHistory& history) : history_(history) {}
  void Handle(rest::RestRequest request, rest::Responder responder) override;
  rest::RestResponse ProtocolError(int status, std::string_view message) const override;

 private:
  const CapacityHistory& history_;
};

}  // namespace fhirengine::capacity

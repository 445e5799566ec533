// The health of one running adapter: its state, last success and error,
// lag, throughput and counters. Written by the adapter's runner and
// pipeline, read by /health and /metrics. Thread-safe.
#pragma once

#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "adapters/api/adapter.h"

namespace fhirengine::ingest {

enum class AdapterState { kStarting, kIdle, kPolling, kBackingOff, kFailed, kStopped };

// "starting", "idle", "polling", "backing-off", "failed", "stopped".
std::string_view StateName(AdapterState state);

struct HealthSnapshot {
  std::string name;
  std::string type;
  AdapterState state = AdapterState::kStarting;
  std::optional<std::int64_t> last_success_ms;  // Unix epoch ms
  // The last successful poll that received something from the source (for
  // a drop folder: a file); the source's freshness. Unix epoch ms.
  std::optional<std::int64_t> last_received_ms;
  std::string last_error;              // empty: none since the last success
  std::optional<std::int64_t> lag_ms;  // now - newest source_time_ms seen
  double records_per_second = 0;       // over the recent window
  std::uint64_t errors = 0;            // failed polls and deliveries
  std::uint64_t stored = 0;            // records by outcome, since start
  std::uint64_t unchanged = 0;
  std::uint64_t deleted = 0;
  std::uint64_t quarantined = 0;
  // Warnings of profile/structural validation on stored mapped resources
  // (an extensible binding missed, a ConceptMap "keep"): they do not block.
  std::uint64_t validation_warnings = 0;
  // True when the adapter has not succeeded within its stale-after time
  // (or failed, or is backing off).
  bool degraded = false;
};

class AdapterHealth {
 public:
  // The window records/s is computed over.
  static constexpr std::int64_t kRateWindowMs = 60'000;

  AdapterHealth(std::string name, std::string type, std::int64_t stale_after_ms,
                std::int64_t started_ms);

  void SetState(AdapterState state);
  // `received`: the poll heard from the source (PollOutcome::received).
  void RecordSuccess(std::int64_t now_ms, bool received = true);
  // `message` is kept as valid UTF-8, at most kMaxErrorBytes.
  void RecordError(std::string message, std::int64_t now_ms);
  static constexpr std::size_t kMaxErrorBytes = 4096;
  // A committed delivery; `newest_source_ms` is the newest source_time_ms
  // of its records, if any had one.
  void RecordDelivery(const adapters::DeliveryReport& report,
                      std::optional<std::int64_t> newest_source_ms, std::int64_t now_ms);

  // Warnings found on resources that were stored anyway.
  void RecordValidationWarnings(std::uint64_t count);

  HealthSnapshot Snapshot(std::int64_t now_ms) const;
  const std::string& name() const { return name_; }

 private:
  const std::string name_;
  const std::string type_;
  const std::int64_t stale_after_ms_;
  const std::int64_t started_ms_;
  mutable std::mutex mutex_;
  AdapterState state_ = AdapterState::kStarting;
  std::optional<std::int64_t> last_success_ms_;
  std::optional<std::int64_t> last_received_ms_;
  std::string last_error_;
  std::optional<std::int64_t> newest_source_ms_;
  std::uint64_t errors_ = 0, stored_ = 0, unchanged_ = 0, deleted_ = 0, quarantined_ = 0,
                validation_warnings_ = 0;
  // (time, records) of recent deliveries, oldest first, within the window.
  mutable std::deque<std::pair<std::int64_t, std::uint64_t>> recent_;
};

}  // namespace fhirengine::ingest

// An AdapterContext for adapters' own tests: records every delivered batch
// and commits its cursor, as the engine does once a batch is stored (the
// engine's real pipeline is tested in tests/unit/ingest and end to end).
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "adapters/api/adapter.h"

namespace fhirengine::adapters::testing {

class RecordingContext : public AdapterContext {
 public:
  explicit RecordingContext(std::string cursor = "", std::string name = "test-source")
      : name_(std::move(name)), cursor_(std::move(cursor)) {}

  const std::string& name() const override { return name_; }
  std::string committed_cursor() const override { return cursor_; }
  Result<DeliveryReport> Deliver(SourceBatch batch) override {
    if (fail_deliveries > 0) {
      --fail_deliveries;
      return Status(StatusCode::kUnavailable, "store queue full (test)");
    }
    DeliveryReport report;
    report.stored = batch.records.size();
    report.quarantined = batch.rejected.size();
    cursor_ = batch.cursor;
    batches.push_back(std::move(batch));
    return report;
  }
  bool stopping() const override { return false; }
  bool SleepFor(std::chrono::milliseconds /*duration*/) override { return true; }

  std::vector<SourceRecord> Records() const {
    std::vector<SourceRecord> out;
    for (const SourceBatch& b : batches) out.insert(out.end(), b.records.begin(), b.records.end());
    return out;
  }
  std::vector<RejectedRecord> Rejected() const {
    std::vector<RejectedRecord> out;
    for (const SourceBatch& b : batches) {
      out.insert(out.end(), b.rejected.begin(), b.rejected.end());
    }
    return out;
  }
  // Forgets what was delivered (the committed cursor stays).
  void ClearBatches() { batches.clear(); }

  std::vector<SourceBatch> batches;
  int fail_deliveries = 0;  // the next this many deliveries fail

 private:
  std::string name_;
  std::string cursor_;
};

}  // namespace fhirengine::adapters::testing

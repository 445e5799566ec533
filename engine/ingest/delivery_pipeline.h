// The engine's side of the delivery contract: an AdapterContext whose
// Deliver maps each record (identity mapping), validates it like a REST
// PUT, and writes the resources, the quarantined records and the adapter's
// cursor in ONE store batch; it returns only after that batch committed.
#pragma once

#include <cstddef>
#include <mutex>
#include <string>

#include "adapters/api/adapter.h"
#include "engine/ingest/adapter_health.h"
#include "engine/ingest/runner_clock.h"
#include "engine/store/resource_store.h"

namespace fhirengine::ingest {

class DeliveryPipeline final : public adapters::AdapterContext {
 public:
  // Bound on one batch (records plus rejected): kResourceExhausted beyond.
  static constexpr std::size_t kMaxBatchRecords = 50'000;
  // Bound on a quarantined record's stored text (longer text is cut at a
  // character; bytes that are not UTF-8 are stored as U+FFFD).
  static constexpr std::size_t kMaxQuarantineRecordBytes = 1u << 20;

  // Reads the committed cursor from `store`. All references outlive this.
  static Result<std::unique_ptr<DeliveryPipeline>> Create(std::string name,
                                                          store::ResourceStore& store,
                                                          AdapterHealth& health, Clock& clock,
                                                          StopSignal& stop);

  const std::string& name() const override { return name_; }
  std::string committed_cursor() const override;
  Result<adapters::DeliveryReport> Deliver(adapters::SourceBatch batch) override;
  bool stopping() const override { return stop_.stopped(); }
  bool SleepFor(std::chrono::milliseconds duration) override {
    return clock_.Sleep(duration, stop_);
  }

 private:
  DeliveryPipeline(std::string name, store::ResourceStore& store, AdapterHealth& health,
                   Clock& clock, StopSignal& stop, std::string cursor);

  const std::string name_;
  store::ResourceStore& store_;
  AdapterHealth& health_;
  Clock& clock_;
  StopSignal& stop_;
  mutable std::mutex mutex_;
  std::string cursor_;
};

}  // namespace fhirengine::ingest

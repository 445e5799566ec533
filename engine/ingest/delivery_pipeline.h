// The engine's side of the delivery contract: an AdapterContext whose
// Deliver skips records whose content is the one last committed under their
// key (record_memo.h), maps the others (the adapter's declarative mapping, or
// the identity mapping), validates what it maps to like a REST PUT and against
// the profiles in its meta.profile, and writes the resources, the
// quarantined records and the adapter's cursor in ONE store batch; it
// returns only after that batch committed.
#pragma once

#include <cstddef>
#include <memory>
#include <mutex>
#include <set>
#include <string>

#include "adapters/api/adapter.h"
#include "engine/ingest/adapter_health.h"
#include "engine/ingest/mapped_record.h"
#include "engine/ingest/profile_conformance.h"
#include "engine/ingest/record_memo.h"
#include "engine/ingest/runner_clock.h"
#include "engine/mapping/mapping.h"
#include "engine/profiles/profile_registry.h"
#include "engine/store/resource_store.h"

namespace fhirengine::ingest {

// What turns an adapter's records into resources (docs/adapters.md,
// "Mappings and profile validation").
struct PipelineStages {
  // Null: the identity mapping (identity_mapping.h).
  std::shared_ptr<const mapping::Mapping> mapping;
  // The profiles a mapped resource's meta.profile is validated against;
  // null: only structural validation. Not used without a mapping.
  std::shared_ptr<const profiles::ProfileRegistry> profiles;
};

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
                                                          StopSignal& stop,
                                                          PipelineStages stages = {});

  const std::string& name() const override { return name_; }
  std::string committed_cursor() const override;
  Result<adapters::DeliveryReport> Deliver(adapters::SourceBatch batch) override;
  bool stopping() const override { return stop_.stopped(); }
  bool SleepFor(std::chrono::milliseconds duration) override {
    return clock_.Sleep(duration, stop_);
  }

 private:
  DeliveryPipeline(std::string name, store::ResourceStore& store, AdapterHealth& health,
                   Clock& clock, StopSignal& stop, std::string cursor, PipelineStages stages);

  // Validation warnings of one batch: how many, and (some of) the element
  // paths they were found at, for the log.
  struct Warnings {
    static constexpr std::size_t kMaxPaths = 10;
    std::size_t count = 0;
    std::set<std::string> paths;
  };

  // Appends the ops for one record under the declarative mapping: its
  // resources, or its deletes, or one quarantine op. Adds the validation
  // warnings it found to `warnings`.
  void MapRecord(const adapters::SourceRecord& record, std::vector<store::WriteOp>& ops,
                 adapters::DeliveryReport& report, Warnings& warnings) const;

  const std::string name_;
  store::ResourceStore& store_;
  AdapterHealth& health_;
  Clock& clock_;
  StopSignal& stop_;
  const PipelineStages stages_;
  const ProfileConformance conformance_;
  mutable ValidationMemo memo_;  // thread-safe itself
  RecordMemo committed_;         // thread-safe itself
  mutable std::mutex mutex_;
  std::string cursor_;
};

}  // namespace fhirengine::ingest

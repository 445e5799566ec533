// All configured adapters of one engine: creates each enabled adapter from
// its type, gives it a delivery pipeline and a runner thread, starts and
// stops them together, and answers health snapshots for /health and
// /metrics.
#pragma once

#include <memory>
#include <vector>

#include "adapters/api/registry.h"
#include "engine/ingest/adapter_health.h"
#include "engine/ingest/adapter_runner.h"
#include "engine/ingest/config_check.h"
#include "engine/ingest/delivery_pipeline.h"
#include "engine/store/resource_store.h"

namespace fhirengine::ingest {

class IngestService {
 public:
  // `store`, `registry` and `clock` outlive the service. An adapter whose
  // factory fails is kept with state "failed" and its error (the others run).
  IngestService(const IngestConfig& config, const adapters::AdapterRegistry& registry,
                store::ResourceStore& store, Clock& clock);
  ~IngestService();
  IngestService(const IngestService&) = delete;
  IngestService& operator=(const IngestService&) = delete;

  void Start();
  // Stops every adapter (Cancel, join). Idempotent.
  void Stop();

  std::vector<HealthSnapshot> Health() const;
  store::ResourceStore& store() const { return store_; }

 private:
  struct Running {
    std::unique_ptr<AdapterHealth> health;
    std::unique_ptr<StopSignal> stop;
    std::unique_ptr<DeliveryPipeline> pipeline;
    std::unique_ptr<AdapterRunner> runner;  // null when creation failed
  };
  store::ResourceStore& store_;
  Clock& clock_;
  std::vector<Running> adapters_;
};

}  // namespace fhirengine::ingest

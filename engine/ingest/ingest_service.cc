// The set of running adapters (see ingest_service.h).
#include "engine/ingest/ingest_service.h"

#include "engine/core/log.h"

namespace fhirengine::ingest {

IngestService::IngestService(const IngestConfig& config, const adapters::AdapterRegistry& registry,
                             store::ResourceStore& store, Clock& clock)
    : store_(store), clock_(clock) {
  for (const AdapterEntry& entry : config.adapters) {
    if (!entry.enabled) continue;
    Running r;
    r.health = std::make_unique<AdapterHealth>(entry.name, entry.type,
                                               entry.stale_after.count() * 1000, clock.NowMs());
    r.stop = std::make_unique<StopSignal>();
    auto fail = [&](const Status& status) {
      r.health->SetState(AdapterState::kFailed);
      r.health->RecordError(status.message(), clock.NowMs());
      log::Write(log::Level::kError, "adapter cannot start",
                 {{"adapter", entry.name}, {"error", status.message()}});
    };
    const adapters::AdapterType* type = registry.Find(entry.type);
    Result<std::unique_ptr<DeliveryPipeline>> pipeline =
        DeliveryPipeline::Create(entry.name, store, *r.health, clock, *r.stop,
                                 PipelineStages{entry.mapping, config.profiles});
    if (type == nullptr) {
      fail(NotFound("unknown adapter type " + entry.type));
    } else if (!pipeline.ok()) {
      fail(pipeline.status());
    } else {
      r.pipeline = std::move(pipeline).value();
      adapters::AdapterConfig ac;
      ac.name = entry.name;
      ac.type = entry.type;
      ac.settings = &entry.settings->root();
      ac.config_dir = config.config_dir;
      Result<std::unique_ptr<adapters::Adapter>> adapter = type->create(ac);
      if (!adapter.ok()) {
        fail(adapter.status());
      } else {
        RunnerOptions options;
        options.poll_interval = entry.poll_interval;
        options.max_backoff = entry.max_backoff;
        r.runner = std::make_unique<AdapterRunner>(std::move(adapter).value(), *r.pipeline,
                                                   *r.health, clock, *r.stop, options);
      }
    }
    adapters_.push_back(std::move(r));
  }
}

IngestService::~IngestService() { Stop(); }

void IngestService::Start() {
  for (Running& r : adapters_) {
    if (r.runner) r.runner->Start();
  }
}

void IngestService::Stop() {
  // Every adapter is told first, so they wind down together.
  for (Running& r : adapters_) r.stop->Stop();
  for (Running& r : adapters_) {
    if (r.runner) r.runner->Stop();
  }
}

std::vector<HealthSnapshot> IngestService::Health() const {
  std::vector<HealthSnapshot> out;
  const std::int64_t now = clock_.NowMs();
  for (const Running& r : adapters_) out.push_back(r.health->Snapshot(now));
  return out;
}

}  // namespace fhirengine::ingest

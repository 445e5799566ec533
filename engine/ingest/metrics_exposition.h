// The adapters' health as Prometheus text exposition format (version 0.0.4)
// for GET /metrics, and as JSON for GET /health.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "engine/ingest/adapter_health.h"

namespace fhirengine::ingest {

// Quarantined records per adapter name, as stored.
using QuarantineSizes = std::map<std::string, std::int64_t>;

// fhir_engine_adapter_records_total{adapter,outcome}, _errors_total,
// _lag_seconds, _up, _last_success_timestamp_seconds, _records_per_second,
// _quarantine_size; each with # HELP and # TYPE.
std::string PrometheusText(const std::vector<HealthSnapshot>& adapters,
                           const QuarantineSizes& quarantine);

// {"status": "ok" | "degraded", "adapters": [...]}.
std::string HealthJson(const std::vector<HealthSnapshot>& adapters);

}  // namespace fhirengine::ingest
